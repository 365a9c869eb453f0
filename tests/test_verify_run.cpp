#include "verify/run.hpp"

#include "support/sample_labs.hpp"
#include "support/verify_world.hpp"
#include "util/error.hpp"
#include "verify/checks.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

using namespace meshlab;
using namespace std::chrono_literals;

TEST_CASE("verify::run_checks") {
  test::VerifyWorld w{test::ci_smoke_like_lab()};

  SUBCASE("results keep the order of the checks, whatever finishes first") {
    std::vector<verify::Check> checks;
    for (int i = 0; i < 6; ++i)
      checks.push_back({"c" + std::to_string(i), "check", [i](const verify::VerifyContext&) {
                          std::this_thread::sleep_for(std::chrono::milliseconds(10 * (6 - i)));
                          return std::vector<verify::CheckResult>{{"", "s", verify::Outcome::pass, "ok", {}, {}}};
                        }});
    const auto report = verify::run_checks(w.ctx(), checks, 4);
    REQUIRE(report.checks.size() == 6);
    for (int i = 0; i < 6; ++i) {
      CHECK(report.checks[static_cast<std::size_t>(i)].id == "c" + std::to_string(i));
      CHECK(report.checks[static_cast<std::size_t>(i)].results.at(0).check == "c" + std::to_string(i));
    }
    CHECK(report.passed());
  }
  SUBCASE("a check that throws becomes a failed result; the others still report") {
    std::vector<verify::Check> checks{
        {"broken", "x", [](const verify::VerifyContext&) -> std::vector<verify::CheckResult> { throw Error("no kubectl on PATH"); }},
        {"fine", "y", [](const verify::VerifyContext&) {
           return std::vector<verify::CheckResult>{{"fine", "s", verify::Outcome::skip, "n/a", {}, {}}};
         }}};
    const auto report = verify::run_checks(w.ctx(), checks);
    CHECK(report.checks[0].results.at(0).outcome == verify::Outcome::fail);
    CHECK(report.checks[0].results.at(0).subject == "lab/ci-smoke");
    CHECK(report.checks[0].results.at(0).message == "the check could not run: no kubectl on PATH");
    CHECK(report.checks[1].results.at(0).outcome == verify::Outcome::skip);
    CHECK_FALSE(report.passed());
  }
  SUBCASE("a check that disturbs the lab runs alone, after the checks that read it") {
    std::atomic<int> running = 0;
    std::atomic<bool> overlapped = false, readers_done_first = true;
    std::atomic<int> readers_finished = 0;
    const auto reader = [&](const verify::VerifyContext&) {
      ++running;
      std::this_thread::sleep_for(20ms);
      --running;
      ++readers_finished;
      return std::vector<verify::CheckResult>{{"", "s", verify::Outcome::pass, "ok", {}, {}}};
    };
    const auto disturber = [&](const verify::VerifyContext&) {
      if (running != 0) overlapped = true;
      if (readers_finished != 3) readers_done_first = false;
      return std::vector<verify::CheckResult>{{"", "s", verify::Outcome::pass, "ok", {}, {}}};
    };
    std::vector<verify::Check> checks{{"a", "x", reader},
                                      {"drain", "y", disturber, verify::Effect::disturbs},
                                      {"b", "x", reader},
                                      {"c", "x", reader}};
    const auto report = verify::run_checks(w.ctx(), checks, 4);
    CHECK_FALSE(overlapped);
    CHECK(readers_done_first);
    REQUIRE(report.checks.size() == 4);
    CHECK(report.checks[1].id == "drain"); // the report keeps the registry's order
  }
  SUBCASE("Ctrl-C is not a check failure") {
    std::vector<verify::Check> checks{
        {"slow", "x", [](const verify::VerifyContext&) -> std::vector<verify::CheckResult> { throw Interrupted(); }}};
    CHECK_THROWS_AS(verify::run_checks(w.ctx(), checks), Interrupted);
  }
}

TEST_CASE("verify::checks") {
  const auto all = verify::all_checks();
  std::vector<std::string> ids;
  for (const auto& c : all) ids.push_back(c.id);
  CHECK(std::vector<std::string>(ids.begin(), ids.begin() + 5) ==
        std::vector<std::string>{"nodes", "cacerts", "istiod", "eastwest", "argocd-apps"});
  SUBCASE("--check picks checks in report order") {
    const auto picked = verify::select_checks(all, {"argocd-apps", "nodes"});
    REQUIRE(picked.size() == 2);
    CHECK(picked[0].id == "nodes");
    CHECK(picked[1].id == "argocd-apps");
  }
  SUBCASE("an unknown id lists the known ones") {
    CHECK_THROWS_WITH_AS(verify::select_checks(all, {"nodez"}),
                         doctest::Contains("--check: unknown check \"nodez\"; known checks: nodes, cacerts, istiod"),
                         UsageError);
  }
}

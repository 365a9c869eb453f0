#include "state/report.hpp"
#include "ui/plain_status.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <thread>

using namespace meshlab;
using namespace std::chrono_literals;
using plan::StepStatus;

namespace {

plan::Plan make_plan() {
  plan::PlanBuilder builder;
  auto add = [&](std::string id, std::vector<std::string> needs) {
    builder.add(plan::Step{.id = std::move(id), .title = "T", .needs = std::move(needs), .run = [](plan::StepContext&) {}});
  };
  add("registry/docker.io", {});
  add("cluster/east/create", {"registry/docker.io"});
  add("cluster/west/create", {"registry/docker.io"});
  add("vm/db/create", {});
  add("argocd/install", {"cluster/east/create"});
  add("apps/sync", {"argocd/install", "cluster/west/create", "vm/db/create"});
  return builder.build();
}

plan::ExecuteResult make_result(const plan::Plan& plan, const std::map<std::string, int>& durations_ms) {
  plan::ExecuteResult result;
  for (const auto& step : plan.steps()) {
    plan::StepResult r{step.id, step.title, StepStatus::done};
    r.duration = std::chrono::milliseconds(durations_ms.at(step.id));
    result.steps.push_back(r);
  }
  return result;
}

} // namespace

TEST_CASE("state::report") {
  const auto plan = make_plan();

  SUBCASE("the critical path is the longest chain of needs by duration") {
    const auto result = make_result(plan, {{"registry/docker.io", 10},
                                           {"cluster/east/create", 100},
                                           {"cluster/west/create", 300},
                                           {"vm/db/create", 350},
                                           {"argocd/install", 150},
                                           {"apps/sync", 20}});
    // registry 10 + west 300 + apps 20 = 330 < registry 10 + east 100 + argocd 150 + apps 20 = 280 < vm 350 + 20
    CHECK(state::critical_path(plan, result) == 370ms);
  }

  SUBCASE("steps that did not run count as nothing") {
    auto result = make_result(plan, {{"registry/docker.io", 10},
                                     {"cluster/east/create", 100},
                                     {"cluster/west/create", 300},
                                     {"vm/db/create", 0},
                                     {"argocd/install", 150},
                                     {"apps/sync", 0}});
    CHECK(state::critical_path(plan, result) == 310ms);
  }

  SUBCASE("the clock notes each step's span and passes everything on") {
    std::ostringstream out;
    ui::PlainStatus plain(out);
    state::StepClock clock(plain);
    clock.begin(2);
    clock.step_started("cluster/east/create", "Creating cluster east");
    std::this_thread::sleep_for(20ms);
    clock.step_finished("cluster/east/create", "Creating cluster east", ui::Outcome::done, 20ms);
    clock.step_finished("vm/db/create", "Creating VM db", ui::Outcome::already_done, 0ms);
    clock.end();
    const auto spans = clock.spans();
    REQUIRE(spans.size() == 2);
    CHECK(spans.at("cluster/east/create").end - spans.at("cluster/east/create").start >= 20ms);
    CHECK(spans.at("vm/db/create").start == spans.at("vm/db/create").end);
    CHECK(clock.elapsed() >= 20ms);
    CHECK(out.str().find("Creating cluster east") != std::string::npos);

    auto result = make_result(plan, {{"registry/docker.io", 0},
                                     {"cluster/east/create", 20},
                                     {"cluster/west/create", 0},
                                     {"vm/db/create", 0},
                                     {"argocd/install", 0},
                                     {"apps/sync", 0}});
    result.steps[3].status = StepStatus::skipped_done;
    const auto phases = state::phase_times(plan, spans, result);
    REQUIRE(phases.size() == 1); // only the cluster phase ran; a skipped VM is no phase time
    CHECK(phases[0].first == "cluster");
    CHECK(phases[0].second >= 20ms);

    const auto report = state::make_report("mesh", "2026-01-01T00:00:00Z", plan, result, clock);
    CHECK(report["lab"] == "mesh");
    CHECK(report["totals"]["steps"] == 6);
    CHECK(report["totals"]["done"] == 5);
    CHECK(report["totals"]["skipped_done"] == 1);
    CHECK(report["totals"]["critical_path_ms"] == 20);
    CHECK(report["steps"][1]["needs"] == nlohmann::json{"registry/docker.io"});
    CHECK(report["steps"][1]["end_ms"].get<long>() >= 20);
    CHECK(report["steps"][0]["start_ms"].is_null()); // never reported to the clock
    CHECK(report["meshlab"]["max_rss_kb"].get<long>() > 0);
  }
}

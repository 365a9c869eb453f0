#include "lab/load.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/traffic_world.hpp"
#include "util/error.hpp"
#include "verify/traffic_checks.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

lab::Lab load(const std::string& name) {
  return lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/" + name + ".yaml");
}

// ci-smoke: httpbin in clusters one and two, one server pod each.
void populate(test::TrafficWorld& world) {
  for (const char* cluster : {"one", "two"}) {
    const std::string c = cluster;
    world.node(c, c + "-control-plane", lab::Locality{"ci", c, ""});
    world.pod(c, "httpbin", "httpbin-" + c + "-abcde", c + "-control-plane", {{"app", "httpbin"}});
    world.service(c, "httpbin", "httpbin", {{"app", "httpbin"}}, 8000);
  }
}

} // namespace

TEST_CASE("verify::cross_cluster") {
  test::TempDir dir;
  auto lab = load("ci-smoke");
  test::RecordingRunner runner;
  test::TrafficWorld world(lab, dir.path());
  populate(world);
  world.install(runner);
  verify::VerifyContext ctx{lab, dir.path(), runner};
  verify::TrafficOptions options;
  options.requests = 10;

  SUBCASE("answers from both clusters pass") {
    world.answer = [](const test::TrafficWorld::Pod&, const std::string& url, int i) {
      CHECK(url == "http://httpbin.httpbin.svc.cluster.local:8000/hostname");
      return std::string(R"({"hostname": "httpbin-)") + (i % 2 ? "one" : "two") + R"(-abcde"})";
    };
    const auto results = verify::check_cross_cluster(ctx, options);
    REQUIRE(results.size() == 2);
    for (const auto& result : results) {
      CAPTURE(result.message);
      CHECK(result.check == "cross-cluster");
      CHECK(result.outcome == verify::Outcome::pass);
      CHECK(result.message.find("one 5, two 5") != std::string::npos);
    }
    CHECK(results[0].subject == "cluster/one");
    CHECK(results[1].subject == "cluster/two");
    const auto& calls = results[0].evidence.back();
    CHECK(calls.command.find("kubectl --kubeconfig") == 0);
    CHECK(calls.command.find("exec -n httpbin httpbin-one-abcde -c app -- curl") != std::string::npos);
    // one curl per client carries all the requests
    std::size_t execs = 0;
    for (const auto& argv : runner.argvs())
      if (argv.size() > 5 && argv[5] == "exec") {
        ++execs;
        CHECK(std::count(argv.begin(), argv.end(), "http://httpbin.httpbin.svc.cluster.local:8000/hostname") == 10);
      }
    CHECK(execs == 2);
    // Each cluster's nodes, pods and Service read once, though both the server listing and
    // the client in that cluster need them.
    for (const char* cluster : {"one", "two"})
      for (const exec::Argv& read : {exec::Argv{"get", "nodes"}, exec::Argv{"get", "pods", "-o", "json", "-A"},
                                     exec::Argv{"get", "service", "httpbin"}}) {
        CAPTURE(cluster);
        CAPTURE(read[1]);
        CHECK(world.calls(runner, cluster, read) == 1);
      }
  }

  SUBCASE("answers from one cluster only fail") {
    world.answer = [](const test::TrafficWorld::Pod& client, const std::string&, int) {
      return R"({"hostname": "httpbin-)" + client.cluster + R"(-abcde"})";
    };
    const auto results = verify::check_cross_cluster(ctx, options);
    REQUIRE(results.size() == 2);
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message == "10 of 10 requests from one to httpbin answered by 1 cluster(s): one 10");
    CHECK(results[1].outcome == verify::Outcome::fail);
  }

  SUBCASE("answers that name no pod fail and show one") {
    world.answer = [](const test::TrafficWorld::Pod&, const std::string&, int) {
      return std::string(R"({"hostname": "go-httpbin"})"); // go-httpbin without -use-real-hostname
    };
    const auto results = verify::check_cross_cluster(ctx, options);
    CHECK(results[0].outcome == verify::Outcome::fail);
    const auto& lines = results[0].evidence.back().lines;
    CHECK(std::find(lines.begin(), lines.end(), R"(e.g. {"hostname": "go-httpbin"})") != lines.end());
  }

  SUBCASE("no client pod with a sidecar fails") {
    test::TrafficWorld bare(lab, dir.path());
    bare.node("one", "one-control-plane", {"ci", "one", ""});
    bare.pod("one", "httpbin", "httpbin-one-abcde", "one-control-plane", {{"app", "httpbin"}}).containers = {"httpbin"};
    bare.service("one", "httpbin", "httpbin", {{"app", "httpbin"}}, 8000);
    test::RecordingRunner other;
    bare.install(other);
    verify::VerifyContext bare_ctx{lab, dir.path(), other};
    const auto results = verify::check_cross_cluster(bare_ctx, options);
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message.find("no ready pod with an istio-proxy sidecar") != std::string::npos);
    CHECK(results[1].message == "service httpbin/httpbin is missing on two");
  }

  SUBCASE("Ctrl-C is not a failed check") {
    runner.on_prefix({"kubectl", "--kubeconfig", (dir.path() / "kubeconfigs" / "two.yaml").string(), "--context",
                      "ci-smoke-two", "exec"},
                     [](const exec::Command&) -> exec::Completed { throw Interrupted(); });
    world.answer = [](const test::TrafficWorld::Pod&, const std::string&, int) { return std::string("x"); };
    CHECK_THROWS_AS(verify::check_cross_cluster(ctx, options), Interrupted);
  }

  SUBCASE("a cell of one cluster is skipped") {
    lab.cells.front().clusters = {"one"};
    const auto results = verify::check_cross_cluster(ctx, options);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
    CHECK(results[0].subject == "cell/smoke");
  }

  SUBCASE("a cell without an app that names its pods is skipped") {
    lab.apps.clear();
    const auto results = verify::check_cross_cluster(ctx, options);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
  }
}

TEST_CASE("verify::traffic_checks") {
  const auto checks = verify::traffic_checks();
  REQUIRE(checks.size() == 4);
  CHECK(checks[0].id == "cross-cluster");
  CHECK(checks[1].id == "vm");
  CHECK(checks[2].id == "locality");
  CHECK(checks[3].id == "tls-ingress");
  test::TempDir dir;
  const auto lab = load("ci-smoke");
  test::RecordingRunner runner;
  verify::VerifyContext ctx{lab, dir.path(), runner};
  // ci-smoke has no VMs, policies or hosts: those checks skip without running anything
  for (std::size_t i = 1; i < checks.size(); ++i) {
    const auto results = checks[i].run(ctx);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
    CHECK(results[0].check == checks[i].id);
  }
  CHECK(runner.calls().empty());
}

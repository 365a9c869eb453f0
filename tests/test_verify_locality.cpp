#include "lab/load.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/traffic_world.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "verify/traffic_checks.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

// kind-locality: east has zone1 and zone2 workers, west one node in zone3; a sleep client in
// east/zone1; helloworld in `sample` and `weighted` in every zone.
void populate(test::TrafficWorld& world) {
  world.node("east", "mesh-east-control-plane", {"east", "", ""});
  world.node("east", "mesh-east-worker", {"east", "zone1", ""});
  world.node("east", "mesh-east-worker2", {"east", "zone2", ""});
  world.node("west", "mesh-west-control-plane", {"west", "zone3", ""});
  world.pod("east", "sample", "sleep-7f-aaaaa", "mesh-east-worker", {{"app", "sleep"}});
  for (const char* ns : {"sample", "weighted"}) {
    const std::string n = ns;
    world.pod("east", n, "helloworld-" + n + "-z1", "mesh-east-worker", {{"app", "helloworld"}});
    world.pod("east", n, "helloworld-" + n + "-z2", "mesh-east-worker2", {{"app", "helloworld"}});
    world.pod("west", n, "helloworld-" + n + "-z3", "mesh-west-control-plane", {{"app", "helloworld"}});
    world.service("east", n, "helloworld", {{"app", "helloworld"}}, 5000);
    world.service("west", n, "helloworld", {{"app", "helloworld"}}, 5000);
  }
}

std::string hello(const std::string& pod) { return "Hello version: v1, instance: " + pod; }

} // namespace

TEST_CASE("verify::locality") {
  test::TempDir dir;
  const auto lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/kind-locality.yaml");
  test::RecordingRunner runner;
  test::TrafficWorld world(lab, dir.path());
  populate(world);
  world.install(runner);
  verify::VerifyContext ctx{lab, dir.path(), runner};
  verify::TrafficOptions options;
  options.requests = 10;
  options.failover_rounds = 2;
  options.round_interval = std::chrono::milliseconds(0);
  bool honour_drain = true;
  int weights[3] = {10, 10, 80}; // zone1, zone2, west/zone3 out of 100
  world.answer = [&](const test::TrafficWorld::Pod& client, const std::string& url, int i) {
    CHECK(client.name == "sleep-7f-aaaaa");
    if (url.find(".weighted.") != std::string::npos) {
      const int slot = i % 100;
      return hello(slot < weights[0] ? "helloworld-weighted-z1"
                   : slot < weights[0] + weights[1] ? "helloworld-weighted-z2"
                                                    : "helloworld-weighted-z3");
    }
    CHECK(url == "http://helloworld.sample.svc.cluster.local:5000/hello");
    if (honour_drain && !world.drained.empty()) return hello("helloworld-sample-z3");
    return hello(i % 2 ? "helloworld-sample-z1" : "helloworld-sample-z2");
  };

  SUBCASE("failover and distribute as written pass, and drained pods are restored") {
    const auto results = verify::check_locality(ctx, options);
    REQUIRE(results.size() == 2);
    CHECK(results[0].subject == "policy/helloworld-failover/failover east to west");
    CAPTURE(results[0].message);
    CHECK(results[0].outcome == verify::Outcome::pass);
    const std::vector<std::string> east{"east/sample/helloworld-sample-z1", "east/sample/helloworld-sample-z2"};
    CHECK(world.drained == east);
    CHECK(world.deleted == world.drained);
    bool waited = false;
    for (const auto& argv : runner.argvs())
      if (argv.size() > 5 && argv[5] == "wait") {
        waited = true;
        const exec::Argv tail(argv.begin() + 5, argv.end());
        const exec::Argv want{"wait", "--for=condition=Ready", "pod", "-n", "sample", "-l", "app=helloworld", "--timeout=180s"};
        CHECK(tail == want);
      }
    CHECK(waited);
    const auto& drain_lines = results[0].evidence[results[0].evidence.size() - 3].lines;
    REQUIRE(drain_lines.size() == 2);
    CHECK(drain_lines[0].find("exec -n sample helloworld-sample-z1 -c istio-proxy -- curl -sS -X POST "
                              "'http://127.0.0.1:15000/drain_listeners?inboundonly'") != std::string::npos);

    CHECK(results[1].subject == "policy/helloworld-distribute/distribute from east/zone1/*");
    CAPTURE(results[1].message);
    CHECK(results[1].outcome == verify::Outcome::pass);
    CHECK(results[1].message.find("east/zone1/* 10% (want 10%), east/zone2/* 10% (want 10%), west/zone3/* 80% (want 80%)") !=
          std::string::npos);
    // Nodes read once per cluster for both policies and their rules; the pods listed again
    // only on east, after the drained pods there were replaced.
    for (const char* cluster : {"east", "west"}) {
      CAPTURE(cluster);
      CHECK(world.calls(runner, cluster, {"get", "nodes"}) == 1);
    }
    CHECK(world.calls(runner, "east", {"get", "pods", "-o", "json", "-A"}) == 2);
    CHECK(world.calls(runner, "west", {"get", "service", "helloworld"}) == 2); // sample and weighted
  }

  SUBCASE("failover that does not happen fails, and the pods are still restored") {
    honour_drain = false;
    const auto results = verify::check_locality(ctx, options);
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message == "after draining east (2 pods), answers came from: east 10");
    CHECK(world.deleted.size() == 2);
  }

  SUBCASE("Ctrl-C ends the wait between failover rounds at once") {
    honour_drain = false; // so a second round, after a wait, would follow
    options.round_interval = std::chrono::hours(1);
    util::request_interrupt();
    CHECK_THROWS_AS(verify::check_locality(ctx, options), Interrupted);
    util::clear_interrupt();
  }

  SUBCASE("answers leaving the region before any drain fail without draining") {
    world.answer = [](const test::TrafficWorld::Pod&, const std::string&, int i) {
      return hello(i % 2 ? "helloworld-sample-z1" : "helloworld-sample-z3");
    };
    options.distribute_requests = 10;
    const auto results = verify::check_locality(ctx, options);
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message == "with healthy endpoints in east, answers came from: east 5, west 5");
    CHECK(world.drained.empty());
  }

  SUBCASE("a split outside the tolerance fails") {
    weights[0] = 34;
    weights[1] = 33;
    const auto results = verify::check_locality(ctx, options);
    CHECK(results[1].outcome == verify::Outcome::fail);
    CHECK(results[1].message.find("east/zone1/* 34% (want 10%)") != std::string::npos);
  }

  SUBCASE("no client in the policy's locality fails") {
    test::TrafficWorld empty(lab, dir.path());
    empty.node("east", "mesh-east-control-plane", {"east", "", ""});
    test::RecordingRunner other;
    empty.install(other);
    verify::VerifyContext empty_ctx{lab, dir.path(), other};
    const auto results = verify::check_locality(empty_ctx, options);
    REQUIRE(results.size() == 2);
    CHECK(results[0].message == "no client pod with an istio-proxy sidecar in region east to send from");
    CHECK(results[1].message == "no client pod with an istio-proxy sidecar in east/zone1/* to send from");
  }

  SUBCASE("a lab without traffic policies is skipped") {
    const auto smoke = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/ci-smoke.yaml");
    verify::VerifyContext smoke_ctx{smoke, dir.path(), runner};
    const auto results = verify::check_locality(smoke_ctx, options);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
  }
}

TEST_CASE("verify::locality_matches") {
  const lab::Locality zone1{"east", "zone1", ""};
  CHECK(verify::locality_matches(zone1, "east"));
  CHECK(verify::locality_matches(zone1, "east/zone1/*"));
  CHECK(verify::locality_matches(zone1, "east/*"));
  CHECK_FALSE(verify::locality_matches(zone1, "east/zone2/*"));
  CHECK_FALSE(verify::locality_matches(zone1, "west"));
}

#include "lab/load.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/traffic_world.hpp"
#include "verify/traffic_checks.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

TEST_CASE("verify::vm_reach") {
  test::TempDir dir;
  const auto lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/multi-primary.yaml");
  test::RecordingRunner runner;
  test::TrafficWorld world(lab, dir.path());
  world.node("kube-01", "kube-01", {"milky-way", "solar-system", "kube-01"});
  world.pod("kube-01", "httpbin", "httpbin-6d8f-abcde", "kube-01", {{"app.kubernetes.io/name", "httpbin"}});
  world.service("kube-01", "httpbin", "httpbin", {{"app.kubernetes.io/name", "httpbin"}}, 80);
  world.service("kube-01", "httpbin", "virt-01-httpbin", {{"app", "httpbin"}}, 8080);
  world.install(runner);
  const exec::Argv vm_curl{"multipass", "exec", "-n", "virt-01", "--", "curl", "-sS", "-m", "5", "-o", "/dev/null",
                           "-w", "%{http_code}", "http://httpbin.httpbin.svc.cluster.local:80/hostname"};
  verify::VerifyContext ctx{lab, dir.path(), runner};

  SUBCASE("both directions answer") {
    runner.on(vm_curl, exec::Completed{.out = "200"});
    world.answer = [](const test::TrafficWorld::Pod& client, const std::string& url, int) {
      CHECK(client.name == "httpbin-6d8f-abcde");
      CHECK(url == "http://virt-01-httpbin.httpbin.svc.cluster.local:8080/");
      return std::string("<!DOCTYPE html>");
    };
    const auto results = verify::check_vm_reach(ctx, {});
    REQUIRE(results.size() == 2);
    CHECK(results[0].subject == "vm/virt-01 to mesh");
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[0].evidence.back().command ==
          "multipass exec -n virt-01 -- curl -sS -m 5 -o /dev/null -w '%{http_code}' "
          "http://httpbin.httpbin.svc.cluster.local:80/hostname");
    CHECK(results[1].subject == "mesh to vm/virt-01/httpbin");
    CHECK(results[1].outcome == verify::Outcome::pass);
    CHECK(results[1].message.find("kube-01 reached http://virt-01-httpbin.httpbin.svc.cluster.local:8080/") == 0);
  }

  SUBCASE("an unreachable VM fails both ways") {
    runner.on(vm_curl, exec::Completed{.exit_code = 7, .out = "000", .err = "curl: (7) Failed to connect"});
    world.answer = [](const test::TrafficWorld::Pod&, const std::string&, int) { return std::string(); };
    const auto results = verify::check_vm_reach(ctx, {});
    REQUIRE(results.size() == 2);
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message.find("virt-01 cannot reach") == 0);
    CHECK(results[0].evidence.back().lines.back() == "curl: (7) Failed to connect");
    CHECK(results[1].outcome == verify::Outcome::fail);
    CHECK(results[1].message.find("(HTTP 0)") != std::string::npos);
  }

  SUBCASE("a missing VM Service fails") {
    test::TrafficWorld bare(lab, dir.path());
    bare.node("kube-01", "kube-01", {"milky-way", "solar-system", "kube-01"});
    bare.service("kube-01", "httpbin", "httpbin", {{"app", "httpbin"}}, 80);
    test::RecordingRunner other;
    bare.install(other);
    other.on(vm_curl, exec::Completed{.out = "200"});
    verify::VerifyContext bare_ctx{lab, dir.path(), other};
    const auto results = verify::check_vm_reach(bare_ctx, {});
    REQUIRE(results.size() == 2);
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[1].message == "service httpbin/virt-01-httpbin for virt-01's httpbin is missing on kube-01");
  }

  SUBCASE("a lab without VMs is skipped") {
    const auto smoke = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/ci-smoke.yaml");
    verify::VerifyContext smoke_ctx{smoke, dir.path(), runner};
    const auto results = verify::check_vm_reach(smoke_ctx, {});
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
    CHECK(results[0].message == "the lab has no VMs");
  }
}

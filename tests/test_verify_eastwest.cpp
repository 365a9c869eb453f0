#include "verify/core_checks.hpp"

#include "support/sample_labs.hpp"
#include "support/verify_world.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

nlohmann::json gateway_service(const std::string& type, const std::string& ip) {
  nlohmann::json ingress = nlohmann::json::array();
  if (!ip.empty()) ingress.push_back({{"ip", ip}});
  return {{"metadata", {{"name", "istio-eastwestgateway"}}},
          {"spec", {{"type", type}}},
          {"status", {{"loadBalancer", {{"ingress", ingress}}}}}};
}

const exec::Argv k_get_svc{"get", "service", "istio-eastwestgateway", "-n", "istio-system", "-o", "json"};

} // namespace

TEST_CASE("verify::eastwest") {
  const auto check = verify::eastwest_check();

  SUBCASE("multi-network cell: each gateway with an address passes") {
    test::VerifyWorld w{test::kind_locality_lab()};
    w.on_kubectl("east", k_get_svc, gateway_service("LoadBalancer", "127.0.20.1"));
    w.on_kubectl("west", k_get_svc, gateway_service("LoadBalancer", "127.0.20.2"));
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 2);
    CHECK(results[0].subject == "cluster/east");
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[0].message == "istio-eastwestgateway at 127.0.20.1");
  }
  SUBCASE("a cloud load balancer's host name counts as its address") {
    test::VerifyWorld w{test::kind_locality_lab()};
    auto named = gateway_service("LoadBalancer", "");
    named["status"]["loadBalancer"]["ingress"].push_back({{"hostname", "eastwest-1.lb.example"}});
    w.on_kubectl("east", k_get_svc, named);
    w.on_kubectl("west", k_get_svc, gateway_service("LoadBalancer", "127.0.20.2"));
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 2);
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[0].message == "istio-eastwestgateway at eastwest-1.lb.example");
  }
  SUBCASE("a gateway without an address, or missing, fails") {
    test::VerifyWorld w{test::kind_locality_lab()};
    w.on_kubectl("east", k_get_svc, gateway_service("LoadBalancer", ""));
    w.on_kubectl("west", k_get_svc,
                 exec::Completed{.exit_code = 1,
                                 .err = "Error from server (NotFound): services \"istio-eastwestgateway\" not found\n"});
    const auto results = check.run(w.ctx());
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message == "istio-eastwestgateway has no LoadBalancer address yet");
    CHECK(test::evidence_of(results[0]).find("loadBalancer.ingress=<none>") != std::string::npos);
    CHECK(results[1].outcome == verify::Outcome::fail);
    CHECK(results[1].message.find("not found") != std::string::npos);
  }
  SUBCASE("single-network cells and labs without cells are skipped") {
    test::VerifyWorld w{test::kind_locality_lab()};
    w.lab.cells[0].network_mode = lab::NetworkMode::single;
    auto results = check.run(w.ctx());
    REQUIRE(results.size() == 1);
    CHECK(results[0].subject == "cell/mesh");
    CHECK(results[0].outcome == verify::Outcome::skip);
    CHECK(results[0].message == "single-network cell: no east-west gateway");
    CHECK(w.runner.calls().empty());

    w.lab.cells.clear();
    results = check.run(w.ctx());
    REQUIRE(results.size() == 1);
    CHECK(results[0].subject == "lab/kind-locality");
    CHECK(results[0].outcome == verify::Outcome::skip);
  }
}

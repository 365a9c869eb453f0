#include "lab/load.hpp"
#include "pki/ca.hpp"
#include "pki/server_cert.hpp"
#include "support/loopback_tls.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/traffic_world.hpp"
#include "verify/traffic_checks.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace meshlab;

namespace {

nlohmann::json gateway(int port, const std::string& address) {
  nlohmann::json ingress = nlohmann::json::array();
  if (!address.empty()) ingress.push_back({{"ip", address}});
  return {{"metadata", {{"name", "istio-ingressgateway"}, {"namespace", "istio-system"}}},
          {"spec", {{"type", "LoadBalancer"},
                    {"ports", nlohmann::json::array({{{"name", "http2"}, {"port", 80}}, {{"name", "https"}, {"port", port}}})}}},
          {"status", {{"loadBalancer", {{"ingress", ingress}}}}}};
}

} // namespace

TEST_CASE("verify::tls_ingress") {
  test::TempDir dir;
  const auto lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/stamps.yaml");
  lab::Ca ca = lab.ca;
  ca.key_type = "ecdsa"; // quick keys; what is checked does not depend on the key type
  ca.key_size = 256;
  pki::ensure_ca(ca, {"pasta-1"}, dir.path(), dir.path());
  const std::vector<std::string> hosts{"httpbin.blau.demo.lab", "echo.blau.demo.lab", "httpbin.verd.demo.lab",
                                       "echo.verd.demo.lab"};
  test::RecordingRunner runner;
  test::TrafficWorld world(lab, dir.path());
  world.install(runner);
  verify::VerifyContext ctx{lab, dir.path(), runner};

  SUBCASE("every host verifies against the lab root through each cluster's gateway") {
    const auto cert = pki::issue_server_certificate(dir.path(), "pasta-1", hosts);
    test::LoopbackTls server(cert.chain_pem, cert.key_pem, 404);
    for (const char* cluster : {"pasta-1", "pasta-2"})
      world.raw_service(cluster, "istio-system", "istio-ingressgateway", gateway(server.port(), "127.0.0.1"));
    const auto results = verify::check_tls_ingress(ctx, {});
    REQUIRE(results.size() == 8);
    for (const auto& result : results) {
      CAPTURE(result.message);
      CHECK(result.check == "tls-ingress");
      CHECK(result.outcome == verify::Outcome::pass);
    }
    CHECK(results[0].subject == "host/httpbin.blau.demo.lab@pasta-1");
    CHECK(results[1].subject == "host/httpbin.blau.demo.lab@pasta-2");
    CHECK(results[0].message ==
          fmt::format("https://httpbin.blau.demo.lab:{}/ through 127.0.0.1:{} on pasta-1: HTTP 404", server.port(),
                      server.port()));
    const std::vector<std::string> lookup{fmt::format("LoadBalancer 127.0.0.1, port https {}", server.port())};
    CHECK(results[0].evidence[0].lines == lookup);
    const auto names = server.server_names();
    CHECK(std::count(names.begin(), names.end(), "echo.verd.demo.lab") == 2); // SNI is the host, not the address
    // One gateway lookup per cluster, whatever the number of hosts it serves.
    for (const char* cluster : {"pasta-1", "pasta-2"})
      CHECK(world.calls(runner, cluster, {"get", "service", "istio-ingressgateway"}) == 1);
  }

  SUBCASE("a certificate from another CA fails") {
    test::TempDir other;
    pki::ensure_ca(ca, {"pasta-1"}, other.path(), other.path());
    const auto cert = pki::issue_server_certificate(other.path(), "pasta-1", hosts);
    test::LoopbackTls server(cert.chain_pem, cert.key_pem);
    for (const char* cluster : {"pasta-1", "pasta-2"})
      world.raw_service(cluster, "istio-system", "istio-ingressgateway", gateway(server.port(), "127.0.0.1"));
    const auto results = verify::check_tls_ingress(ctx, {});
    REQUIRE(results.size() == 8);
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message.find("certificate") != std::string::npos);
  }

  SUBCASE("a certificate for another host fails") {
    const auto cert = pki::issue_server_certificate(dir.path(), "pasta-1", {"other.demo.lab"});
    test::LoopbackTls server(cert.chain_pem, cert.key_pem);
    world.raw_service("pasta-1", "istio-system", "istio-ingressgateway", gateway(server.port(), "127.0.0.1"));
    const auto results = verify::check_tls_ingress(ctx, {});
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message.find("httpbin.blau.demo.lab") != std::string::npos);
  }

  SUBCASE("a gateway without an address fails and names the cluster") {
    world.raw_service("pasta-1", "istio-system", "istio-ingressgateway", gateway(443, ""));
    const auto results = verify::check_tls_ingress(ctx, {});
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message == "service istio-system/istio-ingressgateway has no LoadBalancer address on pasta-1");
    CHECK(results[1].message == "service istio-system/istio-ingressgateway not found on pasta-2");
  }

  SUBCASE("a lab without hosts is skipped") {
    const auto smoke = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/ci-smoke.yaml");
    verify::VerifyContext smoke_ctx{smoke, dir.path(), runner};
    const auto results = verify::check_tls_ingress(smoke_ctx, {});
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
  }
}

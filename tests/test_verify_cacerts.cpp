#include "verify/core_checks.hpp"

#include "pki/ca.hpp"
#include "support/sample_labs.hpp"
#include "support/verify_world.hpp"
#include "test_pki_support.hpp"
#include "util/base64.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

// The cacerts Secret made from `ca_dir`/ca/<cluster>, as actions/cacerts.cpp applies it.
nlohmann::json cacerts_secret(const std::filesystem::path& ca_dir, const std::string& cluster) {
  nlohmann::json data;
  for (const char* key : {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"})
    data[key] = util::base64_encode(util::read_file(ca_dir / "ca" / cluster / key));
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "cacerts"}}}, {"data", data}};
}

nlohmann::json sidecar_pods(const std::string& ns, const std::string& name) {
  return test::list_of({{{"metadata", {{"namespace", ns}, {"name", name}}},
                         {"spec", {{"containers", {{{"name", "httpbin"}}, {{"name", "istio-proxy"}}}}}},
                         {"status", {{"phase", "Running"}}}}});
}

nlohmann::json envoy_certs(const std::string& uri) {
  return {{"certificates",
           {{{"ca_cert", {{{"path", "<inline>"}}}},
             {"cert_chain", {{{"path", "<inline>"}, {"subject_alt_names", {{{"uri", uri}}}}}}}}}}};
}

const exec::Argv k_get_cacerts{"get", "secret", "cacerts", "-n", "istio-system", "-o", "json"};
const exec::Argv k_get_pods{"get", "pods", "-A", "-l", "security.istio.io/tlsMode=istio", "-o", "json"};

exec::Argv exec_certs(const std::string& ns, const std::string& pod) {
  return {"exec", "-n", ns, pod, "-c", "istio-proxy", "--", "pilot-agent", "request", "GET", "certs"};
}

} // namespace

TEST_CASE("verify::cacerts") {
  const auto check = verify::cacerts_check();
  test::VerifyWorld w{test::multi_primary_lab()};
  pki::ensure_ca(test::small_ca(), {"kube-01", "kube-02"}, w.dir.path(), w.dir.path());
  for (const char* cluster : {"kube-01", "kube-02"}) {
    w.on_kubectl(cluster, k_get_cacerts, cacerts_secret(w.dir.path(), cluster));
    w.on_kubectl(cluster, k_get_pods, sidecar_pods("httpbin", std::string("httpbin-") + cluster));
    w.on_kubectl(cluster, exec_certs("httpbin", std::string("httpbin-") + cluster),
                 envoy_certs("spiffe://cluster.local/ns/httpbin/sa/httpbin"));
  }

  SUBCASE("secrets from the lab CA and workloads in the trust domain pass") {
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 4); // kube-00 is in no cell
    CHECK(results[0].subject == "cluster/kube-01");
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[0].message == "cacerts chains to the lab root");
    CHECK(results[1].subject == "cluster/kube-01/workloads");
    CHECK(results[1].outcome == verify::Outcome::pass);
    CHECK(results[1].message == "httpbin/httpbin-kube-01 has identity spiffe://cluster.local/ns/httpbin/sa/httpbin");
    CHECK(results[3].outcome == verify::Outcome::pass);
    // The Secret is read as secret output, so logs redact it.
    const auto calls = w.runner.calls();
    const auto get = std::find_if(calls.begin(), calls.end(), [&](const exec::Command& c) { return c.argv == w.kubectl("kube-01", k_get_cacerts); });
    REQUIRE(get != calls.end());
    CHECK(get->secret_output);
  }
  SUBCASE("a cacerts signed by another root fails") {
    test::TempDir other;
    pki::ensure_ca(test::small_ca(), {"kube-02"}, other.path(), other.path());
    w.on_kubectl("kube-02", k_get_cacerts, cacerts_secret(other.path(), "kube-02"));
    const auto results = check.run(w.ctx());
    const auto* r = test::find_result(results, "cluster/kube-02");
    REQUIRE(r != nullptr);
    CHECK(r->outcome == verify::Outcome::fail);
    CHECK(r->message.rfind("cacerts does not chain to the lab root: ", 0) == 0);
    CHECK(test::evidence_of(*r).find("get secret cacerts -n istio-system -o json") != std::string::npos);
    CHECK(test::find_result(results, "cluster/kube-01")->outcome == verify::Outcome::pass);
  }
  SUBCASE("a root-cert.pem that is not the lab root fails, even when the intermediate chains") {
    test::TempDir other;
    pki::ensure_ca(test::small_ca(), {"kube-02"}, other.path(), other.path());
    auto secret = cacerts_secret(w.dir.path(), "kube-02");
    secret["data"]["root-cert.pem"] = util::base64_encode(util::read_file(other.path() / "ca" / "root-cert.pem"));
    w.on_kubectl("kube-02", k_get_cacerts, secret);
    const auto results = check.run(w.ctx());
    const auto* r = test::find_result(results, "cluster/kube-02");
    REQUIRE(r != nullptr);
    CHECK(r->outcome == verify::Outcome::fail);
    CAPTURE(r->message);
    CHECK(r->message.rfind("root-cert.pem is not the lab root (", 0) == 0);
    CHECK(r->message.find("meshlab Root CA") != std::string::npos);
  }
  SUBCASE("a missing secret and a missing key fail") {
    w.on_kubectl("kube-01", k_get_cacerts,
                 exec::Completed{.exit_code = 1, .err = "Error from server (NotFound): secrets \"cacerts\" not found\n"});
    auto partial = cacerts_secret(w.dir.path(), "kube-02");
    partial["data"].erase("ca-key.pem");
    w.on_kubectl("kube-02", k_get_cacerts, partial);
    const auto results = check.run(w.ctx());
    CHECK(test::find_result(results, "cluster/kube-01")->message ==
          "kubectl exited with status 1: Error from server (NotFound): secrets \"cacerts\" not found");
    CHECK(test::find_result(results, "cluster/kube-02")->message == "cacerts lacks ca-key.pem");
  }
  SUBCASE("a workload certificate from another trust domain fails") {
    w.on_kubectl("kube-02", exec_certs("httpbin", "httpbin-kube-02"), envoy_certs("spiffe://evil.local/ns/httpbin/sa/httpbin"));
    const auto results = check.run(w.ctx());
    const auto* r = test::find_result(results, "cluster/kube-02/workloads");
    CHECK(r->outcome == verify::Outcome::fail);
    CHECK(r->message == "httpbin/httpbin-kube-02 has identity spiffe://evil.local/ns/httpbin/sa/httpbin; expected one under "
                        "spiffe://cluster.local/");
    CHECK(test::evidence_of(*r).find("URI SAN spiffe://evil.local/ns/httpbin/sa/httpbin") != std::string::npos);
  }
  SUBCASE("no injected pod: the workload part is skipped, not passed") {
    w.on_kubectl("kube-01", k_get_pods, test::list_of(nlohmann::json::array()));
    const auto results = check.run(w.ctx());
    CHECK(test::find_result(results, "cluster/kube-01/workloads")->outcome == verify::Outcome::skip);
  }
  SUBCASE("a lab without cells is skipped") {
    test::VerifyWorld bare{test::multi_primary_lab()};
    bare.lab.cells.clear();
    for (auto& c : bare.lab.clusters) c.cell.clear();
    const auto results = check.run(bare.ctx());
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
  }
}

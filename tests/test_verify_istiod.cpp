#include "verify/core_checks.hpp"

#include "support/sample_labs.hpp"
#include "support/verify_world.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

nlohmann::json deployment(bool available) {
  return {{"metadata", {{"name", "istiod-1-30-3"}}},
          {"status", {{"readyReplicas", available ? 1 : 0},
                      {"conditions", {{{"type", "Available"}, {"status", available ? "True" : "False"}}}}}}};
}

nlohmann::json remote_secret(const std::string& cluster) {
  return {{"metadata", {{"name", "istio-remote-secret-" + cluster}}}, {"data", {{cluster, "a3ViZWNvbmZpZw=="}}}};
}

const exec::Argv k_get_deploy{"get", "deployment", "istiod-1-30-3", "-n", "istio-system", "-o", "json"};
const exec::Argv k_get_secrets{"get", "secrets", "-n", "istio-system", "-l", "istio/multiCluster=true", "-o", "json"};
const exec::Argv k_clusterz{"exec", "deploy/istiod-1-30-3", "-n", "istio-system", "--", "pilot-discovery", "request",
                            "GET", "/debug/clusterz"};

} // namespace

TEST_CASE("verify::istiod") {
  const auto check = verify::istiod_check();
  test::VerifyWorld w{test::multi_primary_lab()};
  w.lab.istio.revision = "1-30-3";
  const std::map<std::string, std::string> peer{{"kube-01", "kube-02"}, {"kube-02", "kube-01"}};
  for (const auto& [cluster, other] : peer) {
    w.on_kubectl(cluster, k_get_deploy, deployment(true));
    w.on_kubectl(cluster, k_get_secrets, test::list_of({remote_secret(other)}));
    w.on_kubectl(cluster, k_clusterz,
                 nlohmann::json::array({{{"id", other}, {"secretName", "istio-system/istio-remote-secret-" + other},
                                         {"syncStatus", "synced"}}}));
  }

  SUBCASE("Available and synced with every peer passes") {
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 2);
    CHECK(results[0].subject == "cluster/kube-01");
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[0].message == "istiod-1-30-3 Available and synced with kube-02");
    CHECK(test::evidence_of(results[0]).find("kube-02 istio-system/istio-remote-secret-kube-02 synced") != std::string::npos);
  }
  SUBCASE("a missing remote secret fails, and so does istiod's view") {
    w.on_kubectl("kube-02", k_get_secrets, test::list_of(nlohmann::json::array()));
    w.on_kubectl("kube-02", k_clusterz, nlohmann::json::array());
    const auto results = check.run(w.ctx());
    const auto* r = test::find_result(results, "cluster/kube-02");
    CHECK(r->outcome == verify::Outcome::fail);
    CHECK(r->message == "no remote secret for kube-01, istiod does not list kube-01");
    CHECK(test::find_result(results, "cluster/kube-01")->outcome == verify::Outcome::pass);
  }
  SUBCASE("a remote cluster that timed out fails") {
    w.on_kubectl("kube-01", k_clusterz,
                 nlohmann::json::array({{{"id", "kube-02"}, {"secretName", "x"}, {"syncStatus", "timeout"}}}));
    CHECK(test::find_result(check.run(w.ctx()), "cluster/kube-01")->message == "kube-02 is timeout, not synced");
  }
  SUBCASE("an istiod that is not Available fails before anything else") {
    w.on_kubectl("kube-01", k_get_deploy, deployment(false));
    const auto results = check.run(w.ctx());
    CHECK(test::find_result(results, "cluster/kube-01")->message == "deployment istiod-1-30-3 is not Available");
    CHECK(w.runner.count(w.kubectl("kube-01", k_clusterz)) == 0);
  }
  SUBCASE("no revision: the deployment is istiod") {
    w.lab.istio.revision.clear();
    w.on_kubectl("kube-01", {"get", "deployment", "istiod", "-n", "istio-system", "-o", "json"},
                 exec::Completed{.exit_code = 1, .err = "Error from server (NotFound): deployments.apps \"istiod\" not found\n"});
    CHECK(test::find_result(check.run(w.ctx()), "cluster/kube-01")->message ==
          "kubectl exited with status 1: Error from server (NotFound): deployments.apps \"istiod\" not found");
  }
  SUBCASE("without istiod in istio.components the check is skipped") {
    w.lab.istio.components = {"base"};
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
  }
}

#include "verify/core_checks.hpp"

#include "support/sample_labs.hpp"
#include "support/verify_world.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

nlohmann::json application(const std::string& name, const std::string& sync, const std::string& health,
                           const std::string& message = "") {
  nlohmann::json status = {{"sync", {{"status", sync}}}, {"health", {{"status", health}}}};
  if (!message.empty()) status["health"]["message"] = message;
  return {{"metadata", {{"name", name}}}, {"status", status}};
}

const exec::Argv k_get_apps{"get", "applications", "-n", "argocd", "-o", "json"};

} // namespace

TEST_CASE("verify::argocd-apps") {
  const auto check = verify::argocd_apps_check();
  test::VerifyWorld w{test::multi_primary_lab()};
  w.lab.argocd.enabled = true;

  SUBCASE("every Application Synced and Healthy passes, one result each") {
    w.on_kubectl("kube-00", k_get_apps,
                 test::list_of({application("kube-01-istiod", "Synced", "Healthy"),
                                application("kube-02-istiod", "Synced", "Healthy")}));
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 2);
    CHECK(results[0].subject == "app/kube-01-istiod");
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[0].message == "Synced and Healthy");
  }
  SUBCASE("a Degraded Application fails with Argo CD's message") {
    w.on_kubectl("kube-00", k_get_apps,
                 test::list_of({application("kube-01-istiod", "Synced", "Healthy"),
                                application("kube-01-httpbin", "OutOfSync", "Degraded", "boom")}));
    const auto results = check.run(w.ctx());
    const auto* r = test::find_result(results, "app/kube-01-httpbin");
    CHECK(r->outcome == verify::Outcome::fail);
    CHECK(r->message == "OutOfSync and Degraded: boom");
    CHECK(test::evidence_of(*r).find("kube-01-httpbin sync=OutOfSync health=Degraded") != std::string::npos);
  }
  SUBCASE("no Applications at all fails") {
    w.on_kubectl("kube-00", k_get_apps, test::list_of(nlohmann::json::array()));
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::fail);
    CHECK(results[0].message == "no Applications in namespace argocd on kube-00");
  }
  SUBCASE("a lab without Argo CD is skipped") {
    w.lab.argocd.enabled = false;
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == verify::Outcome::skip);
    CHECK(w.runner.calls().empty());
  }
}

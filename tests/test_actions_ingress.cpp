#include "actions/coredns.hpp"
#include "actions/ingress.hpp"
#include "actions/mesh_resources.hpp"

#include "pki/host_cert.hpp"
#include "support/bringup_lab.hpp"
#include "support/kube_list.hpp"
#include "util/base64.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using test::Argv;

namespace {

// Adds rendered files to the BringupLab's index, as render_all would list them.
void index_files(const test::BringupLab& lab, const std::vector<std::tuple<std::string, std::string, std::string>>& files) {
  auto index = nlohmann::json::parse(util::read_file(lab.state() / "index.json"));
  for (const auto& [path, kind, cluster] : files)
    index["files"].push_back({{"path", path}, {"kind", kind}, {"cluster", cluster}, {"purpose", "test"}});
  util::write_file_atomic(lab.state() / "index.json", index.dump(2));
}

const std::string k_gateway = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: httpbin-demo-lab\n"
                              "  namespace: istio-system\nspec:\n  selector:\n    istio: ingressgateway\n";

plan::Plan plan_with(const test::BringupLab& lab,
                     void (*add)(plan::PlanBuilder&, const actions::LaunchContext&)) {
  return lab.plan([add](plan::PlanBuilder& builder, const actions::LaunchContext& ctx) {
    for (const auto* cluster : {"east", "west", "lone"})
      builder.add(plan::Step{.id = actions::ids::cluster_cacerts(cluster), .title = "ca", .run = [](plan::StepContext&) {}});
    builder.add(plan::Step{.id = actions::ids::apps_sync(), .title = "sync", .run = [](plan::StepContext&) {}});
    add(builder, ctx);
  });
}

} // namespace

TEST_CASE("actions::ingress") {
  test::BringupLab lab("    hosts: [httpbin.demo.lab]\n");
  pki::ensure_host_certificates(lab.state(), {{"east", "httpbin.demo.lab"}, {"west", "httpbin.demo.lab"}});
  for (const auto* cluster : {"east", "west"})
    util::write_file_atomic(lab.state() / "clusters" / cluster / "ingress/httpbin.demo.lab.yaml", k_gateway);
  index_files(lab, {{"clusters/east/ingress/httpbin.demo.lab.yaml", "ingress", "east"},
                    {"clusters/west/ingress/httpbin.demo.lab.yaml", "ingress", "west"}});
  const auto plan = plan_with(lab, actions::add_ingress_steps);
  test::RecordingRunner runner;
  runner.on_prefix(lab.kubectl("east", {"apply"}), exec::Completed{.out = "applied\n"});
  const auto crt = util::read_file(lab.state() / "ca/east/ingress/httpbin.demo.lab/tls.crt");

  SUBCASE("after apps/sync, on the app's clusters only") {
    CHECK(test::needs_of(plan, "ingress/east") == std::vector<std::string>{"apps/sync"});
    CHECK(plan.find("ingress/west") != nullptr);
    CHECK(plan.find("ingress/lone") == nullptr); // httpbin targets cell mesh
  }

  SUBCASE("the kubernetes.io/tls secret through stdin marked secret, then the Gateway") {
    const auto run = test::run_step(plan, "ingress/east", runner, {});
    REQUIRE(runner.calls().size() == 2);
    const auto secret_call = runner.calls()[0];
    CHECK(secret_call.secret_input);
    const auto docs = test::yaml_docs(*secret_call.input);
    REQUIRE(docs.size() == 1);
    CHECK(docs[0]["type"].as<std::string>() == "kubernetes.io/tls");
    CHECK(docs[0]["metadata"]["name"].as<std::string>() == "httpbin-demo-lab-tls");
    CHECK(docs[0]["metadata"]["namespace"].as<std::string>() == "istio-system");
    CHECK(docs[0]["data"]["tls.crt"].as<std::string>() == util::base64_encode(crt));
    CHECK(docs[0]["data"]["tls.key"].as<std::string>() ==
          util::base64_encode(util::read_file(lab.state() / "ca/east/ingress/httpbin.demo.lab/tls.key")));
    CHECK(!runner.calls()[1].secret_input);
    CHECK(*runner.calls()[1].input == k_gateway);
    CHECK(run.facts.at("hosts") == "1");
  }

  SUBCASE("resume: done while the secret holds the current certificate and the Gateway exists") {
    // East's checks read istio-system's Secrets and the Istio objects, one call each.
    const auto get_secrets = lab.kubectl("east", {"get", "secret", "-n", "istio-system", "-o", "json"});
    const auto get_gateways =
        lab.kubectl("east", {"get", "gateway.networking.istio.io", "-n", "istio-system", "-o", "json"});
    const auto tls = [](const std::string& crt_data) {
      return test::kube_object("v1", "Secret", "istio-system", "httpbin-demo-lab-tls",
                               {{"data", {{"tls.crt", crt_data}}}});
    };
    runner.on(get_secrets, exec::Completed{.out = test::kube_list({tls(util::base64_encode(crt))})}); // first verify
    runner.on(get_secrets, exec::Completed{.out = test::kube_list({tls(util::base64_encode("old"))})}); // second
    runner.on(get_gateways, exec::Completed{.out = test::kube_list({test::kube_object(
                                                "networking.istio.io/v1", "Gateway", "istio-system", "httpbin-demo-lab")})});
    CHECK(plan.find("ingress/east")->verify(runner));
    CHECK(runner.count(lab.kubectl("east")) == 2);
    CHECK(runner.calls()[0].secret_output);
    lab.snapshot().forget();
    CHECK_FALSE(plan.find("ingress/east")->verify(runner));
  }
}

TEST_CASE("actions::coredns") {
  test::BringupLab lab;
  const std::string config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n"
                             "data:\n  Corefile: |\n    .:53 {}\n";
  util::write_file_atomic(lab.state() / "clusters/east/coredns.yaml", config);
  index_files(lab, {{"clusters/east/coredns.yaml", "coredns", "east"}});
  const auto plan = plan_with(lab, actions::add_coredns_steps);
  test::RecordingRunner runner;

  SUBCASE("applied once the cluster is ready, then CoreDNS restarted to read it") {
    CHECK(test::needs_of(plan, "cluster/east/dns") == std::vector<std::string>{"cluster/east/ready"});
    CHECK(plan.find("cluster/west/dns") == nullptr); // nothing rendered for it
    runner.on_prefix(lab.kubectl("east"), exec::Completed{.out = "ok\n"});
    test::run_step(plan, "cluster/east/dns", runner, {});
    REQUIRE(runner.calls().size() == 2);
    CHECK(*runner.calls()[0].input == config);
    CHECK(runner.argvs()[1] == lab.kubectl("east", {"rollout", "restart", "deployment/coredns", "-n", "kube-system"}));
  }
}

TEST_CASE("actions::mesh_resources") {
  test::BringupLab lab;
  const std::string gateway = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n"
                              "  name: cross-network-gateway\n  namespace: istio-system\n";
  util::write_file_atomic(lab.state() / "clusters/west/istio/cross-network-gateway.yaml", gateway);
  index_files(lab, {{"clusters/west/istio/cross-network-gateway.yaml", "istio", "west"}});
  const auto plan = plan_with(lab, actions::add_mesh_resource_steps);
  test::RecordingRunner runner;

  SUBCASE("the cross-network Gateway applied after the apps synced") {
    CHECK(test::needs_of(plan, "istio/west/resources") == std::vector<std::string>{"apps/sync"});
    CHECK(plan.find("istio/east/resources") == nullptr);
    runner.on_prefix(lab.kubectl("west", {"apply"}), exec::Completed{.out = "applied\n"});
    test::run_step(plan, "istio/west/resources", runner, {});
    REQUIRE(runner.calls().size() == 1);
    CHECK(*runner.calls()[0].input == gateway);
  }

  SUBCASE("resume: done while the objects exist") {
    const auto get = lab.kubectl("west", {"get", "gateway.networking.istio.io", "-n", "istio-system", "-o", "json"});
    runner.on(get, exec::Completed{.out = test::kube_list({test::kube_object("networking.istio.io/v1", "Gateway",
                                                                              "istio-system", "cross-network-gateway")})});
    runner.on(get, exec::Completed{.out = test::kube_list({})});
    CHECK(plan.find("istio/west/resources")->verify(runner));
    lab.snapshot().forget();
    CHECK_FALSE(plan.find("istio/west/resources")->verify(runner));
  }

  SUBCASE("resume: Istio's CRDs not installed (a check that throws counts as not done)") {
    const auto get = lab.kubectl("west", {"get", "gateway.networking.istio.io", "-n", "istio-system", "-o", "json"});
    runner.on(get, exec::Completed{.exit_code = 1,
                                   .err = "error: the server doesn't have a resource type \"gateway\"\n"});
    CHECK_THROWS_AS(plan.find("istio/west/resources")->verify(runner), CommandError);
  }
}

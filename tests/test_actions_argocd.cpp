#include "actions/argocd.hpp"

#include "net/http.hpp"
#include "support/bringup_lab.hpp"
#include "support/loopback_http.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using namespace std::chrono_literals;
using test::Argv;

namespace {

const std::string k_manifest = "kind: Namespace\n# a stand-in for install.yaml\n";
const Argv k_apply{"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"};

std::string workloads(bool ready) {
  const nlohmann::json available = {{"conditions", {{{"type", "Available"}, {"status", ready ? "True" : "False"}}}}};
  return nlohmann::json{
      {"items",
       {{{"kind", "Deployment"}, {"metadata", {{"name", "argocd-server"}}}, {"status", available}},
        {{"kind", "Deployment"}, {"metadata", {{"name", "argocd-repo-server"}}}, {"status", available}},
        {{"kind", "StatefulSet"},
         {"metadata", {{"name", "argocd-application-controller"}}},
         {"spec", {{"replicas", 1}}},
         {"status", {{"readyReplicas", ready ? 1 : 0}}}}}}}
      .dump();
}

std::string service(const std::string& ip) {
  nlohmann::json lb = nlohmann::json::object();
  if (!ip.empty()) lb["ingress"] = {{{"ip", ip}}};
  return nlohmann::json{{"metadata", {{"name", "argocd-server"}}}, {"status", {{"loadBalancer", lb}}}}.dump();
}

std::string token_secret(const std::string& token) {
  return nlohmann::json{{"data", {{"token", util::base64_encode(token)}, {"ca.crt", "Q0EtUEVN"}}}}.dump();
}

} // namespace

TEST_CASE("actions::argocd install") {
  test::LoopbackHttp server([](const test::LoopbackHttp::Seen& seen) -> std::pair<int, std::string> {
    if (seen.request_line.find("install.yaml") != std::string::npos) return {200, k_manifest};
    return {404, "not found"};
  });
  test::BringupLab lab("argocd:\n  version: v3.5.1\n  manifest: " + server.url("/manifests/install.yaml") + "\n");
  const auto plan = lab.plan(actions::add_argocd_steps);
  const auto cache = lab.state() / "cache/argocd-v3.5.1-install.yaml";
  test::RecordingRunner runner;
  runner.on_prefix(lab.kubectl("hub", {"apply"}), exec::Completed{.out = "namespace/argocd serverside-applied\n"});
  const auto list = lab.kubectl("hub", {"get", "deployments,statefulsets", "-n", "argocd", "-o", "json"});
  const auto get_service = lab.kubectl("hub", {"get", "service", "argocd-server", "-o", "json", "-n", "argocd"});

  SUBCASE("plan: install after the Argo CD cluster, a registration per workload cluster") {
    CHECK(test::needs_of(plan, "argocd/install") == std::vector<std::string>{"cluster/hub/ready"});
    CHECK(test::needs_of(plan, "argocd/register/east") ==
          std::vector<std::string>{"argocd/install", "cluster/east/ready", "cluster/east/kubeconfig"});
    CHECK(plan.find("argocd/register/west") != nullptr);
    CHECK(plan.find("argocd/register/lone") != nullptr);
    CHECK(plan.find("argocd/register/hub") == nullptr); // in no cell: nothing targets it
  }

  SUBCASE("downloads once, applies server-side, waits, exposes argocd-server") {
    runner.on(list, exec::Completed{.out = workloads(false)});
    runner.on(list, exec::Completed{.out = workloads(true)});
    runner.on(get_service, exec::Completed{.out = service("")});
    runner.on(get_service, exec::Completed{.out = service("127.0.20.5")});
    const auto run = test::run_step(plan, "argocd/install", runner, {});
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() == 7);
    CHECK(argvs[0] == lab.kubectl("hub", k_apply));
    CHECK(test::yaml_docs(*runner.calls()[0].input)[0]["metadata"]["name"].as<std::string>() == "argocd");
    CHECK(argvs[1] == lab.kubectl("hub", {"apply", "-n", "argocd", "--server-side", "--field-manager=meshlab",
                                          "--force-conflicts", "-f", cache.string()}));
    CHECK(argvs[2] == list);
    CHECK(argvs[3] == list);
    CHECK(argvs[4] == lab.kubectl("hub", {"patch", "service", "argocd-server", "-n", "argocd", "--type", "merge", "-p",
                                          R"({"spec":{"type":"LoadBalancer"}})"}));
    CHECK(argvs[5] == get_service);
    CHECK(argvs[6] == get_service);
    CHECK(util::read_file(cache) == k_manifest);
    CHECK(run.facts.at("manifest_sha256") == net::sha256_hex(k_manifest));
    CHECK(run.facts.at("url") == "https://127.0.20.5");
    CHECK(server.seen().size() == 1);

    SUBCASE("a second run reuses the verified cache") {
      test::run_step(plan, "argocd/install", runner, {});
      CHECK(server.seen().size() == 1);
    }
    SUBCASE("a cache changed on disk is downloaded again") {
      util::write_file_atomic(cache, "tampered");
      std::ostringstream log;
      const auto again = actions::cache_install_manifest(lab.lab().argocd, lab.state(), log);
      CHECK(again.downloaded);
      CHECK(log.str().find("downloading again") != std::string::npos);
      CHECK(util::read_file(cache) == k_manifest);
      CHECK(server.seen().size() == 2);
    }
  }

  SUBCASE("a failed download fails the step before the manifest is applied") {
    auto argocd = lab.lab().argocd;
    argocd.manifest = server.url("/missing.yaml");
    std::ostringstream log;
    CHECK_THROWS_WITH_AS(actions::cache_install_manifest(argocd, lab.state(), log),
                         doctest::Contains("HTTP status 404"), Error);
    CHECK_FALSE(std::filesystem::exists(cache));
  }

  SUBCASE("the wait names what is not ready when it times out") {
    runner.on(list, exec::Completed{.out = workloads(false)});
    const kube::Kubectl kubectl(runner, lab.state() / "kubeconfigs/hub.yaml", "bring-hub");
    CHECK_THROWS_WITH_AS(actions::wait_for_argocd(kubectl, util::Clock::now() + 300ms),
                         doctest::Contains("statefulset/argocd-application-controller 0/1 ready"), Error);
  }

  SUBCASE("a dry run shows the commands without downloading or waiting") {
    test::RecordingRunner dry; // every command "succeeds" printing nothing, as DryRunRunner does
    const auto run = test::run_step(plan, "argocd/install", dry, {});
    CHECK(server.seen().empty());
    CHECK(dry.argvs().size() == 5); // namespace, manifest, one look at the workloads, patch, one at the service
    CHECK(dry.argvs()[1].back() == cache.string());
    CHECK(run.facts.count("url") == 0);
  }
}

TEST_CASE("actions::argocd register") {
  test::BringupLab lab;
  const auto plan = lab.plan(actions::add_argocd_steps);
  test::RecordingRunner runner;
  for (const auto* c : {"hub", "east"})
    runner.on_prefix(lab.kubectl(c, {"apply"}), exec::Completed{.out = "serverside-applied\n"});
  const auto get_token =
      lab.kubectl("east", {"get", "secret", "argocd-manager-long-lived-token", "-o", "json", "-n", "kube-system"});
  runner.on(get_token, exec::Completed{.exit_code = 1, .err = "Error from server (NotFound): secrets not found"});
  runner.on(get_token, exec::Completed{.out = R"({"data": {}})"});
  runner.on(get_token, exec::Completed{.out = token_secret("tok-east")});

  SUBCASE("account on the cluster, then the cluster Secret next to Argo CD") {
    const auto run = test::run_step(plan, "argocd/register/east", runner, test::BringupLab::earlier_facts({"east"}));
    const auto calls = runner.calls();
    REQUIRE(calls.size() == 5);
    CHECK(calls[0].argv == lab.kubectl("east", k_apply));
    const auto account = test::yaml_docs(*calls[0].input);
    REQUIRE(account.size() == 4);
    CHECK(account[0]["kind"].as<std::string>() == "ServiceAccount");
    CHECK(account[0]["metadata"]["name"].as<std::string>() == "argocd-manager");
    CHECK(account[0]["metadata"]["namespace"].as<std::string>() == "kube-system");
    CHECK(account[1]["kind"].as<std::string>() == "ClusterRole");
    CHECK(account[1]["rules"][0]["verbs"][0].as<std::string>() == "*");
    CHECK(account[1]["rules"][1]["nonResourceURLs"][0].as<std::string>() == "*");
    CHECK(account[2]["kind"].as<std::string>() == "ClusterRoleBinding");
    CHECK(account[2]["subjects"][0]["name"].as<std::string>() == "argocd-manager");
    CHECK(account[3]["type"].as<std::string>() == "kubernetes.io/service-account-token");
    CHECK(account[3]["metadata"]["annotations"]["kubernetes.io/service-account.name"].as<std::string>() ==
          "argocd-manager");
    for (int i = 1; i <= 3; ++i) {
      CHECK(calls[static_cast<std::size_t>(i)].argv == get_token);
      CHECK(calls[static_cast<std::size_t>(i)].secret_output);
    }

    CHECK(calls[4].argv == lab.kubectl("hub", k_apply));
    CHECK(calls[4].secret_input);
    const auto secret = test::yaml_docs(*calls[4].input);
    REQUIRE(secret.size() == 1);
    const auto& meta = secret[0]["metadata"];
    CHECK(meta["name"].as<std::string>() == "cluster-bring-east");
    CHECK(meta["namespace"].as<std::string>() == "argocd");
    const auto labels = meta["labels"];
    CHECK(labels["argocd.argoproj.io/secret-type"].as<std::string>() == "cluster");
    CHECK(labels["meshlab.dev/lab"].as<std::string>() == "bring");
    CHECK(labels["meshlab.dev/cluster"].as<std::string>() == "east");
    CHECK(labels["meshlab.dev/cell"].as<std::string>() == "mesh");
    CHECK(labels["meshlab.dev/network"].as<std::string>() == "east-net");
    CHECK(labels["topology.kubernetes.io/region"].as<std::string>() == "eu");
    CHECK(labels["topology.kubernetes.io/zone"].as<std::string>() == "zone-a");
    const auto data = secret[0]["stringData"];
    CHECK(data["name"].as<std::string>() == "bring-east");
    CHECK(data["server"].as<std::string>() == "https://bring-east-control-plane:6443");
    const auto config = nlohmann::json::parse(data["config"].as<std::string>());
    CHECK(config["bearerToken"] == "tok-east");
    CHECK(config["tlsClientConfig"]["caData"] == "Q0EtUEVN");
    CHECK(config["tlsClientConfig"]["insecure"] == false);
    CHECK(run.facts.at("server") == "https://bring-east-control-plane:6443");
    // Which cluster it reached: a re-created one (new CA) makes argocd/apps run again.
    CHECK(run.facts.at("cluster_ca_sha256") == net::sha256_hex("Q0EtUEVN"));
    for (const auto& call : calls)
      for (const auto& arg : call.argv) CHECK(arg.find("tok-east") == std::string::npos);
  }

  SUBCASE("without the cluster's internal address the step says which fact is missing") {
    CHECK_THROWS_WITH_AS(test::run_step(plan, "argocd/register/east", runner, {}),
                         doctest::Contains("cluster/east/kubeconfig recorded no internal_server"), Error);
  }
}

TEST_CASE("actions::argocd register the Argo CD cluster itself") {
  test::BringupLab lab("", "{provider: kind, role: management, cell: mesh, network: hub-net}");
  const auto plan = lab.plan(actions::add_argocd_steps);
  REQUIRE(plan.find("argocd/register/hub") != nullptr);
  test::RecordingRunner runner;
  runner.on_prefix(lab.kubectl("hub", {"apply"}), exec::Completed{.out = "serverside-applied\n"});
  runner.on(lab.kubectl("hub", {"get", "secret", "argocd-manager-long-lived-token", "-o", "json", "-n", "kube-system"}),
            exec::Completed{.out = token_secret("tok-hub")});
  test::run_step(plan, "argocd/register/hub", runner, {}); // needs no internal address
  const auto secret = test::yaml_docs(*runner.calls().back().input);
  CHECK(secret[0]["stringData"]["server"].as<std::string>() == "https://kubernetes.default.svc");
  CHECK(secret[0]["stringData"]["name"].as<std::string>() == "bring-hub");
}

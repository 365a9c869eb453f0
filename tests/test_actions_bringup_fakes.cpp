// The bring-up steps (cacerts, Argo CD install and registration, apps, remote secrets) run
// for real against the fakes of tests/fakes: proves that the argv and stdin they produce
// are accepted by a kubectl faithful to the contracts, and that the simulated Argo CD
// controller finds every app's destination registered with a working token.
#include "actions/apps.hpp"
#include "actions/argocd.hpp"
#include "actions/cacerts.hpp"
#include "actions/remote_secrets.hpp"
#include "plan/executor.hpp"
#include "support/bringup_lab.hpp"
#include "support/bringup_fakes.hpp"
#include "util/base64.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

// Every file under `dir`, concatenated.
std::string all_logs(const std::filesystem::path& dir) {
  std::string text;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) text += util::read_file(entry.path());
  return text;
}

} // namespace

TEST_CASE("actions bring-up against the fakes") {
  test::FakeTools fakes;
  exec::PosixRunner runner;
  test::BackgroundProcess api({"python3", test::k_fakes + "/argocd_api.py", "--exit-on-stdin-eof"});
  const auto url = api.read_line();
  REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
  test::BringupLab lab("argocd:\n  manifest: " + url + "/manifests/install.yaml\n");

  std::map<std::string, std::string> internal;
  for (const auto& cluster : lab.lab().clusters)
    internal[cluster.name] =
        test::create_kind_cluster(runner, lab.lab().instance_name(cluster.name), lab.ctx().kubeconfig_for(cluster));

  plan::PlanBuilder builder;
  for (const auto& [name, server] : internal) {
    builder.add(plan::Step{.id = actions::ids::cluster_kubeconfig(name),
                           .title = "kubeconfig of " + name,
                           .run = [server = server](plan::StepContext& sc) { sc.facts["internal_server"] = server; }});
    builder.add(plan::Step{.id = actions::ids::cluster_ready(name),
                           .title = "ready " + name,
                           .needs = {actions::ids::cluster_kubeconfig(name)},
                           .run = [](plan::StepContext&) {}});
  }
  const auto ctx = lab.ctx();
  actions::add_cacerts_steps(builder, ctx);
  actions::add_argocd_steps(builder, ctx);
  actions::add_apps_steps(builder, ctx);
  actions::add_remote_secrets_steps(builder, ctx);
  const auto plan = builder.build();

  test::NullStatus status;
  const auto logs = fakes.dir() / "logs";
  const auto result = plan::execute(plan, runner, status, {.jobs = 4, .log_dir = logs});
  for (const auto& step : result.steps) {
    CAPTURE(step.id);
    CAPTURE(step.error);
    CAPTURE(step.detail);
    CHECK(step.status == plan::StepStatus::done);
  }
  REQUIRE(result.ok());
  CHECK(result.find("argocd/install")->facts.at("url").rfind("https://127.", 0) == 0);

  const auto kubectl = [&](const std::string& cluster, exec::Argv rest) {
    exec::Argv argv = lab.kubectl(cluster, {});
    argv.insert(argv.end(), rest.begin(), rest.end());
    return test::run_checked(runner, argv).out;
  };
  { // cacerts carries the cluster's intermediate
    const auto cert =
        kubectl("west", {"get", "secret", "cacerts", "-n", "istio-system", "-o", "jsonpath={.data.ca-cert\\.pem}"});
    CHECK(util::base64_decode(cert) == util::read_file(lab.state() / "ca/west/ca-cert.pem"));
    CHECK(kubectl("east", {"get", "ns", "istio-system", "-o",
                           "jsonpath={.metadata.labels.topology\\.istio\\.io/network}"}) == "east-net");
  }
  { // every workload cluster is registered and every app is Synced and Healthy
    const auto secrets = kubectl(
        "hub", {"get", "secrets", "-n", "argocd", "-l", "argocd.argoproj.io/secret-type=cluster", "-o", "name"});
    CHECK(secrets == "secret/cluster-bring-east\nsecret/cluster-bring-lone\nsecret/cluster-bring-west\n");
    const auto apps = nlohmann::json::parse(kubectl("hub", {"get", "applications", "-n", "argocd", "-o", "json"}));
    REQUIRE(apps["items"].size() == 2);
    for (const auto& app : apps["items"]) {
      CHECK(app["status"]["sync"]["status"] == "Synced");
      CHECK(app["status"]["health"]["status"] == "Healthy");
    }
    // Argo CD's first sync made the destination namespace on the target.
    CHECK(kubectl("east", {"get", "ns", "httpbin", "-o", "name"}) == "namespace/httpbin\n");
  }
  { // the remote secrets point at the other cluster's internal API
    const auto secret = nlohmann::json::parse(
        kubectl("east", {"get", "secret", "istio-remote-secret-west", "-n", "istio-system", "-o", "json"}));
    CHECK(secret["metadata"]["labels"]["istio/multiCluster"] == "true");
    const auto config = YAML::Load(*util::base64_decode(secret["data"]["west"].get<std::string>()));
    CHECK(config["clusters"][0]["cluster"]["server"].as<std::string>() == internal["west"]);
  }
  { // every resume check confirms what the steps did, and notices when it is undone
    for (const auto& step : plan.steps()) {
      CAPTURE(step.id);
      if (step.verify) CHECK(step.verify(runner));
    }
    kubectl("hub", {"delete", "secret", "cluster-bring-west", "-n", "argocd"});
    kubectl("west", {"delete", "secret", "istio-remote-secret-east", "-n", "istio-system"});
    kubectl("lone", {"delete", "secret", "cacerts", "-n", "istio-system"});
    // The checks of one run share what they read until a step runs; these deletions went
    // behind the plan's back, so the next checks must be told to read again.
    for (const auto* id : {"argocd/register/west", "cluster/lone/cacerts"}) CHECK(plan.find(id)->verify(runner));
    ctx.snapshot->forget();
    for (const auto* id : {"argocd/register/west", "mesh/mesh/remote-secrets", "cluster/lone/cacerts"}) {
      CAPTURE(id);
      CHECK_FALSE(plan.find(id)->verify(runner));
    }
    CHECK(plan.find("argocd/register/east")->verify(runner));
  }
  { // no token reached a log
    const auto text = all_logs(logs);
    CHECK(text.find("bytes redacted") != std::string::npos);
    for (const std::string cluster : {"east", "west", "lone"}) {
      const auto token = util::base64_decode(kubectl(cluster, {"get", "secret", "argocd-manager-long-lived-token", "-n",
                                                               "kube-system", "-o", "jsonpath={.data.token}"}));
      REQUIRE(token);
      REQUIRE(!token->empty());
      CHECK(text.find(*token) == std::string::npos);
    }
    CHECK(text.find("PRIVATE KEY") == std::string::npos);
  }
}

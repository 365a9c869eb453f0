#include "actions/external_delete.hpp"

#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

namespace {

lab::Lab external_lab(const test::TempDir& dir) {
  lab::Lab lab;
  lab.name = "ext-lab";
  lab.prefix = "ext";
  lab.state_dir = dir.path().string();
  lab::Cluster home{.name = "home", .provider = lab::Provider::external, .role = lab::ClusterRole::management};
  home.kubeconfig = (dir / "user.kubeconfig").string();
  home.context = "home-admin";
  lab.clusters.push_back(home);
  lab.clusters.push_back(lab::Cluster{.name = "east", .provider = lab::Provider::kind});
  return lab;
}

} // namespace

TEST_CASE("actions::delete_external_objects") {
  test::TempDir dir;
  const auto lab = external_lab(dir);
  const actions::LaunchContext ctx{.lab = lab, .state_dir = dir.path(), .provider = {}};
  test::RecordingRunner runner;
  const Argv user{"kubectl", "--kubeconfig", (dir / "user.kubeconfig").string(), "--context", "home-admin"};
  auto with = [](Argv base, const Argv& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  };
  const Argv get_left = with(user, {"get", "secrets,serviceaccounts,clusterrolebindings,clusterroles,namespaces",
                                    "--all-namespaces", "-l", "meshlab.dev/lab=ext-lab", "-o", "name"});

  SUBCASE("deletes this lab's labelled objects per kind, only on external clusters, and reports them") {
    runner.on(with(user, {"delete", "secrets", "-l", "meshlab.dev/lab=ext-lab", "--ignore-not-found", "-o", "name",
                          "--all-namespaces"}),
              Completed{.out = "secret/cacerts\nsecret/cluster-ext-east\n"});
    const auto result = actions::delete_external_objects(ctx, runner);
    CHECK(result.ok());
    CHECK(result.removed == std::vector<std::string>{"secret/cacerts on external cluster home (context home-admin)",
                                                     "secret/cluster-ext-east on external cluster home (context "
                                                     "home-admin)"});
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() == 6); // five kinds, then one look at what is left
    CHECK(argvs[4] == with(user, {"delete", "namespaces", "-l", "meshlab.dev/lab=ext-lab", "--ignore-not-found",
                                  "-o", "name"}));
    CHECK(argvs[5] == get_left);
    for (const auto& argv : argvs) CHECK(argv[0] == "kubectl"); // the kind cluster is not asked
  }
  SUBCASE("meshlab's own kubeconfig for the cluster while it is there") {
    util::write_file_atomic(dir / "kubeconfigs/home.yaml", "apiVersion: v1\nkind: Config\n");
    actions::delete_external_objects(ctx, runner);
    CHECK(runner.argvs().front()[2] == (dir / "kubeconfigs/home.yaml").string());
    CHECK(runner.argvs().front()[4] == "ext-home");
  }
  SUBCASE("what is still there afterwards is reported") {
    runner.on(get_left, Completed{.out = "namespace/istio-system\n"});
    runner.on_prefix(with(user, {"delete", "namespaces"}),
                     Completed{.exit_code = 1, .err = "Error from server (Forbidden): namespaces is forbidden\n"});
    const auto result = actions::delete_external_objects(ctx, runner);
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems[0] ==
          "could not delete namespace/istio-system on external cluster home (context home-admin) (namespaces: Error "
          "from server (Forbidden): namespaces is forbidden)");
  }
  SUBCASE("Argo CD on the external cluster: every Application of the lab goes first, through Argo CD") {
    auto with_argocd = lab;
    with_argocd.argocd.enabled = true; // on the management cluster, home
    const actions::LaunchContext argo_ctx{.lab = with_argocd, .state_dir = dir.path(), .provider = {}};
    const auto apps_of = [&](const std::string& cluster) {
      return with(user, {"delete", "applications.argoproj.io", "-n", "argocd", "-l", "meshlab.dev/cluster=" + cluster,
                         "--ignore-not-found", "--wait=true", "--timeout=4m", "-o", "name"});
    };
    runner.on(apps_of("east"), Completed{.out = "application.argoproj.io/east-istiod\n"});
    const auto result = actions::delete_external_objects(argo_ctx, runner);
    CHECK(result.ok());
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() == 8); // the Applications of both clusters, then as before
    CHECK(argvs[0] == apps_of("home")); // before the credentials Argo CD needs for them are gone
    CHECK(argvs[1] == apps_of("east"));
    CHECK(result.removed.front() == "application.argoproj.io/east-istiod (and what it deployed on east) on external "
                                    "cluster home (context home-admin)");
  }
  SUBCASE("Argo CD on a cluster meshlab owns: only the Applications of external clusters, while it runs") {
    lab::Lab local = lab;
    local.argocd.enabled = true;
    local.clusters[0].role = lab::ClusterRole::workload;   // home: an external workload cluster
    local.clusters[1].role = lab::ClusterRole::management; // east: kind, runs Argo CD
    const actions::LaunchContext local_ctx{.lab = local, .state_dir = dir.path(), .provider = {}};
    actions::delete_external_objects(local_ctx, runner); // never launched: no kubeconfig for east
    CHECK(runner.count({"kubectl", "--kubeconfig", (dir / "kubeconfigs/east.yaml").string()}) == 0);

    util::write_file_atomic(dir / "kubeconfigs/east.yaml", "apiVersion: v1\nkind: Config\n");
    const Argv apps{"kubectl", "--kubeconfig", (dir / "kubeconfigs/east.yaml").string(), "--context", "ext-east",
                    "delete", "applications.argoproj.io", "-n", "argocd", "-l", "meshlab.dev/cluster=home",
                    "--ignore-not-found", "--wait=true", "--timeout=4m", "-o", "name"};
    runner.on(apps, Completed{.exit_code = 1, .err = "error: timed out waiting for the condition\n"});
    const auto result = actions::delete_external_objects(local_ctx, runner);
    CHECK(runner.count(apps) == 1);
    REQUIRE_FALSE(result.problems.empty());
    CHECK(result.problems[0] == "could not delete the Argo CD Applications of cluster home on Argo CD's cluster east "
                                "(context ext-east): error: timed out waiting for the condition");
    CHECK(runner.count(with(user, {"delete", "secrets"})) == 2); // the labelled objects go all the same
  }
  SUBCASE("an unreachable cluster is a problem naming it") {
    runner.on_prefix(user, Completed{.exit_code = 1, .err = "The connection to the server 127.0.30.2:6443 was "
                                                            "refused - did you specify the right host or port?\n"});
    const auto result = actions::delete_external_objects(ctx, runner);
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems[0].starts_with("cannot tell what lab ext-lab left on external cluster home"));
    CHECK(result.problems[0].find("was refused") != std::string::npos);
  }
}

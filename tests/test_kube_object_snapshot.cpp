#include "kube/object_snapshot.hpp"

#include "support/kube_list.hpp"
#include "support/recording_runner.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace meshlab;
using exec::Argv;
using exec::Completed;
using kube::SnapshotRead;
using kube::Want;
using test::kube_list;
using test::kube_object;

namespace {

// The reads plan_snapshot_reads makes, as kubectl arguments.
std::vector<Argv> read_args(const std::set<Want>& wants) {
  std::vector<Argv> args;
  for (const auto& read : kube::plan_snapshot_reads(wants)) args.push_back(read.args());
  return args;
}

Argv kubectl(const std::string& cluster, const Argv& rest) {
  Argv argv{"kubectl", "--kubeconfig", "/s/kubeconfigs/" + cluster + ".yaml", "--context", cluster};
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

std::vector<std::string> names(const std::optional<nlohmann::json>& items) {
  std::vector<std::string> out;
  for (const auto& item : items.value()) out.push_back(item["metadata"]["name"]);
  return out;
}

} // namespace

TEST_CASE("kube::plan_snapshot_reads") {
  SUBCASE("built-in kinds: one read per namespace, cluster-scoped kinds with the first") {
    CHECK(read_args({{"secret", "istio-system"}, {"node", ""}, {"namespace", ""}, {"configmap", "kube-system"}}) ==
          std::vector<Argv>{{"get", "namespace,node,secret", "-n", "istio-system", "-o", "json"},
                            {"get", "configmap", "-n", "kube-system", "-o", "json"}});
    CHECK(read_args({{"node", ""}}) == std::vector<Argv>{{"get", "node", "-o", "json"}});
  }
  SUBCASE("apps is read with core: both are always served") {
    CHECK(read_args({{"deployment.apps", "argocd"}, {"statefulset.apps", "argocd"}, {"secret", "argocd"}}) ==
          std::vector<Argv>{{"get", "deployment.apps,secret,statefulset.apps", "-n", "argocd", "-o", "json"}});
  }
  SUBCASE("a CRD group: one read, across namespaces only when its objects are spread") {
    CHECK(read_args({{"gateway.networking.istio.io", "istio-system"},
                     {"virtualservice.networking.istio.io", "istio-system"}}) ==
          std::vector<Argv>{{"get", "gateway.networking.istio.io,virtualservice.networking.istio.io", "-n",
                             "istio-system", "-o", "json"}});
    CHECK(read_args({{"gateway.networking.istio.io", "istio-system"},
                     {"virtualservice.networking.istio.io", "applab"}}) ==
          std::vector<Argv>{
              {"get", "gateway.networking.istio.io,virtualservice.networking.istio.io", "-A", "-o", "json"}});
  }
  SUBCASE("groups are never mixed: a missing CRD fails only its own read") {
    const auto reads = kube::plan_snapshot_reads({{"application.argoproj.io", "argocd"},
                                                  {"ipaddresspool.metallb.io", "metallb-system"},
                                                  {"secret", "argocd"}});
    REQUIRE(reads.size() == 3);
    for (const auto& read : reads) CHECK(read.covers.size() == 1);
  }
  SUBCASE("a read of Secrets keeps its output out of logs") {
    const auto reads = kube::plan_snapshot_reads({{"secret", "a"}, {"configmap", "b"}});
    REQUIRE(reads.size() == 2);
    CHECK(reads[0].secret());
    CHECK_FALSE(reads[1].secret());
  }
}

TEST_CASE("kube::ObjectSnapshot") {
  test::RecordingRunner runner;
  const kube::Kubectl east(runner, "/s/kubeconfigs/east.yaml", "east");
  const kube::Kubectl west(runner, "/s/kubeconfigs/west.yaml", "west");
  kube::ObjectSnapshot snapshot;
  for (const auto* cluster : {"east", "west"}) {
    const std::string config = std::string("/s/kubeconfigs/") + cluster + ".yaml";
    snapshot.expect(config, cluster, "secret", "istio-system");
    snapshot.expect(config, cluster, "node", "");
    snapshot.expect(config, cluster, "gateway.networking.istio.io", "istio-system");
  }
  const auto east_builtin = kubectl("east", {"get", "node,secret", "-n", "istio-system", "-o", "json"});
  const auto east_istio = kubectl("east", {"get", "gateway.networking.istio.io", "-n", "istio-system", "-o", "json"});
  // Each subcase scripts east's built-in read itself (a rule's answers are given in order).
  const Completed east_answer{.out = kube_list({kube_object("v1", "Node", "", "east-control-plane"),
                                                kube_object("v1", "Secret", "istio-system", "cacerts"),
                                                kube_object("v1", "Secret", "istio-system", "remote")})};
  runner.on(east_istio,
            Completed{.out = kube_list({kube_object("networking.istio.io/v1", "Gateway", "istio-system", "eastwest")})});

  SUBCASE("one read answers every check of a cluster; another cluster is read apart") {
    runner.on(east_builtin, east_answer);
    CHECK(names(snapshot.items(east, "secret", "istio-system")) == std::vector<std::string>{"cacerts", "remote"});
    CHECK(names(snapshot.items(east, "node", "")) == std::vector<std::string>{"east-control-plane"});
    CHECK(runner.argvs() == std::vector<Argv>{east_builtin});
    CHECK(runner.calls()[0].secret_output);
    CHECK(names(snapshot.items(east, "gateway.networking.istio.io", "istio-system")) ==
          std::vector<std::string>{"eastwest"});
    const auto west_builtin = kubectl("west", {"get", "node,secret", "-n", "istio-system", "-o", "json"});
    runner.on(west_builtin, Completed{.out = kube_list({})});
    CHECK(snapshot.items(west, "secret", "istio-system")->empty());
    CHECK(runner.argvs().back() == west_builtin);
    CHECK(runner.calls().size() == 3);
  }

  SUBCASE("items are picked by kind and namespace") {
    runner.on(east_builtin, Completed{.out = kube_list({kube_object("v1", "Secret", "argocd", "cacerts"),
                                                        kube_object("v1", "ConfigMap", "istio-system", "cm")})});
    CHECK(snapshot.items(east, "secret", "istio-system")->empty());
    CHECK(snapshot.items(east, "node", "")->empty());
  }

  SUBCASE("a failing read fails every check that needs it, asked once") {
    runner.on(east_builtin, Completed{.exit_code = 1, .err = "The connection to the server 127.0.0.1:1 was refused"});
    CHECK_THROWS_AS(snapshot.items(east, "secret", "istio-system"), CommandError);
    CHECK_THROWS_AS(snapshot.items(east, "node", ""), CommandError);
    CHECK(names(snapshot.items(east, "gateway.networking.istio.io", "istio-system")) ==
          std::vector<std::string>{"eastwest"}); // its own read
    CHECK(runner.count(east_builtin) == 1);
  }

  SUBCASE("output that is not a list is an error, success with nothing is no answer (dry run)") {
    runner.on(east_builtin, Completed{.out = "not json"});
    runner.on(east_builtin, Completed{.out = ""});
    CHECK_THROWS_WITH_AS(snapshot.items(east, "secret", "istio-system"),
                         "kubectl get node,secret on east printed no list of objects", Error);
    snapshot.forget();
    CHECK_FALSE(snapshot.items(east, "secret", "istio-system").has_value());
  }

  SUBCASE("forget: the next check reads again") {
    runner.on(east_builtin, east_answer);
    snapshot.items(east, "secret", "istio-system");
    snapshot.items(east, "secret", "istio-system");
    snapshot.forget();
    snapshot.items(east, "secret", "istio-system");
    CHECK(runner.count(east_builtin) == 2);
  }

  SUBCASE("a resource nobody declared gets a read of its own") {
    const auto get = kubectl("east", {"get", "configmap", "-n", "kube-system", "-o", "json"});
    runner.on(get, Completed{.out = kube_list({kube_object("v1", "ConfigMap", "kube-system", "coredns-custom")})});
    CHECK(names(snapshot.items(east, "configmap", "kube-system")) == std::vector<std::string>{"coredns-custom"});
    CHECK(runner.argvs() == std::vector<Argv>{get});
  }

  SUBCASE("checks asking at once make one call") {
    runner.on(east_builtin, east_answer);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
      threads.emplace_back([&] { CHECK(snapshot.items(east, "secret", "istio-system")->size() == 2); });
    for (auto& thread : threads) thread.join();
    CHECK(runner.count(east_builtin) == 1);
  }
}

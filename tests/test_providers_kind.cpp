#include "providers/kind.hpp"

#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

namespace {

const Argv k_get_clusters{"kind", "get", "clusters"};
const Argv k_east_nodes{"docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=mesh-east",
                        "--format", "{{.Names}}\t{{.State}}"};
// The node containers of every kind cluster, in the one call inspect makes.
const Argv k_all_nodes{"docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster",
                       "--format", "{{.Names}}\t{{.State}}\t{{.Label \"io.x-k8s.kind.cluster\"}}"};

// `kind get kubeconfig --name mesh-east` (names kind-<name>, loopback port on the host).
std::string kind_kubeconfig(const std::string& server) {
  return R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: )" +
         server + R"(
  name: kind-mesh-east
contexts:
- context:
    cluster: kind-mesh-east
    user: kind-mesh-east
  name: kind-mesh-east
current-context: kind-mesh-east
kind: Config
preferences: {}
users:
- name: kind-mesh-east
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
)";
}

} // namespace

TEST_CASE("providers::Kind") {
  test::TempDir state;
  test::RecordingRunner runner;
  providers::Kind kind{runner, state.path()};
  providers::Machine east;
  east.name = "mesh-east";
  east.config = state / "clusters/east/kind-config.yaml";
  const auto our_kubeconfig = (state / "kind/mesh-east.kubeconfig").string();

  SUBCASE("a missing cluster is created with our config and our own kubeconfig file, no --wait") {
    runner.on(k_get_clusters, Completed{.err = "No kind clusters found.\n"});
    kind.create(east, runner);
    CHECK(runner.argvs() == std::vector<Argv>{k_get_clusters,
                                              {"kind", "create", "cluster", "--name", "mesh-east", "--config",
                                               east.config.string(), "--kubeconfig", our_kubeconfig}});
    CHECK(std::filesystem::is_directory(state / "kind")); // kind writes its kubeconfig there
  }
  SUBCASE("an existing cluster is not created again (kind would fail on the name)") {
    runner.on(k_get_clusters, Completed{.out = "mesh-east\nmesh-west\n"});
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east"}, Completed{.out = kind_kubeconfig("https://127.0.0.1:1")});
    kind.create(east, runner);
    CHECK(runner.count({"kind", "create"}) == 0);
    CHECK(runner.count({"kind", "delete"}) == 0);
    CHECK(runner.calls().back().secret_output); // the probe's kubeconfig holds the admin key
  }
  SUBCASE("a listed cluster without a control plane (an interrupted create) is deleted and created again") {
    runner.on(k_get_clusters, Completed{.out = "mesh-east\n"});
    runner.on(k_east_nodes, Completed{.out = "mesh-east-control-plane\trunning\n"});
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east"},
              Completed{.exit_code = 1, .err = "ERROR: failed to get cluster internal kubeconfig\n"});
    kind.create(east, runner);
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() >= 2);
    CHECK(argvs[argvs.size() - 2] ==
          Argv{"kind", "delete", "cluster", "--name", "mesh-east", "--kubeconfig", our_kubeconfig});
    CHECK(argvs.back() == Argv{"kind", "create", "cluster", "--name", "mesh-east", "--config",
                               east.config.string(), "--kubeconfig", our_kubeconfig});
  }
  SUBCASE("a failing create throws with kind's message") {
    runner.on(k_get_clusters, Completed{});
    runner.on_prefix({"kind", "create"}, Completed{.exit_code = 1, .err = "ERROR: failed to create cluster: boom"});
    CHECK_THROWS_AS(kind.create(east, runner), CommandError);
  }
  SUBCASE("kubeconfig: kind-<name> renamed to <name>, server kept; internal server from --internal") {
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east"},
              Completed{.out = kind_kubeconfig("https://127.0.0.1:40123")});
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east", "--internal"},
              Completed{.out = kind_kubeconfig("https://mesh-east-control-plane:6443")});
    const auto config = kind.kubeconfig(east, runner);
    CHECK(config.context_names() == std::vector<std::string>{"mesh-east"});
    CHECK(config.entry_names() == std::vector<std::string>{"mesh-east"});
    CHECK(config.server("mesh-east") == "https://127.0.0.1:40123");
    CHECK(runner.calls().back().secret_output);
    CHECK(kind.internal_server(east, runner) == "https://mesh-east-control-plane:6443");
  }
  SUBCASE("a kubeconfig that is not YAML is refused with where it came from") {
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east"}, Completed{.out = "clusters: [unclosed"});
    CHECK_THROWS_WITH_AS(kind.kubeconfig(east, runner), doctest::Contains("kind get kubeconfig --name mesh-east"),
                         Error);
  }
  SUBCASE("an existing cluster with stopped node containers gets them started, nothing created") {
    runner.on(k_get_clusters, Completed{.out = "mesh-east\n"});
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east"}, Completed{.out = kind_kubeconfig("https://127.0.0.1:1")});
    runner.on(k_east_nodes, Completed{.out = "mesh-east-worker\texited\nmesh-east-control-plane\texited\n"
                                             "mesh-east-worker2\trunning\n"});
    kind.create(east, runner);
    CHECK(runner.count({"kind", "create"}) == 0);
    CHECK(runner.count({"docker", "start", "mesh-east-control-plane", "mesh-east-worker"}) == 1);
  }
  SUBCASE("an existing cluster whose nodes all run is left alone") {
    runner.on(k_get_clusters, Completed{.out = "mesh-east\n"});
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east"}, Completed{.out = kind_kubeconfig("https://127.0.0.1:1")});
    runner.on(k_east_nodes, Completed{.out = "mesh-east-control-plane\trunning\n"});
    kind.create(east, runner);
    CHECK(runner.count({"docker", "start"}) == 0);
    CHECK(runner.count({"kind", "create"}) == 0);
  }
  SUBCASE("inspect: node container states decide between running and stopped") {
    runner.on(k_get_clusters, Completed{.out = "mesh-east\n"});
    std::string nodes = "mesh-east-worker\trunning\tmesh-east\nmesh-east-control-plane\texited\tmesh-east\n"
                        "other-control-plane\trunning\tother\n";
    runner.on(k_all_nodes, [&](const exec::Command&) { return Completed{.out = nodes}; });
    const auto seen = kind.inspect("mesh-east");
    CHECK(seen.status == providers::MachineState::Status::stopped);
    CHECK(seen.detail == "mesh-east-control-plane exited");
    CHECK(seen.nodes == std::vector<std::string>{"mesh-east-control-plane", "mesh-east-worker"});
    nodes = "other-control-plane\trunning\tother\n";
    CHECK(kind.inspect("mesh-east").status == providers::MachineState::Status::other);
    nodes = "garbage-without-state\n";
    CHECK_THROWS_WITH_AS(kind.inspect("mesh-east"), doctest::Contains("is not a container name, state and kind cluster"),
                         Error);
  }
  SUBCASE("inspect: listed with running nodes means running; not listed means missing; junk is an error") {
    std::string listed = "mesh-east\n";
    runner.on(k_get_clusters, [&](const exec::Command&) { return Completed{.out = listed}; });
    runner.on(k_all_nodes, Completed{.out = "mesh-east-control-plane\trunning\tmesh-east\n"});
    CHECK(kind.inspect("mesh-east").status == providers::MachineState::Status::running);
    CHECK(kind.inspect("mesh-west").status == providers::MachineState::Status::missing);
    listed = "<html>oops</html>\n";
    CHECK_THROWS_WITH_AS(kind.inspect("mesh-east"), doctest::Contains("unexpected output from `kind get clusters`"),
                         Error);
  }
  SUBCASE("inspect_all: one kind get clusters and one docker ps for every name") {
    runner.on(k_get_clusters, Completed{.out = "mesh-east\nmesh-north\n"});
    // A container left of a cluster kind no longer lists does not make it exist.
    runner.on(k_all_nodes, Completed{.out = "mesh-east-control-plane\trunning\tmesh-east\n"
                                            "mesh-north-control-plane\texited\tmesh-north\n"
                                            "mesh-west-control-plane\texited\tmesh-west\n"});
    const auto states = kind.inspect_all({"mesh-east", "mesh-north", "mesh-west"});
    REQUIRE(states.size() == 3);
    CHECK(states.at("mesh-east").status == providers::MachineState::Status::running);
    CHECK(states.at("mesh-north").status == providers::MachineState::Status::stopped);
    CHECK(states.at("mesh-west").status == providers::MachineState::Status::missing);
    CHECK(runner.count(k_get_clusters) == 1);
    CHECK(runner.count({"docker", "ps"}) == 1);
  }
  SUBCASE("inspect_all: nothing listed, no docker call") {
    runner.on(k_get_clusters, Completed{.out = ""});
    CHECK(kind.inspect_all({"mesh-east"}).at("mesh-east").status == providers::MachineState::Status::missing);
    CHECK(runner.count({"docker"}) == 0);
  }
  SUBCASE("destroy deletes only the given clusters that exist, with our kubeconfig") {
    runner.on(k_get_clusters, Completed{.out = "kind\nmesh-east\nother-lab-east\n"});
    CHECK(kind.existing({"mesh-east", "mesh-west"}) == std::vector<std::string>{"mesh-east"});
    kind.destroy({"mesh-east", "mesh-west"});
    CHECK(runner.count({"kind", "delete"}) == 1);
    CHECK(runner.argvs().back() ==
          Argv{"kind", "delete", "cluster", "--name", "mesh-east", "--kubeconfig", our_kubeconfig});
  }
  SUBCASE("destroy names the clusters it could not delete") {
    runner.on(k_get_clusters, Completed{.out = "mesh-east\n"});
    runner.on_prefix({"kind", "delete"}, Completed{.exit_code = 1, .err = "ERROR: docker is gone"});
    CHECK_THROWS_WITH_AS(kind.destroy({"mesh-east"}), doctest::Contains("could not delete kind cluster mesh-east"),
                         Error);
  }
  SUBCASE("node names come from kind get nodes, sorted") {
    runner.on({"kind", "get", "nodes", "--name", "mesh-east"},
              Completed{.out = "mesh-east-worker\nmesh-east-control-plane\n"});
    CHECK(providers::kind_node_names(runner, "mesh-east") ==
          std::vector<std::string>{"mesh-east-control-plane", "mesh-east-worker"});
  }
  SUBCASE("check_available names kind and how to install it") {
    runner.on({"kind", "version"}, [](const exec::Command&) -> Completed { throw Error("cannot start kind"); });
    CHECK_THROWS_WITH_AS(kind.check_available(), doctest::Contains("kind is not installed or not on PATH"), Error);
  }
}

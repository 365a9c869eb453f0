// The providers once against the fake tools in tests/fakes/ (modelled on the contracts): proof
// that the command lines, stdin and output parsing match what the fakes accept.
#include "providers/docker.hpp"
#include "providers/external.hpp"
#include "providers/kind.hpp"
#include "providers/multipass.hpp"
#include "providers/registry_cache.hpp"

#include "exec/posix_runner.hpp"
#include "kube/kubectl.hpp"
#include "support/fake_tools.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;
using test::FakeTools;
using test::free_port;
using test::k_fakes;
using test::Passthrough;

namespace {

bool api_answers(exec::Runner& runner, const std::filesystem::path& kubeconfig, const std::string& context) {
  return kube::Kubectl(runner, kubeconfig, context).run({"version", "-o", "json"}).exit_code == 0;
}

const char* k_k3s_user_data = R"(#cloud-config
write_files:
  - path: /etc/rancher/k3s/config.yaml
    permissions: "0644"
    content: |
      write-kubeconfig-mode: "0644"
      node-name: mesh-k3s
      node-label:
        - topology.kubernetes.io/region=eu
runcmd:
  - [/usr/local/lib/meshlab/install-k3s, mesh-k3s, ""]
)";

const char* k_kind_config = R"(kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: mesh-east
nodes:
  - role: control-plane
    labels:
      topology.kubernetes.io/region: "east"
  - role: worker
    labels:
      topology.kubernetes.io/region: "east"
      topology.kubernetes.io/zone: "zone1"
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
)";

} // namespace

TEST_CASE("providers::Multipass against the fake multipass") {
  FakeTools fakes;
  Passthrough runner;
  util::write_file_atomic(fakes.dir() / "cloud-init.yaml", k_k3s_user_data);
  providers::Machine node;
  node.name = "mesh-k3s";
  node.config = fakes.dir() / "cloud-init.yaml";
  node.cpus = 2;
  node.memory = "4G";
  node.disk = "10G";
  node.image = "24.04";
  providers::Multipass multipass{runner};

  multipass.check_available();
  CHECK(multipass.inspect("mesh-k3s").status == providers::MachineState::Status::missing);
  multipass.create(node, runner);
  CHECK(runner.count({"multipass", "launch"}) == 1);
  const auto state = multipass.inspect("mesh-k3s");
  CHECK(state.status == providers::MachineState::Status::running);
  REQUIRE_FALSE(state.ipv4.empty());
  CHECK(state.ipv4.front().rfind("127.", 0) == 0);

  multipass.create(node, runner); // running: left alone
  CHECK(runner.count({"multipass", "launch"}) == 1);
  CHECK(runner.count({"multipass", "start"}) == 0);

  runner.run(exec::Command{.argv = {"multipass", "stop", "mesh-k3s"}});
  CHECK(multipass.inspect("mesh-k3s").status == providers::MachineState::Status::stopped);
  multipass.create(node, runner);
  CHECK(runner.count({"multipass", "start"}) == 1);
  CHECK(runner.count({"multipass", "launch"}) == 1);

  const auto path = fakes.dir() / "kube" / "mesh-k3s.yaml";
  util::write_file_atomic(path, multipass.kubeconfig(node, runner).dump(), std::filesystem::perms(0600));
  CHECK(api_answers(runner, path, "mesh-k3s")); // the rewritten server and k3s's certs work
  CHECK(multipass.internal_server(node, runner) == "https://" + state.ipv4.front() + ":6443");

  CHECK(multipass.existing({"mesh-k3s", "mesh-none"}) == std::vector<std::string>{"mesh-k3s"});
  multipass.destroy({"mesh-k3s", "mesh-none"});
  CHECK(multipass.existing({"mesh-k3s"}).empty());
  multipass.destroy({"mesh-k3s"}); // idempotent
  CHECK(runner.count({"multipass", "delete"}) == 1);
}

TEST_CASE("providers::Kind against the fake kind and docker") {
  FakeTools fakes;
  Passthrough runner;
  const auto state_dir = fakes.dir() / "state";
  util::write_file_atomic(state_dir / "clusters/east/kind-config.yaml", k_kind_config);
  providers::Machine east;
  east.name = "mesh-east";
  east.config = state_dir / "clusters/east/kind-config.yaml";
  providers::Kind kind{runner, state_dir};

  kind.check_available();
  CHECK(kind.existing({"mesh-east"}).empty());
  kind.create(east, runner);
  kind.create(east, runner); // listed now: not created again
  CHECK(runner.count({"kind", "create"}) == 1);
  CHECK(kind.inspect("mesh-east").status == providers::MachineState::Status::running);
  CHECK_FALSE(std::filesystem::exists(fakes.home() / ".kube" / "config")); // never the user's kubeconfig
  CHECK(std::filesystem::exists(kind.kubeconfig_path("mesh-east")));

  const auto path = state_dir / "kubeconfigs" / "east.yaml";
  util::write_file_atomic(path, kind.kubeconfig(east, runner).dump(), std::filesystem::perms(0600));
  CHECK(api_answers(runner, path, "mesh-east"));
  CHECK(kind.internal_server(east, runner) == "https://mesh-east-control-plane:6443");

  const auto nodes = providers::kind_node_names(runner, "mesh-east");
  CHECK(nodes == std::vector<std::string>{"mesh-east-control-plane", "mesh-east-worker"});
  const std::string hosts = "server = \"https://registry-1.docker.io\"\n";
  providers::docker::write_file(runner, nodes.back(), "/etc/containerd/certs.d/docker.io/hosts.toml", hosts);
  CHECK(providers::docker::read_files(runner, nodes.back(), {"/etc/containerd/certs.d/docker.io/hosts.toml"}) == hosts);

  const auto subnet = providers::docker::network_ipv4_subnet(runner, "kind");
  CHECK(subnet.str() == "127.18.0.0/16");

  kind.destroy({"mesh-east", "mesh-west"});
  CHECK(kind.existing({"mesh-east"}).empty());
  CHECK(runner.count({"kind", "delete"}) == 1);

  // A create cut short (Ctrl-C, a timeout) once kind has made the node containers: the
  // cluster is listed but has no control plane. The next create deletes it and makes it again.
  const auto interrupted = runner.run(exec::Command{
      .argv = {"kind", "create", "cluster", "--name", "mesh-east", "--config", east.config.string(), "--kubeconfig",
               kind.kubeconfig_path("mesh-east").string()},
      .env = {{"MESHLAB_FAKE_LATENCY", "1"}, {"MESHLAB_FAKE_LATENCY_SCALE", "1"}}, // boots for 33 s
      .timeout = std::chrono::seconds(5)});
  CHECK(interrupted.timed_out);
  REQUIRE(kind.existing({"mesh-east"}) == std::vector<std::string>{"mesh-east"});
  CHECK_THROWS_AS(kind.kubeconfig(east, runner), Error);
  kind.create(east, runner);
  CHECK(runner.count({"kind", "delete"}) == 2);
  util::write_file_atomic(path, kind.kubeconfig(east, runner).dump(), std::filesystem::perms(0600));
  CHECK(api_answers(runner, path, "mesh-east"));
  kind.destroy({"mesh-east"});
}

TEST_CASE("providers::RegistryCache against the fake docker") {
  FakeTools fakes;
  Passthrough runner;
  providers::RegistryCache caches{runner};
  const providers::RegistryCacheSpec spec{"mesh-registry-docker-io", free_port(), "https://registry-1.docker.io"};

  caches.check_available();
  caches.ensure(spec, runner, std::chrono::seconds(20)); // created, then answering on /v2/
  CHECK(runner.count({"docker", "run"}) == 1);
  CHECK(providers::registry_cache_answers(spec.port));
  caches.ensure(spec, runner, std::chrono::seconds(20)); // started again, not created
  CHECK(runner.count({"docker", "run"}) == 1);

  // The `kind` network appears with the first kind cluster.
  util::write_file_atomic(fakes.dir() / "kind.yaml", "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n");
  runner.run(exec::Command{.argv = {"kind", "create", "cluster", "--name", "mesh-one", "--config",
                                    (fakes.dir() / "kind.yaml").string(), "--kubeconfig",
                                    (fakes.dir() / "one.kubeconfig").string()}});
  CHECK(caches.join_network(spec.container, "kind", runner));
  CHECK_FALSE(caches.join_network(spec.container, "kind", runner));
  CHECK(runner.count({"docker", "network", "connect"}) == 1);

  CHECK(caches.existing({spec.container, "mesh-registry-quay-io"}) == std::vector<std::string>{spec.container});
  caches.destroy({spec.container, "mesh-registry-quay-io"});
  CHECK(caches.existing({spec.container}).empty());
  runner.run(exec::Command{.argv = {"kind", "delete", "cluster", "--name", "mesh-one", "--kubeconfig",
                                    (fakes.dir() / "one.kubeconfig").string()}});
}

TEST_CASE("providers::External against the fake kubectl") {
  FakeTools fakes;
  Passthrough runner;
  const auto kubeconfig = fakes.dir() / "prod.kubeconfig";
  const auto made = runner.run(exec::Command{.argv = {k_fakes + "/fakectl", "external-cluster", "prod", "--kubeconfig",
                                                      kubeconfig.string(), "--context", "prod-admin"}});
  REQUIRE(made.exit_code == 0);
  providers::External external{runner};
  providers::Machine prod;
  prod.name = "mesh-prod";
  prod.kubeconfig = kubeconfig;
  prod.context = "prod-admin";

  const auto before = util::read_file(kubeconfig);
  external.check_available();
  external.create(prod, runner);
  const auto path = fakes.dir() / "kube" / "prod.yaml";
  util::write_file_atomic(path, external.kubeconfig(prod, runner).dump(), std::filesystem::perms(0600));
  CHECK(api_answers(runner, path, "mesh-prod"));
  external.destroy({"mesh-prod"});
  CHECK(util::read_file(kubeconfig) == before); // the user's file is read, never written

  runner.run(exec::Command{.argv = {k_fakes + "/fakectl", "cluster-down", "external/prod"}});
  CHECK_THROWS_WITH_AS(external.create(prod, runner), doctest::Contains("does not answer"), Error);
}

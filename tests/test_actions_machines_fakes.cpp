// The machine steps of a small mixed lab (a registry cache, a kind cluster, a k3s node, a VM)
// run through the real executor against the fake tools: everything comes up, every resume
// check then says "still done", and delete_machines leaves nothing of the lab behind.
#include "actions/machines.hpp"

#include "actions/machines_detail.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/kubectl.hpp"
#include "lab/load.hpp"
#include "net/http.hpp"
#include "plan/executor.hpp"
#include "providers/external.hpp"
#include "providers/kind.hpp"
#include "providers/multipass.hpp"
#include "providers/registry_cache.hpp"
#include "render/render.hpp"
#include "support/fake_tools.hpp"
#include "support/machine_plan.hpp"
#include "support/loopback_http.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

using namespace meshlab;

namespace {

class QuietStatus : public ui::Status {
public:
  void begin(std::size_t) override {}
  void step_started(std::string_view, std::string_view) override {}
  void step_finished(std::string_view, std::string_view, ui::Outcome, std::chrono::milliseconds) override {}
  void info(std::string_view) override {}
  void warn(std::string_view) override {}
  void end() override {}
};

std::string lab_yaml(int registry_port) {
  return fmt::format(R"(apiVersion: meshlab.dev/v1alpha1
kind: Lab
name: fk
registries:
  docker.io: {{ url: https://registry-1.docker.io, port: {} }}
cells:
  mesh:
    networkMode: multi
clusters:
  east:
    provider: kind
    role: management
    cell: mesh
    locality: east
    nodes:
      - role: control-plane
      - role: worker
        locality: east/zone1
  k3s:
    provider: multipass
    cell: mesh
    locality: eu/eu-1
vms:
  db:
    cluster: k3s
)",
                     registry_port);
}

// What render_all would write for this lab (render-nodes' layout), reduced to what the fakes read.
void write_rendered_files(const std::filesystem::path& state) {
  // The worker's zone label is left out on purpose: the ready step must add it.
  util::write_file_atomic(state / "clusters/east/kind-config.yaml", R"(kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: fk-east
nodes:
  - role: control-plane
    labels:
      topology.kubernetes.io/region: "east"
  - role: worker
    labels:
      topology.kubernetes.io/region: "east"
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
)");
  util::write_file_atomic(state / "clusters/east/containerd/certs.d/docker.io/hosts.toml",
                          "server = \"https://registry-1.docker.io\"\n\n[host.\"http://fk-registry-docker-io:5000\"]\n"
                          "  capabilities = [\"pull\", \"resolve\"]\n");
  util::write_file_atomic(state / "clusters/k3s/cloud-init.yaml", R"(#cloud-config
write_files:
  - path: /etc/rancher/k3s/config.yaml
    permissions: "0644"
    content: |
      write-kubeconfig-mode: "0644"
      node-name: fk-k3s
      node-label:
        - topology.kubernetes.io/region=eu
        - topology.kubernetes.io/zone=eu-1
runcmd:
  - [/usr/local/lib/meshlab/install-k3s, fk-k3s, ""]
)");
  util::write_file_atomic(state / "vms/db/cloud-init.yaml", "#cloud-config\nhostname: fk-db\n");
}

// Runs `plan`; every step must finish.
plan::ExecuteResult execute_all(const plan::Plan& plan, exec::Runner& runner) {
  QuietStatus status;
  auto result = plan::execute(plan, runner, status, plan::ExecuteOptions{.jobs = 4});
  for (const auto& step : result.steps) {
    CAPTURE(step.id);
    CAPTURE(step.error);
    CAPTURE(step.detail);
    CHECK(step.status == plan::StepStatus::done);
  }
  return result;
}

} // namespace

TEST_CASE("actions::machines against the fake tools") {
  test::FakeTools fakes;
  test::Passthrough runner;
  const auto manifest = util::read_file(test::k_fakes + "/testdata/metallb-native-min.yaml");
  test::LoopbackHttp download([&](const test::LoopbackHttp::Seen&) { return std::pair{200, manifest}; });
  ::setenv("MESHLAB_METALLB_MANIFEST_URL", download.url("/metallb-native.yaml").c_str(), 1);

  auto loaded = lab::load_string(lab_yaml(test::free_port()), "fk.yaml");
  REQUIRE(loaded.diagnostics.empty());
  const auto& lab = loaded.lab;
  const auto state = fakes.dir() / "state";
  write_rendered_files(state);

  providers::Multipass multipass{runner};
  providers::Kind kind{runner, state};
  providers::External external{runner};
  const actions::LaunchContext ctx{lab, state, [&](lab::Provider p) -> providers::Provider& {
                                     if (p == lab::Provider::multipass) return multipass;
                                     if (p == lab::Provider::kind) return kind;
                                     return external;
                                   }};
  actions::check_machine_tools(ctx, runner);

  const auto plan = test::machine_plan(ctx);
  const auto result = execute_all(plan, runner);
  REQUIRE(result.ok());

  // What the steps learned and did.
  CHECK(result.find("cluster/east/kubeconfig")->facts.at("internal_server") == "https://fk-east-control-plane:6443");
  CHECK(result.find("cluster/k3s/kubeconfig")->facts.at("server").rfind("https://127.0.10.", 0) == 0);
  // Each cluster's CA tells it from a cluster re-created under the same name and address.
  const auto ca_of = [&](const char* cluster) {
    return net::sha256_hex(
        kube::Kubeconfig::load(ctx.kubeconfig_for(*lab.cluster(cluster))).certificate_authority_data(
            ctx.context_for(*lab.cluster(cluster))).value_or("none"));
  };
  CHECK(result.find("cluster/east/kubeconfig")->facts.at("cluster_ca_sha256") == ca_of("east"));
  CHECK(result.find("cluster/k3s/kubeconfig")->facts.at("cluster_ca_sha256") == ca_of("k3s"));
  CHECK(ca_of("east") != ca_of("k3s"));
  CHECK(result.find("cluster/east/ready")->facts.at("labels_fixed") == "1");
  CHECK(result.find("cluster/k3s/ready")->facts.at("labels_fixed") == "0");
  CHECK(result.find("cluster/east/loadbalancer")->facts.at("pool").rfind("127.18.", 0) == 0);
  const kube::Kubectl east(runner, ctx.kubeconfig_for(*lab.cluster("east")), "fk-east");
  const auto worker = east.get_json("node", "fk-east-worker");
  REQUIRE(worker);
  CHECK(worker->at("metadata").at("labels").at("topology.kubernetes.io/zone") == "zone1");
  CHECK_FALSE(std::filesystem::exists(fakes.home() / ".kube" / "config")); // user's kubeconfig untouched

  // A lab that is up: every resume check confirms its step.
  for (const auto& step : plan.steps()) {
    CAPTURE(step.id);
    CHECK(step.verify(runner));
  }

  // Teardown: every machine of the lab, the cache only when asked.
  auto deleted = actions::delete_machines(ctx, runner, actions::DeleteRegistries::no);
  CHECK(deleted.ok());
  CHECK(deleted.removed ==
        std::vector<std::string>{"kind cluster fk-east", "multipass instance fk-k3s", "multipass instance fk-db"});
  CHECK(providers::RegistryCache(runner).existing({"fk-registry-docker-io"}).size() == 1);
  deleted = actions::delete_machines(ctx, runner, actions::DeleteRegistries::yes);
  CHECK(deleted.ok());
  CHECK(deleted.removed == std::vector<std::string>{"registry cache fk-registry-docker-io"});
  CHECK(kind.existing({"fk-east"}).empty());
  CHECK(multipass.existing({"fk-k3s", "fk-db"}).empty());
  deleted = actions::delete_machines(ctx, runner, actions::DeleteRegistries::yes); // twice is fine
  CHECK(deleted.ok());
  CHECK(deleted.removed.empty());
  ::unsetenv("MESHLAB_METALLB_MANIFEST_URL");
}

TEST_CASE("actions::machines of the rendered example labs against the fake tools") {
  // What render_all writes for the shipped labs is what the fakes (and so the contracts) accept.
  for (const auto* name : {"kind-locality", "multi-primary"}) {
    CAPTURE(name);
    test::FakeTools fakes;
    test::Passthrough runner;
    const auto manifest = util::read_file(test::k_fakes + "/testdata/metallb-native-min.yaml");
    test::LoopbackHttp download([&](const test::LoopbackHttp::Seen&) { return std::pair{200, manifest}; });
    ::setenv("MESHLAB_METALLB_MANIFEST_URL", download.url("/metallb-native.yaml").c_str(), 1);
    auto lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/" + name + ".yaml");
    lab.ca.key_type = "ecdsa"; // RSA 4096 takes seconds per key; nothing here depends on it
    lab.ca.key_size = 256;
    for (auto& registry : lab.registries) registry.port = test::free_port(); // this host's ports may be taken
    const auto state = fakes.dir() / "state";
    render::render_all(lab, render::RenderOptions{state, std::nullopt});

    providers::Multipass multipass{runner};
    providers::Kind kind{runner, state};
    providers::External external{runner};
    const actions::LaunchContext ctx{lab, state, [&](lab::Provider p) -> providers::Provider& {
                                       if (p == lab::Provider::multipass) return multipass;
                                       if (p == lab::Provider::kind) return kind;
                                       return external;
                                     }};
    const auto result = execute_all(test::machine_plan(ctx), runner);
    for (const auto& cluster : lab.clusters) {
      CAPTURE(cluster.name);
      // Every node came up with the lab's locality: nothing needed repair.
      CHECK(result.find("cluster/" + cluster.name + "/ready")->facts.at("labels_fixed") == "0");
    }
    const auto deleted = actions::delete_machines(ctx, runner, actions::DeleteRegistries::yes);
    CHECK(deleted.ok());
    ::unsetenv("MESHLAB_METALLB_MANIFEST_URL");
  }
}

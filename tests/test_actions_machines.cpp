#include "actions/machines.hpp"

#include "actions/machines_detail.hpp"
#include "actions/step_ids.hpp"
#include "exec/dry_run_runner.hpp"
#include "lab/load.hpp"
#include "net/http.hpp"
#include "plan/executor.hpp"
#include "providers/external.hpp"
#include "providers/kind.hpp"
#include "providers/multipass.hpp"
#include "render/render.hpp"
#include "support/loopback_http.hpp"
#include "support/machine_plan.hpp"
#include "support/recording_runner.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <sstream>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

namespace {

class NullStatus : public ui::Status {
public:
  void begin(std::size_t) override {}
  void step_started(std::string_view, std::string_view) override {}
  void step_finished(std::string_view, std::string_view, ui::Outcome, std::chrono::milliseconds) override {}
  void info(std::string_view) override {}
  void warn(std::string_view message) override { warnings.emplace_back(message); }
  void end() override {}
  std::vector<std::string> warnings;
};

lab::Lab example_lab(const std::string& name) {
  return lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/" + name + ".yaml");
}

// A LaunchContext over `lab` whose providers all drive `runner`.
struct Launch {
  Launch(const lab::Lab& lab, exec::Runner& runner, std::filesystem::path state_dir)
      : multipass(runner), kind(runner, state_dir),
        external(runner), ctx{lab, state_dir, [this](lab::Provider p) -> providers::Provider& {
                                switch (p) {
                                case lab::Provider::multipass: return multipass;
                                case lab::Provider::kind: return kind;
                                case lab::Provider::external: break;
                                }
                                return external;
                              }} {}
  providers::Multipass multipass;
  providers::Kind kind;
  providers::External external;
  actions::LaunchContext ctx;
};

std::vector<std::string> needs_of(const plan::Plan& plan, const std::string& id) {
  const auto* step = plan.find(id);
  REQUIRE(step != nullptr);
  auto needs = step->needs;
  std::sort(needs.begin(), needs.end());
  return needs;
}

plan::Facts run_step(const plan::Step& step, exec::Runner& runner, NullStatus& status) {
  std::ostringstream log;
  const std::map<std::string, plan::Facts> earlier;
  plan::StepContext sc{runner, status, log, std::nullopt, earlier, {}};
  step.run(sc);
  return sc.facts;
}

plan::Facts run_step(const plan::Step& step, exec::Runner& runner) {
  NullStatus status;
  return run_step(step, runner, status);
}

Argv kubectl(const actions::LaunchContext& ctx, const std::string& cluster, Argv rest) {
  const auto* c = ctx.lab.cluster(cluster);
  Argv argv{"kubectl", "--kubeconfig", ctx.kubeconfig_for(*c).string(), "--context", ctx.context_for(*c)};
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

nlohmann::json node(const std::string& name, bool ready, nlohmann::json labels) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

std::string node_list(const std::vector<nlohmann::json>& nodes) { return nlohmann::json{{"items", nodes}}.dump(); }


} // namespace

TEST_CASE("actions::add_cluster_steps") {
  test::TempDir state;
  test::RecordingRunner runner;

  SUBCASE("kind lab: every cluster up to ready, mirrors after the kind network, ready after MetalLB") {
    const auto lab = example_lab("kind-locality");
    Launch launch(lab, runner, state.path());
    const auto plan = test::machine_plan(launch.ctx);
    CHECK(needs_of(plan, "registry/docker.io").empty());
    CHECK(needs_of(plan, "registry/docker.io/kind-network") ==
          std::vector<std::string>{"cluster/east/create", "registry/docker.io"});
    CHECK(needs_of(plan, "cluster/east/create").empty()); // kind pulls nothing through the caches to start
    CHECK(needs_of(plan, "cluster/west/mirrors") ==
          std::vector<std::string>{"cluster/west/create", "registry/docker.io/kind-network"});
    CHECK(needs_of(plan, "cluster/west/loadbalancer") ==
          std::vector<std::string>{"cluster/west/kubeconfig", "cluster/west/mirrors"});
    CHECK(needs_of(plan, "cluster/west/ready") ==
          std::vector<std::string>{"cluster/west/kubeconfig", "cluster/west/loadbalancer", "cluster/west/mirrors"});
    CHECK(plan.find("cluster/east/create")->title == "Creating kind cluster mesh-east");
    CHECK(runner.calls().empty()); // building a plan runs nothing
    for (const auto& step : plan.steps()) {
      CAPTURE(step.id);
      CHECK_FALSE(step.inputs_hash.empty());
      CHECK(step.verify);
    }
  }
  SUBCASE("multipass lab: k3s nodes need the caches, VMs need nothing") {
    const auto lab = example_lab("multi-primary");
    Launch launch(lab, runner, state.path());
    const auto plan = test::machine_plan(launch.ctx);
    CHECK(needs_of(plan, "cluster/kube-01/create") ==
          std::vector<std::string>{"registry/docker.io", "registry/ghcr.io", "registry/quay.io"});
    CHECK(needs_of(plan, "vm/virt-01/create").empty());
    CHECK(needs_of(plan, "cluster/kube-01/ready") == std::vector<std::string>{"cluster/kube-01/kubeconfig"});
    CHECK(plan.find("registry/docker.io/kind-network") == nullptr); // no kind cluster, no kind network
    CHECK(plan.find("cluster/kube-01/loadbalancer") == nullptr);    // k3s's servicelb does it
  }
  SUBCASE("every example lab gets a machine plan whose needs all exist") {
    for (const auto* name : {"ci-smoke", "kind-locality", "multi-primary", "stamps"}) {
      CAPTURE(name);
      const auto lab = example_lab(name);
      Launch launch(lab, runner, state.path());
      const auto plan = test::machine_plan(launch.ctx);
      for (const auto& cluster : lab.clusters) CHECK(plan.find("cluster/" + cluster.name + "/ready") != nullptr);
      for (const auto& vm : lab.vms) CHECK(plan.find("vm/" + vm.name + "/create") != nullptr);
    }
  }
  SUBCASE("a changed rendered file changes exactly that step's inputs") {
    const auto lab = example_lab("kind-locality");
    Launch launch(lab, runner, state.path());
    util::write_file_atomic(state / "clusters/east/kind-config.yaml", "name: mesh-east\n");
    const auto first = test::machine_plan(launch.ctx);
    util::write_file_atomic(state / "clusters/east/kind-config.yaml", "name: mesh-east\n# changed\n");
    const auto second = test::machine_plan(launch.ctx);
    for (const auto& step : first.steps()) {
      CAPTURE(step.id);
      CHECK((step.inputs_hash != second.find(step.id)->inputs_hash) == (step.id == "cluster/east/create"));
    }
  }
}

TEST_CASE("actions::machines steps") {
  test::TempDir state;
  test::RecordingRunner runner;

  SUBCASE("VM create: launch with the rendered user-data, facts with its address") {
    const auto lab = example_lab("multi-primary");
    Launch launch(lab, runner, state.path());
    util::write_file_atomic(state / "vms/virt-01/cloud-init.yaml", "#cloud-config\nhostname: virt-01\n");
    const auto plan = test::machine_plan(launch.ctx);
    const Argv list{"multipass", "list", "--format", "json"};
    std::string listed = R"({"list": []})";
    runner.on(list, [&](const exec::Command&) { return Completed{.out = listed}; });
    runner.on_prefix({"multipass", "launch"}, [&](const exec::Command&) {
      listed = R"({"list": [{"name": "virt-01", "state": "Running", "ipv4": ["10.1.2.3"]}]})";
      return Completed{.out = "Launched: virt-01\n"};
    });
    const auto facts = run_step(*plan.find("vm/virt-01/create"), runner);
    CHECK(runner.count({"multipass", "launch", "--name", "virt-01"}) == 1);
    const auto calls = runner.calls();
    const auto launch_call =
        std::find_if(calls.begin(), calls.end(), [](const exec::Command& c) { return c.argv[1] == "launch"; });
    CHECK(launch_call->input == "#cloud-config\nhostname: virt-01\n");
    CHECK(facts.at("address") == "10.1.2.3");
    CHECK(plan.find("vm/virt-01/create")->verify(runner)); // running

    // Created once: a later change of its user-data is pointed out, not applied by force.
    NullStatus status;
    run_step(*plan.find("vm/virt-01/create"), runner, status);
    CHECK(status.warnings.empty());
    util::write_file_atomic(state / "vms/virt-01/cloud-init.yaml", "#cloud-config\nhostname: virt-01-new\n");
    run_step(*test::machine_plan(launch.ctx).find("vm/virt-01/create"), runner, status);
    REQUIRE(status.warnings.size() == 1);
    CHECK(status.warnings[0].find("virt-01 was created from an earlier version of its cloud-init user-data") == 0);
    CHECK(runner.count({"multipass", "launch"}) == 1);

    // The checks of one run share one `multipass list` until a step runs.
    listed = R"({"list": []})";
    const auto lists = runner.count(list);
    CHECK(plan.find("vm/virt-01/create")->verify(runner));
    CHECK(plan.find("cluster/kube-01/create")->verify(runner) == false); // not listed, asked in the same list
    CHECK(runner.count(list) == lists);
    launch.ctx.snapshot->forget();
    CHECK_FALSE(plan.find("vm/virt-01/create")->verify(runner)); // missing
    launch.ctx.snapshot->forget();
    listed = "garbage";
    CHECK_FALSE(plan.find("vm/virt-01/create")->verify(runner)); // unreadable: not known to match
  }
  SUBCASE("kubeconfig: written 0600 under the context name, facts for later steps") {
    const auto lab = example_lab("kind-locality");
    Launch launch(lab, runner, state.path());
    const auto plan = test::machine_plan(launch.ctx);
    const std::string kind_config = R"(apiVersion: v1
kind: Config
clusters: [{name: kind-mesh-east, cluster: {server: "https://127.0.0.1:40001", certificate-authority-data: Q0EK}}]
users: [{name: kind-mesh-east, user: {token: t}}]
contexts: [{name: kind-mesh-east, context: {cluster: kind-mesh-east, user: kind-mesh-east}}]
)";
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east"}, Completed{.out = kind_config});
    std::string internal = kind_config;
    internal.replace(internal.find("https://127.0.0.1:40001"), 23, "https://mesh-east-control-plane:6443");
    runner.on({"kind", "get", "kubeconfig", "--name", "mesh-east", "--internal"}, Completed{.out = internal});
    const auto facts = run_step(*plan.find("cluster/east/kubeconfig"), runner);
    const auto path = state / "kubeconfigs/east.yaml";
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::all) == std::filesystem::perms(0600));
    CHECK(kube::Kubeconfig::load(path).context_names() == std::vector<std::string>{"mesh-east"});
    CHECK(facts == plan::Facts{{"context", "mesh-east"},
                               {"server", "https://127.0.0.1:40001"},
                               {"cluster_ca_sha256", net::sha256_hex("Q0EK")},
                               {"internal_server", "https://mesh-east-control-plane:6443"},
                               {"kubeconfig", path.string()}});
    // The credentials must still list the nodes (the read cluster/east/ready's check shares).
    const auto get_nodes = kubectl(launch.ctx, "east", {"get", "node", "-o", "json"});
    runner.on(get_nodes, Completed{.out = node_list({})});
    runner.on(get_nodes, Completed{.exit_code = 1, .err = "x509: certificate signed by unknown authority"});
    CHECK(plan.find("cluster/east/kubeconfig")->verify(runner));
    CHECK(runner.argvs().back() == get_nodes);
    launch.ctx.snapshot->forget();
    CHECK_FALSE(plan.find("cluster/east/kubeconfig")->verify(runner)); // re-created cluster: write it again
  }
  SUBCASE("ready: waits for every node, then fixes only wrong or missing locality labels") {
    const auto lab = example_lab("kind-locality");
    Launch launch(lab, runner, state.path());
    const auto plan = test::machine_plan(launch.ctx);
    const auto get_nodes = kubectl(launch.ctx, "east", {"get", "nodes", "-o", "json"});
    const auto cp = node("mesh-east-control-plane", true, {{"topology.kubernetes.io/region", "east"}});
    const auto w1 = node("mesh-east-worker", true,
                         {{"topology.kubernetes.io/region", "east"}, {"topology.kubernetes.io/zone", "zone9"}});
    const auto w2 = node("mesh-east-worker2", true, {{"topology.kubernetes.io/region", "east"}});
    runner.on(get_nodes, Completed{.exit_code = 1, .err = "The connection to the server was refused"});
    runner.on(get_nodes, Completed{.out = node_list({cp, node("mesh-east-worker", false, {})})});
    runner.on(get_nodes, Completed{.out = node_list({cp, w1, w2})});
    const auto facts = run_step(*plan.find("cluster/east/ready"), runner);
    CHECK(runner.count(get_nodes) == 3);
    CHECK(runner.count(kubectl(launch.ctx, "east", {"label"})) == 2);
    const auto argvs = runner.argvs();
    CHECK(std::count(
              argvs.begin(), argvs.end(),
              kubectl(launch.ctx, "east",
                      {"label", "--overwrite", "node", "mesh-east-worker", "topology.kubernetes.io/zone=zone1"})) == 1);
    CHECK(std::count(argvs.begin(), argvs.end(),
                     kubectl(launch.ctx, "east",
                             {"label", "--overwrite", "node", "mesh-east-worker2",
                              "topology.kubernetes.io/zone=zone2"})) == 1);
    CHECK(facts.at("nodes") == "mesh-east-control-plane, mesh-east-worker, mesh-east-worker2");
    const auto get_node = kubectl(launch.ctx, "east", {"get", "node", "-o", "json"}); // the checks' read
    auto fixed = [](nlohmann::json n, const std::string& zone) {
      n["metadata"]["labels"]["topology.kubernetes.io/zone"] = zone;
      return n;
    };
    runner.on(get_node, Completed{.out = node_list({cp, w1, w2})});
    runner.on(get_node, Completed{.out = node_list({cp, fixed(w1, "zone1"), fixed(w2, "zone2")})});
    runner.on(get_node, Completed{.out = node_list({cp, fixed(w1, "zone1")})});
    CHECK_FALSE(plan.find("cluster/east/ready")->verify(runner)); // the fake API still shows the old labels
    launch.ctx.snapshot->forget();
    CHECK(plan.find("cluster/east/ready")->verify(runner));
    launch.ctx.snapshot->forget();
    CHECK_FALSE(plan.find("cluster/east/ready")->verify(runner)); // a node is gone
  }
  SUBCASE("mirrors: every lab registry's hosts.toml into every node, through stdin") {
    const auto lab = example_lab("kind-locality");
    Launch launch(lab, runner, state.path());
    const std::string hosts = "server = \"https://registry-1.docker.io\"\n";
    util::write_file_atomic(state / "clusters/east/containerd/certs.d/docker.io/hosts.toml", hosts);
    const auto plan = test::machine_plan(launch.ctx);
    runner.on({"kind", "get", "nodes", "--name", "mesh-east"},
              Completed{.out = "mesh-east-control-plane\nmesh-east-worker\nmesh-east-worker2\n"});
    run_step(*plan.find("cluster/east/mirrors"), runner);
    CHECK(runner.count({"docker", "exec", "-i"}) == 3);
    for (const auto& call : runner.calls())
      if (call.argv.size() > 2 && call.argv[2] == "-i") {
        CHECK(call.argv.back() == "/etc/containerd/certs.d/docker.io/hosts.toml");
        CHECK(call.input == hosts);
      }
    runner.on_prefix({"docker", "exec"}, Completed{.out = hosts});
    // The check takes the nodes from the lab's one look at its kind clusters.
    runner.on({"kind", "get", "clusters"}, Completed{.out = "mesh-east\nmesh-west\n"});
    runner.on_prefix({"docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster", "--format"},
                     Completed{.out = "mesh-east-control-plane\trunning\tmesh-east\nmesh-east-worker\trunning\tmesh-east\n"
                                      "mesh-east-worker2\trunning\tmesh-east\nmesh-west-control-plane\trunning\tmesh-west\n"});
    CHECK(plan.find("cluster/east/mirrors")->verify(runner));
    CHECK(plan.find("cluster/east/create")->verify(runner));
    CHECK(plan.find("cluster/west/create")->verify(runner));
    CHECK(runner.count({"kind", "get", "clusters"}) == 1);
    CHECK(runner.count({"docker", "ps"}) == 1);
    CHECK(runner.count({"kind", "get", "nodes"}) == 1); // the step's own, not the check's
  }
  SUBCASE("registry: start-or-run, then the kind network join; verify asks docker and /v2/") {
    const auto lab = example_lab("kind-locality");
    Launch launch(lab, runner, state.path());
    const auto plan = test::machine_plan(launch.ctx);
    runner.on({"docker", "inspect", "--type", "container", "-f", "{{json .NetworkSettings.Networks.kind}}",
               "mesh-registry-docker-io"},
              Completed{.out = "null\n"});
    const auto facts = run_step(*plan.find("registry/docker.io/kind-network"), runner);
    CHECK(runner.argvs().back() == Argv{"docker", "network", "connect", "kind", "mesh-registry-docker-io"});
    CHECK(facts.at("joined") == "now");
  }
}

TEST_CASE("actions::check_machine_tools") {
  test::TempDir state;
  test::RecordingRunner runner;
  const auto lab = example_lab("multi-primary"); // multipass, and docker for the registry caches
  Launch launch(lab, runner, state.path());
  const Argv multipass_version{"multipass", "version"};
  const Argv docker_version{"docker", "version", "--format", "{{.Server.Version}}"};

  SUBCASE("the tools are asked side by side: each waits for the other to have started") {
    std::mutex mutex;
    std::condition_variable cv;
    int started = 0;
    const auto both_started = [&](std::string out) {
      return [&, out](const exec::Command&) {
        std::unique_lock lock(mutex);
        ++started;
        cv.notify_all();
        const bool together = cv.wait_for(lock, std::chrono::seconds(10), [&] { return started == 2; });
        return together ? Completed{.out = out} : Completed{.exit_code = 1, .err = "asked one after the other"};
      };
    };
    runner.on(multipass_version, both_started("multipass   1.16.3\nmultipassd  1.16.3\n"));
    runner.on(docker_version, both_started("28.1.1\n"));
    CHECK_NOTHROW(actions::check_machine_tools(launch.ctx, runner));
  }
  SUBCASE("a tool that is not there is reported whatever the other says") {
    runner.on(multipass_version, Completed{.out = "multipass   1.16.3\n"});
    runner.on(docker_version, Completed{.exit_code = 1, .err = "Cannot connect to the Docker daemon\n"});
    CHECK_THROWS_WITH_AS(actions::check_machine_tools(launch.ctx, runner),
                         doctest::Contains("the multipass daemon (multipassd) does not answer"), Error);
    CHECK(runner.count(docker_version) == 1);
  }
}

TEST_CASE("actions::detail::label_fixes") {
  using actions::detail::LabelPolicy;
  const std::vector<actions::detail::ExpectedNode> expected{{"n1", {"eu", "eu-1", ""}}};
  const std::vector<actions::detail::NodeView> nodes{
      {"n1", true, {{"topology.kubernetes.io/region", "us"}}},
      {"n2", true, {{"topology.kubernetes.io/region", "us"}, {"topology.kubernetes.io/zone", "us-1"}}}};

  SUBCASE("machines meshlab made: wrong and missing labels of the lab's nodes are set") {
    const auto fixes = actions::detail::label_fixes(nodes, expected, {"eu", "", ""}, LabelPolicy::overwrite, false);
    CHECK(fixes == actions::detail::LabelFixes{
                       {"n1", {{"topology.kubernetes.io/region", "eu"}, {"topology.kubernetes.io/zone", "eu-1"}}}});
  }
  SUBCASE("external clusters: only missing labels are added, a cloud's own values stay") {
    const auto fixes =
        actions::detail::label_fixes(nodes, {}, {"eu", "eu-1", "rack-1"}, LabelPolicy::add_missing, true);
    CHECK(fixes == actions::detail::LabelFixes{
                       {"n1", {{"topology.kubernetes.io/zone", "eu-1"}, {"topology.istio.io/subzone", "rack-1"}}},
                       {"n2", {{"topology.istio.io/subzone", "rack-1"}}}});
  }
  SUBCASE("kind node names follow kind's namer, per role in nodes[] order") {
    const auto lab = example_lab("kind-locality");
    const auto nodes_east = actions::detail::expected_nodes(lab, *lab.cluster("east"));
    REQUIRE(nodes_east.size() == 3);
    CHECK(nodes_east[0].name == "mesh-east-control-plane");
    CHECK(nodes_east[0].locality.str() == "east");
    CHECK(nodes_east[1].name == "mesh-east-worker");
    CHECK(nodes_east[1].locality.str() == "east/zone1");
    CHECK(nodes_east[2].name == "mesh-east-worker2");
    CHECK(nodes_east[2].locality.str() == "east/zone2");
  }
  SUBCASE("not ready: missing and NotReady nodes are named") {
    CHECK(actions::detail::nodes_not_ready(nodes, expected).empty());
    CHECK(actions::detail::nodes_not_ready({{"n1", false, {}}}, {{"n1", {}}, {"n3", {}}}) ==
          "node n3 not registered, node n1 not Ready");
    CHECK(actions::detail::nodes_not_ready({}, {}) == "no nodes");
  }
}

TEST_CASE("actions::detail::carve_metallb_pool") {
  const auto kind_net = *util::parse_cidr("172.18.0.0/16").block;

  SUBCASE("one /28 per kind cluster, distinct, in the upper half, never the broadcast block") {
    std::vector<std::string> pools;
    for (std::size_t i = 0; i < 3; ++i) {
      const auto pool = actions::detail::carve_metallb_pool(kind_net, "kind-locality", i, 3);
      CHECK(pool.prefix == 28);
      CHECK(pool.address >= kind_net.address + 32768);
      CHECK(pool.last() < kind_net.last() - 15);
      pools.push_back(pool.str());
    }
    std::sort(pools.begin(), pools.end());
    CHECK(std::unique(pools.begin(), pools.end()) == pools.end());
  }
  SUBCASE("deterministic for a lab; another lab starts elsewhere") {
    CHECK(actions::detail::carve_metallb_pool(kind_net, "a", 1, 2) ==
          actions::detail::carve_metallb_pool(kind_net, "a", 1, 2));
    CHECK(actions::detail::carve_metallb_pool(kind_net, "kind-locality", 0, 2) !=
          actions::detail::carve_metallb_pool(kind_net, "ci-smoke", 0, 2));
  }
  SUBCASE("a /24 still works; smaller or too full networks are refused") {
    const auto small = *util::parse_cidr("10.89.0.0/24").block;
    const auto pool = actions::detail::carve_metallb_pool(small, "x", 0, 1);
    CHECK(pool.address >= small.address + 128);
    CHECK(pool.last() <= small.address + 239);
    CHECK_THROWS_WITH_AS(actions::detail::carve_metallb_pool(small, "x", 0, 8),
                         doctest::Contains("room for MetalLB pools of 7"), Error);
    CHECK_THROWS_WITH_AS(actions::detail::carve_metallb_pool(*util::parse_cidr("10.89.0.0/25").block, "x", 0, 1),
                         doctest::Contains("too small"), Error);
  }
}

TEST_CASE("actions::loadbalancer step") {
  test::TempDir state;
  test::RecordingRunner runner;
  const std::string manifest = "apiVersion: v1\nkind: Namespace\nmetadata: {name: metallb-system}\n";
  test::LoopbackHttp server([&](const test::LoopbackHttp::Seen&) { return std::pair{200, manifest}; });
  const test::ScopedEnv url("MESHLAB_METALLB_MANIFEST_URL", server.url("/metallb-native.yaml"));
  const auto lab = example_lab("kind-locality");
  Launch launch(lab, runner, state.path());
  const auto plan = test::machine_plan(launch.ctx);
  const auto& step = *plan.find("cluster/west/loadbalancer");

  runner.on(kubectl(launch.ctx, "west",
                    {"get", "deployment", "controller", "--ignore-not-found", "-o", "json", "-n", "metallb-system"}),
            Completed{.out = R"({"status": {"conditions": [{"type": "Available", "status": "True"}]}})"});
  runner.on({"docker", "network", "inspect", "-f", "{{json .IPAM.Config}}", "kind"},
            Completed{.out = R"([{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}])"});
  const auto apply = kubectl(launch.ctx, "west",
                             {"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"});
  int applies = 0;
  runner.on(apply, [&](const exec::Command&) {
    // The manifest, then the pool twice: MetalLB's webhook is not answering the first time.
    ++applies;
    return applies == 2 ? Completed{.exit_code = 1,
                                    .err = "failed calling webhook \"ipaddresspoolvalidationwebhook.metallb.io\""}
                        : Completed{};
  });

  const auto facts = run_step(step, runner);
  const auto pool =
      actions::detail::carve_metallb_pool(*util::parse_cidr("172.18.0.0/16").block, "kind-locality", 1, 2);
  CHECK(facts.at("pool") == pool.str());
  CHECK(facts.at("metallb_manifest_sha256") == net::sha256_hex(manifest));
  CHECK(applies == 3);
  const auto calls = runner.calls();
  std::vector<std::string> inputs;
  for (const auto& call : calls)
    if (call.argv == apply) inputs.push_back(*call.input);
  CHECK(inputs.front() == manifest);
  CHECK(inputs.back() == actions::detail::metallb_pool_manifest(pool));
  CHECK(inputs.back().find("- " + pool.str()) != std::string::npos);

  run_step(step, runner); // the manifest is cached: one download per lab
  CHECK(server.seen().size() == 1);
}

TEST_CASE("actions::delete_machines") {
  test::TempDir state;
  test::RecordingRunner runner;

  SUBCASE("only the lab's own kind clusters; registries only when asked") {
    const auto lab = example_lab("kind-locality");
    Launch launch(lab, runner, state.path());
    // A small world: kind clusters (ours and others') and one cache container.
    std::set<std::string> clusters{"kind", "mesh-east", "mesh-west", "other-east"};
    bool cache = true;
    runner.on({"kind", "get", "clusters"}, [&](const exec::Command&) {
      std::string out;
      for (const auto& name : clusters) out += name + "\n";
      return Completed{.out = out};
    });
    runner.on_prefix({"kind", "delete", "cluster", "--name"}, [&](const exec::Command& cmd) {
      clusters.erase(cmd.argv[4]);
      return Completed{};
    });
    runner.on_prefix({"docker", "inspect"}, [&](const exec::Command&) {
      return cache ? Completed{.out = "true\n"} : Completed{.exit_code = 1, .err = "Error: No such container: x\n"};
    });
    runner.on_prefix({"docker", "rm"}, [&](const exec::Command&) {
      cache = false;
      return Completed{};
    });
    auto result = actions::delete_machines(launch.ctx, runner, actions::DeleteRegistries::no);
    CHECK(result.ok());
    CHECK(result.removed == std::vector<std::string>{"kind cluster mesh-east", "kind cluster mesh-west"});
    CHECK(runner.count({"kind", "delete"}) == 2);
    CHECK(clusters == std::set<std::string>{"kind", "other-east"});
    CHECK(runner.count({"docker"}) == 0);
    CHECK(runner.count({"multipass"}) == 0); // a kind lab needs no multipass

    result = actions::delete_machines(launch.ctx, runner, actions::DeleteRegistries::yes);
    CHECK(result.removed == std::vector<std::string>{"registry cache mesh-registry-docker-io"});
    CHECK(runner.count({"docker", "rm", "-f", "-v", "mesh-registry-docker-io"}) == 1);
  }
  SUBCASE("what will not go is reported, the rest still removed") {
    const auto lab = example_lab("multi-primary");
    Launch launch(lab, runner, state.path());
    runner.on(
        {"multipass", "list", "--format", "json"},
        Completed{
            .out = R"({"list": [{"name": "kube-00", "state": "Running"}, {"name": "virt-01", "state": "Stopped"}]})"});
    runner.on_prefix({"multipass", "delete"}, Completed{.exit_code = 2, .err = "delete failed: busy"});
    const auto result = actions::delete_machines(launch.ctx, runner, actions::DeleteRegistries::no);
    CHECK_FALSE(result.ok());
    CHECK(result.removed.empty());
    REQUIRE(result.problems.size() == 2);
    CHECK(result.problems[0].find("could not delete multipass instance kube-00") == 0);
    CHECK(runner.count({"multipass", "delete", "--purge", "kube-00", "virt-01"}) == 1);
  }
  SUBCASE("a missing tool is a problem, not a crash") {
    const auto lab = example_lab("multi-primary");
    Launch launch(lab, runner, state.path());
    runner.on_prefix({"multipass"}, [](const exec::Command&) -> Completed { throw Error("cannot start multipass"); });
    const auto result = actions::delete_machines(launch.ctx, runner, actions::DeleteRegistries::no);
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems[0].find("multipass is not installed") != std::string::npos);
  }
}

TEST_CASE("actions::machines in a dry run") {
  test::TempDir state;
  std::ostringstream printed;
  exec::DryRunRunner runner(printed);
  test::LoopbackHttp server([](const test::LoopbackHttp::Seen&) {
    return std::pair{200, std::string("kind: List\n")};
  });
  const test::ScopedEnv url("MESHLAB_METALLB_MANIFEST_URL", server.url("/metallb-native.yaml"));
  const auto lab = example_lab("kind-locality");
  Launch launch(lab, runner, state.path());
  launch.ctx.dry_run = true;
  const auto plan = test::machine_plan(launch.ctx);
  NullStatus status;
  const auto started = std::chrono::steady_clock::now();
  const auto result = plan::execute(plan, runner, status, plan::ExecuteOptions{.jobs = 1});
  // Nothing answers in a dry run: no readiness wait may hold it up, nothing is downloaded.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  CHECK(server.seen().empty());
  auto commands = plan::commands_by_step(result);
  CHECK(commands["registry/docker.io"] == std::vector<std::string>{"docker start mesh-registry-docker-io"});
  CHECK(std::count(commands["cluster/east/create"].begin(), commands["cluster/east/create"].end(),
                   "kind create cluster --name mesh-east --config " +
                       (state / "clusters/east/kind-config.yaml").string() + " --kubeconfig " +
                       (state / "kind/mesh-east.kubeconfig").string()) == 1);
  CHECK(result.find("cluster/east/loadbalancer")->status != plan::StepStatus::done);
  // A step that must read an answer says why its commands stop.
  CHECK(result.find("cluster/east/kubeconfig")->error.find("depend on answers a dry run does not have") !=
        std::string::npos);
}

TEST_CASE("actions::machines with an external cluster") {
  test::TempDir state;
  test::RecordingRunner runner;
  const auto kubeconfig = state / "user.kubeconfig";
  util::write_file_atomic(kubeconfig, R"(apiVersion: v1
kind: Config
clusters: [{name: prod, cluster: {server: "https://10.0.0.1:6443"}}]
users: [{name: admin, user: {token: t}}]
contexts: [{name: prod-admin, context: {cluster: prod, user: admin}}]
)");
  auto loaded = lab::load_string(fmt::format(R"(apiVersion: meshlab.dev/v1alpha1
kind: Lab
name: ext
registries: {{}}
clusters:
  prod:
    provider: external
    kubeconfig: {}
    context: prod-admin
    locality: eu/eu-1
)",
                                             kubeconfig.string()),
                                 "ext.yaml");
  REQUIRE(loaded.diagnostics.empty());
  const auto& lab = loaded.lab;
  Launch launch(lab, runner, state.path());
  const auto plan = test::machine_plan(launch.ctx);

  SUBCASE("create only checks the API; ready adds missing labels but never overwrites a cloud's") {
    CHECK(plan.find("cluster/prod/create")->title == "Checking external cluster prod (context prod-admin)");
    run_step(*plan.find("cluster/prod/create"), runner);
    CHECK(runner.argvs() == std::vector<Argv>{{"kubectl", "--kubeconfig", kubeconfig.string(), "--context",
                                               "prod-admin", "version", "-o", "json"}});
    run_step(*plan.find("cluster/prod/kubeconfig"), runner);
    CHECK(kube::Kubeconfig::load(state / "kubeconfigs/prod.yaml").server("ext-prod") == "https://10.0.0.1:6443");

    runner.on(kubectl(launch.ctx, "prod", {"get", "nodes", "-o", "json"}),
              Completed{.out = node_list({node("gke-a", true, {{"topology.kubernetes.io/region", "europe-west1"}}),
                                          node("gke-b", true, {})})});
    run_step(*plan.find("cluster/prod/ready"), runner);
    const auto argvs = runner.argvs();
    CHECK(std::count(argvs.begin(), argvs.end(),
                     kubectl(launch.ctx, "prod", {"label", "node", "gke-a", "topology.kubernetes.io/zone=eu-1"})) == 1);
    CHECK(std::count(argvs.begin(), argvs.end(),
                     kubectl(launch.ctx, "prod",
                             {"label", "node", "gke-b", "topology.kubernetes.io/region=eu",
                              "topology.kubernetes.io/zone=eu-1"})) == 1);
    CHECK(runner.count(kubectl(launch.ctx, "prod", {"label", "--overwrite"})) == 0);
  }
  SUBCASE("delete never touches it") {
    const auto result = actions::delete_machines(launch.ctx, runner, actions::DeleteRegistries::yes);
    CHECK(result.ok());
    CHECK(result.removed.empty());
    CHECK(runner.calls().empty());
  }
}

TEST_CASE("actions::machines and render_all agree") {
  // The steps read what render_all wrote: same paths, same node names and labels, same
  // registry container names.
  for (const auto* name : {"kind-locality", "multi-primary", "stamps", "ci-smoke"}) {
    CAPTURE(name);
    test::TempDir state;
    test::RecordingRunner runner;
    auto lab = example_lab(name);
    lab.ca.key_type = "ecdsa"; // RSA 4096 takes seconds per key; nothing here depends on it
    lab.ca.key_size = 256;
    render::render_all(lab, render::RenderOptions{state.path(), std::nullopt});
    Launch launch(lab, runner, state.path());
    for (const auto& cluster : lab.clusters) {
      CAPTURE(cluster.name);
      if (cluster.provider == lab::Provider::multipass) {
        const auto path = actions::detail::k3s_cloud_init_path(launch.ctx, cluster);
        REQUIRE(std::filesystem::exists(path));
        CHECK(util::read_file(path).find("node-name: \"" + launch.ctx.context_for(cluster) + "\"") !=
              std::string::npos);
      }
      if (cluster.provider != lab::Provider::kind) continue;
      const auto config = YAML::LoadFile(actions::detail::kind_config_path(launch.ctx, cluster).string());
      CHECK(config["name"].as<std::string>() == launch.ctx.context_for(cluster));
      const auto expected = actions::detail::expected_nodes(lab, cluster);
      REQUIRE(config["nodes"].size() == expected.size());
      // kind names control planes first, then workers, each in nodes[] order.
      std::vector<YAML::Node> by_kind_name;
      for (const char* role : {"control-plane", "worker"})
        for (const auto& node : config["nodes"])
          if (node["role"].as<std::string>() == role) by_kind_name.push_back(node);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(expected[i].name);
        std::map<std::string, std::string> labels;
        if (by_kind_name[i]["labels"])
          for (const auto& label : by_kind_name[i]["labels"])
            labels[label.first.as<std::string>()] = label.second.as<std::string>();
        CHECK(labels == actions::detail::locality_labels(expected[i].locality));
      }
      for (const auto& registry : lab.registries) {
        const auto hosts = util::read_file(actions::detail::hosts_toml_path(launch.ctx, cluster, registry));
        CHECK(hosts.find("http://" + lab.registry_container(registry.name) + ":5000") != std::string::npos);
      }
    }
    for (const auto& vm : lab.vms) CHECK(std::filesystem::exists(actions::detail::vm_cloud_init_path(launch.ctx, vm)));
  }
}

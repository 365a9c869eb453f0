#include "status/collect.hpp"
#include "status/format.hpp"

#include "support/recording_runner.hpp"
#include "support/sample_labs.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sstream>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

namespace {

const Argv k_list{"multipass", "list", "--format", "json"};

// multipass list with kube-00..02 and virt-01 as given: name → state (an address when Running).
std::string multipass_list(const std::map<std::string, std::string>& states) {
  nlohmann::json list = nlohmann::json::array();
  int n = 1;
  for (const auto& [name, state] : states) {
    nlohmann::json ipv4 = nlohmann::json::array();
    if (state == "Running") ipv4.push_back(fmt::format("127.0.10.{}", n));
    list.push_back({{"name", name}, {"state", state}, {"ipv4", ipv4}, {"release", "Ubuntu 24.04 LTS"}});
    ++n;
  }
  return nlohmann::json{{"list", list}}.dump();
}

std::string kubeconfig(const std::string& context, const std::string& server) {
  return fmt::format(R"(apiVersion: v1
kind: Config
clusters:
- name: {0}
  cluster: {{server: "{1}"}}
contexts:
- name: {0}
  context: {{cluster: {0}, user: {0}}}
users:
- name: {0}
  user: {{token: t}}
current-context: {0}
)",
                     context, server);
}

Argv kubectl(const std::string& state, const std::string& cluster, Argv args) {
  Argv argv{"kubectl", "--kubeconfig", state + "/kubeconfigs/" + cluster + ".yaml", "--context", cluster, "get"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"-o", "json", "--request-timeout=10s"});
  return argv;
}

const std::string k_nodes = R"({"items": [
  {"metadata": {"name": "n1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
  {"metadata": {"name": "n2"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}]})";

const std::string k_istiod = R"({"items": [{"metadata": {"name": "istiod-1-30-3", "labels": {"istio.io/rev": "1-30-3"}},
  "spec": {"replicas": 1}, "status": {"readyReplicas": 1}}]})";

std::string applications() {
  auto app = [](const std::string& cluster, const std::string& sync, const std::string& health) {
    return nlohmann::json{{"metadata", {{"labels", {{"meshlab.dev/cluster", cluster}}}}},
                          {"status", {{"sync", {{"status", sync}}}, {"health", {{"status", health}}}}}};
  };
  return nlohmann::json{{"items",
                         {app("kube-01", "Synced", "Healthy"), app("kube-01", "OutOfSync", "Progressing"),
                          app("kube-02", "Synced", "Healthy")}}}
      .dump();
}

// A launched multi-primary lab; each answer is a member a subcase may change first (the
// recording runner queues a rule scripted twice, so rules read these instead).
struct UpLab {
  test::TempDir state;
  lab::Lab lab = test::multi_primary_lab();
  test::RecordingRunner runner;
  std::string list = multipass_list(
      {{"kube-00", "Running"}, {"kube-01", "Running"}, {"kube-02", "Running"}, {"virt-01", "Running"}});
  std::map<std::string, Completed> nodes;
  Completed apps{.out = applications()};
  Completed docker{.out = "running\n"};

  UpLab() {
    lab.state_dir = state.path().string();
    lab.istio.revision = "1-30-3";
    lab.argocd.enabled = true;
    const auto dir = state.path().string();
    int n = 1;
    for (const auto& c : lab.clusters) {
      util::write_file_atomic(state / ("kubeconfigs/" + c.name + ".yaml"),
                              kubeconfig(c.name, fmt::format("https://127.0.10.{}:6443", n++)));
      nodes[c.name] = Completed{.out = k_nodes};
      runner.on(kubectl(dir, c.name, {"nodes"}), [this, name = c.name](const exec::Command&) { return nodes[name]; });
      runner.on(kubectl(dir, c.name, {"deployments", "-n", "istio-system", "-l", "app=istiod"}),
                Completed{.out = k_istiod});
    }
    runner.on(kubectl(dir, "kube-00", {"applications.argoproj.io", "-n", "argocd"}),
              [this](const exec::Command&) { return apps; });
    runner.on(k_list, [this](const exec::Command&) { return Completed{.out = list}; });
    runner.on_prefix({"docker", "inspect"}, [this](const exec::Command&) { return docker; });
  }

  const status::MachineRow& row(const status::LabReport& report, const std::string& name) {
    for (const auto& m : report.machines)
      if (m.name == name) return m;
    FAIL("no row " << name);
    return report.machines.front();
  }
};

} // namespace

TEST_CASE("status::collect_status") {
  UpLab up;

  SUBCASE("an up lab: every value known") {
    const auto report = status::collect_status(up.lab, up.runner);
    REQUIRE(report.machines.size() == 4);
    const auto& kube01 = up.row(report, "kube-01");
    CHECK(kube01.state.value == "Running");
    CHECK(kube01.address.value == "127.0.10.2");
    CHECK(kube01.context.value == "kube-01");
    REQUIRE(kube01.nodes.value);
    CHECK(kube01.nodes.value->ready == 1);
    CHECK(kube01.nodes.value->total == 2);
    REQUIRE(kube01.istio.value);
    CHECK(kube01.istio.value->revision == "1-30-3");
    REQUIRE(kube01.apps.value);
    CHECK(kube01.apps.value->total == 2);
    CHECK(kube01.apps.value->synced == 1);
    CHECK(kube01.apps.value->healthy == 1);
    const auto& kube00 = up.row(report, "kube-00"); // management: no cell, no Istio
    CHECK_FALSE(kube00.istio.value);
    CHECK(kube00.istio.reason.starts_with("not applicable"));
    CHECK(kube00.apps.value->total == 0);
    const auto& vm = up.row(report, "virt-01");
    CHECK(vm.type == status::MachineRow::Type::vm);
    CHECK(vm.state.value == "Running");
    CHECK_FALSE(vm.nodes.value);
    REQUIRE(report.registries.size() == 3);
    CHECK(report.registries[0].state.value == "running");
    CHECK(report.registries[0].container == "registry-docker-io");
    // Each read once: 1 list for the 4 instances, 3 node lists, istiod on the 2 mesh clusters,
    // 1 apps list, 3 caches.
    CHECK(up.runner.count(k_list) == 1);
    CHECK(up.runner.count({"kubectl"}) == 6);
    CHECK(up.runner.count({"docker", "inspect"}) == 3);
    for (const auto& call : up.runner.calls()) CHECK(call.timeout <= std::chrono::seconds(10));
  }
  SUBCASE("a stopped VM: its state, no address, with the reason") {
    up.list = multipass_list(
        {{"kube-00", "Running"}, {"kube-01", "Running"}, {"kube-02", "Running"}, {"virt-01", "Stopped"}});
    const auto report = status::collect_status(up.lab, up.runner);
    const auto& vm = up.row(report, "virt-01");
    CHECK(vm.state.value == "Stopped");
    CHECK_FALSE(vm.address.value);
    CHECK(vm.address.reason == "multipass lists no IPv4 address");
  }
  SUBCASE("a missing cluster: absent, and not launched for what needs its API") {
    std::filesystem::remove(up.state / "kubeconfigs/kube-02.yaml");
    up.list = multipass_list({{"kube-00", "Running"}, {"kube-01", "Running"}});
    const auto report = status::collect_status(up.lab, up.runner);
    const auto& kube02 = up.row(report, "kube-02");
    CHECK(kube02.state.value == "absent");
    CHECK_FALSE(kube02.nodes.value);
    CHECK(kube02.nodes.reason.starts_with("not launched: no kubeconfig"));
    CHECK(kube02.context.value == "kube-02");
    CHECK(up.row(report, "virt-01").state.value == "absent");
    CHECK(up.runner.count({"kubectl", "--kubeconfig", (up.state / "kubeconfigs/kube-02.yaml").string()}) == 0);
  }
  SUBCASE("nothing launched, no docker daemon: reasons name the Argo CD cluster and docker's own words") {
    std::filesystem::remove_all(up.state / "kubeconfigs");
    up.list = multipass_list({});
    up.docker = Completed{.exit_code = 1,
                          .err = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker "
                                 "daemon running?\n"};
    const auto report = status::collect_status(up.lab, up.runner);
    CHECK(up.row(report, "kube-01").apps.reason.starts_with("Argo CD cluster kube-00: not launched: no kubeconfig"));
    CHECK_FALSE(report.registries[0].state.value);
    CHECK(report.registries[0].state.reason.find("Is the docker daemon running?") != std::string::npos);
    CHECK(up.runner.count({"kubectl"}) == 0);
  }
  SUBCASE("corrupt tool output and clusters that do not answer become \"-\" with the reason") {
    up.list = "<html>oops";
    up.nodes["kube-01"] = Completed{.out = "nodes: yes"};
    up.apps = Completed{.exit_code = 1,
                        .err = "The connection to the server 127.0.10.1:6443 was refused - did you specify the "
                               "right host or port?\n"};
    up.docker = Completed{.exit_code = 1, .err = "Error: No such container: x\n"};
    const auto report = status::collect_status(up.lab, up.runner);
    const auto& kube01 = up.row(report, "kube-01");
    CHECK_FALSE(kube01.state.value);
    CHECK(kube01.state.reason.find("unexpected output from `multipass list --format json`") != std::string::npos);
    CHECK_FALSE(kube01.nodes.value);
    CHECK(kube01.nodes.reason == "kubectl printed something that is not a nodes list");
    CHECK_FALSE(kube01.apps.value);
    CHECK(kube01.apps.reason.find("Argo CD cluster kube-00 does not answer: The connection to the server") !=
          std::string::npos);
    CHECK(report.registries[0].state.value == "absent");

    const auto table = status::format_table(report);
    CAPTURE(table);
    CHECK(table.find("kube-01 nodes: kubectl printed something that is not a nodes list") != std::string::npos);
    const auto json = status::to_json(report);
    CHECK(json["machines"][1]["nodes"].is_null());
    CHECK(json["machines"][1]["reasons"]["nodes"] == "kubectl printed something that is not a nodes list");
  }
}

TEST_CASE("status::format") {
  UpLab up;
  const auto report = status::collect_status(up.lab, up.runner);

  SUBCASE("table: aligned columns, registries below, no notes when all is known") {
    const auto table = status::format_table(report);
    CAPTURE(table);
    std::istringstream in(table);
    std::string header, first;
    std::getline(in, header);
    std::getline(in, first);
    CHECK(header.starts_with("NAME     TYPE     PROVIDER   STATE    ADDRESS"));
    CHECK(header.find("APPS") == first.find("none")); // kube-00 has no apps of its own
    CHECK(table.find("kube-01  cluster  multipass  Running  127.0.10.2") != std::string::npos);
    CHECK(table.find("1/2 synced, 1/2 healthy") != std::string::npos);
    CHECK(table.find("REGISTRY") != std::string::npos);
    CHECK(table.find("unknown (-)") == std::string::npos);
    for (std::string line; std::getline(in, line);) CHECK((line.empty() || line.back() != ' '));
  }
  SUBCASE("json: stable keys, typed values, reasons for what is unknown") {
    const auto json = status::to_json(report);
    CHECK(json["lab"] == "multi-primary");
    const auto& kube01 = json["machines"][1];
    std::vector<std::string> keys;
    for (const auto& [key, value] : kube01.items()) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"name", "type", "provider", "instance", "state", "address", "context",
                                           "nodes", "istio", "apps", "reasons"});
    CHECK(kube01["nodes"] == nlohmann::json{{"ready", 1}, {"total", 2}});
    CHECK(kube01["istio"]["revision"] == "1-30-3");
    CHECK(kube01["apps"]["synced"] == 1);
    CHECK(kube01["reasons"].empty());
    const auto& vm = json["machines"][3];
    CHECK(vm["type"] == "vm");
    CHECK(vm["nodes"].is_null());
    CHECK(vm["reasons"]["nodes"] == "not applicable: a VM has no Kubernetes API");
    CHECK(json["registries"][0]["port"] == 5011);
  }
}

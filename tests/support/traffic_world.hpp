// A scripted mesh for the traffic checks' unit tests: nodes, pods and Services per cluster,
// answered through a RecordingRunner the way kubectl would (`get nodes|pods|service -o json`,
// `exec … -- curl`, `delete pod`, `wait`), with a test-chosen function deciding which pod
// answers each request. Records drains and deletions so tests can assert the restore.
#pragma once

#include "lab/model.hpp"
#include "support/recording_runner.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace meshlab::test {

class TrafficWorld {
public:
  struct Pod {
    std::string cluster, ns, name, node;
    std::map<std::string, std::string> labels;
    std::vector<std::string> containers{"app", "istio-proxy"};
    bool ready = true;
  };
  // Body of the answer to the `index`-th URL of one curl from `client` (cluster, pod); "" = no answer.
  using Answerer = std::function<std::string(const Pod& client, const std::string& url, int index)>;

  TrafficWorld(const lab::Lab& lab, std::filesystem::path state_dir) : m_lab(lab), m_state_dir(std::move(state_dir)) {}

  void node(const std::string& cluster, const std::string& name, const lab::Locality& locality) {
    m_nodes[cluster][name] = locality;
  }
  Pod& pod(const std::string& cluster, const std::string& ns, const std::string& name, const std::string& node,
           std::map<std::string, std::string> labels) {
    m_pods.push_back(Pod{cluster, ns, name, node, std::move(labels)});
    return m_pods.back();
  }
  void service(const std::string& cluster, const std::string& ns, const std::string& name,
               std::map<std::string, std::string> selector, int port) {
    m_services[cluster][ns + "/" + name] = nlohmann::json{
        {"metadata", {{"name", name}, {"namespace", ns}}},
        {"spec", {{"selector", selector}, {"ports", nlohmann::json::array({{{"name", "http"}, {"port", port}}})}}},
        {"status", {{"loadBalancer", nlohmann::json::object()}}}};
  }
  void raw_service(const std::string& cluster, const std::string& ns, const std::string& name, nlohmann::json svc) {
    m_services[cluster][ns + "/" + name] = std::move(svc);
  }

  Answerer answer;
  std::vector<std::string> drained; // "cluster/ns/pod"
  std::vector<std::string> deleted; // "cluster/ns/pod"
  int curl_exit = 0;                // exit status of `kubectl exec … curl` (e.g. 126: no curl)

  // Scripts `runner` to answer kubectl for every cluster of the lab.
  void install(RecordingRunner& runner) {
    for (const auto& cluster : m_lab.clusters) {
      const auto kubeconfig = (m_state_dir / "kubeconfigs" / (cluster.name + ".yaml")).string();
      const std::string name = cluster.name;
      runner.on_prefix({"kubectl", "--kubeconfig", kubeconfig, "--context", m_lab.instance_name(cluster.name)},
                       [this, name](const exec::Command& cmd) { return handle(name, Argv(cmd.argv.begin() + 5, cmd.argv.end())); });
    }
  }

  // How many kubectl commands `runner` ran on `cluster` whose arguments begin with `args`.
  std::size_t calls(const RecordingRunner& runner, const std::string& cluster, const Argv& args) const {
    const auto kubeconfig = (m_state_dir / "kubeconfigs" / (cluster + ".yaml")).string();
    Argv prefix{"kubectl", "--kubeconfig", kubeconfig, "--context", m_lab.instance_name(cluster)};
    prefix.insert(prefix.end(), args.begin(), args.end());
    return runner.count(prefix);
  }

  const Pod* find(const std::string& name) const {
    for (const auto& pod : m_pods)
      if (pod.name == name) return &pod;
    return nullptr;
  }

private:
  static std::string flag(const Argv& args, const std::string& name) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == name) return args[i + 1];
    return "";
  }
  static bool has(const Argv& args, const std::string& word) {
    return std::find(args.begin(), args.end(), word) != args.end();
  }

  bool selected(const Pod& pod, const std::string& selector) const {
    std::size_t start = 0;
    while (start < selector.size()) {
      auto end = selector.find(',', start);
      if (end == std::string::npos) end = selector.size();
      const auto term = selector.substr(start, end - start);
      const auto eq = term.find('=');
      const auto it = pod.labels.find(term.substr(0, eq));
      if (it == pod.labels.end() || it->second != term.substr(eq + 1)) return false;
      start = end + 1;
    }
    return true;
  }

  nlohmann::json pod_json(const Pod& pod) const {
    nlohmann::json containers = nlohmann::json::array();
    for (const auto& c : pod.containers) containers.push_back({{"name", c}});
    return {{"metadata", {{"name", pod.name}, {"namespace", pod.ns}, {"labels", pod.labels}}},
            {"spec", {{"nodeName", pod.node}, {"containers", containers}}},
            {"status", {{"phase", pod.ready ? "Running" : "Pending"},
                        {"conditions", nlohmann::json::array({{{"type", "Ready"}, {"status", pod.ready ? "True" : "False"}}})}}}};
  }

  exec::Completed handle(const std::string& cluster, const Argv& args) {
    if (args.size() >= 2 && args[0] == "get" && args[1] == "nodes") {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& [name, loc] : m_nodes[cluster]) {
        nlohmann::json labels = {{"topology.kubernetes.io/region", loc.region}};
        if (!loc.zone.empty()) labels["topology.kubernetes.io/zone"] = loc.zone;
        if (!loc.subzone.empty()) labels["topology.istio.io/subzone"] = loc.subzone;
        items.push_back({{"metadata", {{"name", name}, {"labels", labels}}}});
      }
      return {.out = nlohmann::json{{"items", items}}.dump()};
    }
    if (args.size() >= 2 && args[0] == "get" && args[1] == "pods") {
      const auto ns = flag(args, "-n");
      const auto selector = flag(args, "-l");
      nlohmann::json items = nlohmann::json::array();
      for (const auto& pod : m_pods)
        if (pod.cluster == cluster && (has(args, "-A") || pod.ns == ns) && selected(pod, selector))
          items.push_back(pod_json(pod));
      return {.out = nlohmann::json{{"items", items}}.dump()};
    }
    if (args.size() >= 3 && args[0] == "get" && args[1] == "service") {
      const auto it = m_services[cluster].find(flag(args, "-n") + "/" + args[2]);
      return {.out = it == m_services[cluster].end() ? "" : it->second.dump()};
    }
    if (!args.empty() && args[0] == "exec") {
      const auto ns = flag(args, "-n");
      const auto& pod_name = args[3];
      if (has(args, "POST")) {
        drained.push_back(cluster + "/" + ns + "/" + pod_name);
        return {.out = "OK\n"};
      }
      if (curl_exit != 0) return {.exit_code = curl_exit, .err = "exec: \"curl\": executable file not found in $PATH"};
      const Pod* client = nullptr;
      for (const auto& pod : m_pods)
        if (pod.cluster == cluster && pod.name == pod_name) client = &pod;
      if (client == nullptr) return {.exit_code = 1, .err = "Error from server (NotFound): pods \"" + pod_name + "\" not found"};
      std::string out;
      int index = 0;
      const auto dashes = std::find(args.begin(), args.end(), "--");
      for (auto it = dashes; it != args.end(); ++it) {
        if (!it->starts_with("http://")) continue;
        const auto body = answer ? answer(*client, *it, index++) : std::string();
        out += body.empty() ? "\n#meshlab-status 000\n" : body + "\n\n#meshlab-status 200\n";
      }
      return {.out = out};
    }
    if (args.size() >= 2 && args[0] == "delete" && args[1] == "pod") {
      const auto ns = flag(args, "-n");
      for (std::size_t i = 4; i < args.size(); ++i) deleted.push_back(cluster + "/" + ns + "/" + args[i]);
      return {.out = "pod deleted\n"};
    }
    return {};
  }

  const lab::Lab& m_lab;
  std::filesystem::path m_state_dir;
  std::map<std::string, std::map<std::string, lab::Locality>> m_nodes;
  std::deque<Pod> m_pods;
  std::map<std::string, std::map<std::string, nlohmann::json>> m_services;
};

} // namespace meshlab::test

#include "actions/machines_detail.hpp"

#include "net/http.hpp"
#include "render/kind_config.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace meshlab::actions::detail {

namespace fs = std::filesystem;

fs::path k3s_cloud_init_path(const LaunchContext& ctx, const lab::Cluster& cluster) {
  return ctx.state_dir / "clusters" / cluster.name / "cloud-init.yaml";
}

fs::path vm_cloud_init_path(const LaunchContext& ctx, const lab::Vm& vm) {
  return ctx.state_dir / "vms" / vm.name / "cloud-init.yaml";
}

fs::path kind_config_path(const LaunchContext& ctx, const lab::Cluster& cluster) {
  return ctx.state_dir / "clusters" / cluster.name / "kind-config.yaml";
}

fs::path hosts_toml_path(const LaunchContext& ctx, const lab::Cluster& cluster, const lab::Registry& registry) {
  return ctx.state_dir / "clusters" / cluster.name / "containerd" / "certs.d" / registry.name / "hosts.toml";
}

std::string node_hosts_toml_path(const lab::Registry& registry) {
  return fmt::format("{}/{}/hosts.toml", render::k_containerd_certs_dir, registry.name);
}

std::string provider_name(lab::Provider provider) { return std::string(lab::to_string(provider)); }

providers::Machine cluster_machine(const LaunchContext& ctx, const lab::Cluster& cluster) {
  providers::Machine machine;
  machine.kind = providers::Machine::Kind::cluster;
  machine.name = ctx.context_for(cluster);
  switch (cluster.provider) {
  case lab::Provider::multipass:
    machine.config = k3s_cloud_init_path(ctx, cluster);
    machine.cpus = cluster.resources.cpus;
    machine.memory = cluster.resources.memory;
    machine.disk = cluster.resources.disk;
    machine.image = cluster.image;
    break;
  case lab::Provider::kind:
    machine.config = kind_config_path(ctx, cluster);
    machine.kind_image = cluster.kind_image; // informational: the rendered config names it
    break;
  case lab::Provider::external:
    machine.kubeconfig = cluster.kubeconfig;
    machine.context = cluster.context;
    break;
  }
  return machine;
}

providers::Machine vm_machine(const LaunchContext& ctx, const lab::Vm& vm) {
  providers::Machine machine;
  machine.kind = providers::Machine::Kind::vm;
  machine.name = ctx.lab.instance_name(vm.name);
  machine.config = vm_cloud_init_path(ctx, vm);
  machine.cpus = vm.resources.cpus;
  machine.memory = vm.resources.memory;
  machine.disk = vm.resources.disk;
  machine.image = vm.image;
  return machine;
}

std::vector<const lab::Cluster*> kind_clusters(const lab::Lab& lab) {
  std::vector<const lab::Cluster*> out;
  for (const auto& cluster : lab.clusters)
    if (cluster.provider == lab::Provider::kind) out.push_back(&cluster);
  return out;
}

std::function<bool(exec::Runner&)> never_throwing(std::function<bool(exec::Runner&)> check) {
  return [check = std::move(check)](exec::Runner& runner) {
    try {
      return check(runner);
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception&) {
      return false;
    }
  };
}

std::string inputs_hash(std::initializer_list<std::string_view> parts) {
  return inputs_hash(std::vector<std::string>(parts.begin(), parts.end()));
}

std::string inputs_hash(const std::vector<std::string>& parts) {
  std::string joined;
  for (const auto& part : parts) joined += std::to_string(part.size()) + ':' + part;
  return net::sha256_hex(joined);
}

std::string content_or_missing(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return "<missing " + path.string() + ">";
  return util::read_file(path);
}

std::map<std::string, std::string> locality_labels(const lab::Locality& locality) {
  std::map<std::string, std::string> labels;
  if (!locality.region.empty()) labels["topology.kubernetes.io/region"] = locality.region;
  if (!locality.zone.empty()) labels["topology.kubernetes.io/zone"] = locality.zone;
  if (!locality.subzone.empty()) labels["topology.istio.io/subzone"] = locality.subzone;
  return labels;
}

std::vector<ExpectedNode> expected_nodes(const lab::Lab& lab, const lab::Cluster& cluster) {
  const auto instance = lab.instance_name(cluster.name);
  switch (cluster.provider) {
  case lab::Provider::multipass: return {{instance, cluster.locality}};
  case lab::Provider::external: return {};
  case lab::Provider::kind: break;
  }
  if (cluster.nodes.empty()) return {{instance + "-control-plane", cluster.locality}};
  std::vector<ExpectedNode> out;
  int control_planes = 0, workers = 0;
  for (const auto& node : cluster.nodes) {
    const bool control_plane = node.role == "control-plane";
    const int n = ++(control_plane ? control_planes : workers);
    const auto suffix = n == 1 ? std::string() : std::to_string(n);
    out.push_back(
        {fmt::format("{}-{}{}", instance, control_plane ? "control-plane" : "worker", suffix), node.locality});
  }
  return out;
}

std::vector<NodeView> parse_nodes(const nlohmann::json& items) {
  auto bad = [](std::string_view what) { throw Error(fmt::format("unexpected node list from kubectl: {}", what)); };
  if (!items.is_array()) bad("not a list");
  std::vector<NodeView> nodes;
  for (const auto& item : items) {
    if (!item.is_object() || !item.contains("metadata") || !item["metadata"].is_object())
      bad("a node without metadata");
    const auto& metadata = item["metadata"];
    if (!metadata.contains("name") || !metadata["name"].is_string()) bad("a node without a name");
    NodeView node{metadata["name"].get<std::string>(), false, {}};
    if (metadata.contains("labels") && metadata["labels"].is_object())
      for (const auto& [key, value] : metadata["labels"].items())
        if (value.is_string()) node.labels[key] = value.get<std::string>();
    const auto& conditions = member(member(item, "status"), "conditions");
    if (conditions.is_array())
      for (const auto& condition : conditions)
        if (member(condition, "type") == "Ready") node.ready = member(condition, "status") == "True";
    nodes.push_back(std::move(node));
  }
  return nodes;
}

std::string nodes_not_ready(const std::vector<NodeView>& nodes, const std::vector<ExpectedNode>& expected) {
  std::vector<std::string> problems;
  for (const auto& want : expected)
    if (std::none_of(nodes.begin(), nodes.end(), [&](const NodeView& node) { return node.name == want.name; }))
      problems.push_back(fmt::format("node {} not registered", want.name));
  for (const auto& node : nodes)
    if (!node.ready) problems.push_back(fmt::format("node {} not Ready", node.name));
  if (nodes.empty() && expected.empty()) problems.push_back("no nodes");
  return util::join(problems);
}

LabelFixes label_fixes(const std::vector<NodeView>& nodes, const std::vector<ExpectedNode>& expected,
                       const lab::Locality& cluster_locality, LabelPolicy policy, bool every_node) {
  LabelFixes fixes;
  for (const auto& node : nodes) {
    const auto want =
        std::find_if(expected.begin(), expected.end(), [&](const ExpectedNode& e) { return e.name == node.name; });
    if (want == expected.end() && !every_node) continue; // not a node the lab describes
    const auto& locality = want != expected.end() ? want->locality : cluster_locality;
    for (const auto& [key, value] : locality_labels(locality)) {
      const auto have = node.labels.find(key);
      if (have == node.labels.end() || (policy == LabelPolicy::overwrite && have->second != value))
        fixes[node.name][key] = value;
    }
  }
  return fixes;
}

} // namespace meshlab::actions::detail

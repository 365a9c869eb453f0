// Internals shared by the machines_*.cpp files, and the pure decisions they make (label
// fixes, MetalLB pools), declared here so tests can check them without a plan.
#pragma once

#include "actions/launch_context.hpp"
#include "kube/object.hpp"
#include "plan/step.hpp"
#include "providers/provider.hpp"
#include "util/net.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::actions::detail {

// Rendered files (render_all's layout, see index.json), relative to the state directory.
std::filesystem::path k3s_cloud_init_path(const LaunchContext& ctx, const lab::Cluster& cluster);
std::filesystem::path vm_cloud_init_path(const LaunchContext& ctx, const lab::Vm& vm);
std::filesystem::path kind_config_path(const LaunchContext& ctx, const lab::Cluster& cluster);
std::filesystem::path hosts_toml_path(const LaunchContext& ctx, const lab::Cluster& cluster,
                                      const lab::Registry& registry);
// Where `registry`'s hosts.toml goes inside a kind node (render::k_containerd_certs_dir).
std::string node_hosts_toml_path(const lab::Registry& registry);

std::string provider_name(lab::Provider provider);
providers::Machine cluster_machine(const LaunchContext& ctx, const lab::Cluster& cluster);
providers::Machine vm_machine(const LaunchContext& ctx, const lab::Vm& vm);
// The kind clusters of the lab, in lab order.
std::vector<const lab::Cluster*> kind_clusters(const lab::Lab& lab);

// `value[key]` when `value` is an object that has it, else null (kube/object.hpp, shared
// with verify and status).
using kube::member;

// Hex SHA-256 over `parts` (each length-prefixed, so ("ab","c") != ("a","bc")).
std::string inputs_hash(std::initializer_list<std::string_view> parts);
std::string inputs_hash(const std::vector<std::string>& parts);
// The file's content, or a marker naming it missing (a plan may be built before rendering).
std::string content_or_missing(const std::filesystem::path& path);

// `check` as a Step::verify that answers false instead of throwing: a world that cannot be
// checked is not known to match (Interrupted still passes through).
std::function<bool(exec::Runner&)> never_throwing(std::function<bool(exec::Runner&)> check);

// ---- nodes, readiness, locality labels

// The labels a locality puts on a node: topology.kubernetes.io/region and /zone,
// topology.istio.io/subzone — only for the parts that are set.
std::map<std::string, std::string> locality_labels(const lab::Locality& locality);

// A node meshlab expects, with the locality the lab gives it.
struct ExpectedNode {
  std::string name;
  lab::Locality locality;
};
// kind: one per nodes[] entry named as kind names them (control planes <i>-control-plane,
// <i>-control-plane2, ...; workers <i>-worker, <i>-worker2, ..., each in nodes[] order),
// multipass: the one k3s node (the instance), external: none (its nodes are its own).
std::vector<ExpectedNode> expected_nodes(const lab::Lab& lab, const lab::Cluster& cluster);

struct NodeView {
  std::string name;
  bool ready = false;
  std::map<std::string, std::string> labels;
};
// The nodes in `kubectl get nodes -o json`'s items. Throws meshlab::Error on another shape.
std::vector<NodeView> parse_nodes(const nlohmann::json& items);

// Empty when every expected node is present and every node is Ready (external: at least
// one node); else what is missing, for "last seen" messages.
std::string nodes_not_ready(const std::vector<NodeView>& nodes, const std::vector<ExpectedNode>& expected);

// overwrite: labels that are missing or wrong get the lab's value (kind, multipass: meshlab
// made the nodes). add_missing: only absent labels are added (external: a cloud sets its own
// topology labels and meshlab does not fight it).
enum class LabelPolicy { overwrite, add_missing };
// Per node name, the labels to set so the nodes match the lab. Expected nodes get their own
// locality; with `every_node` (external) every node gets `cluster_locality`.
using LabelFixes = std::map<std::string, std::map<std::string, std::string>>;
LabelFixes label_fixes(const std::vector<NodeView>& nodes, const std::vector<ExpectedNode>& expected,
                       const lab::Locality& cluster_locality, LabelPolicy policy, bool every_node);

// ---- MetalLB

// The address pool of the index-th (0-based, lab order) of `count` kind clusters of lab
// `lab_name` on the kind network `subnet`: a /28 (16 addresses) in the upper half of the
// subnet, where docker, which hands container addresses out from the bottom, does not reach
// in practice. The last /28 (broadcast) is never used. Blocks are consecutive per lab,
// starting at a block picked by a stable hash (FNV-1a) of the lab name, so two labs on one
// host rarely meet. Throws meshlab::Error when the subnet is smaller than /24 or has fewer
// blocks than the lab has kind clusters.
util::Cidr carve_metallb_pool(const util::Cidr& subnet, std::string_view lab_name, std::size_t index,
                              std::size_t count);

// The IPAddressPool and L2Advertisement "meshlab" in metallb-system for `pool`.
std::string metallb_pool_manifest(const util::Cidr& pool);

// ---- steps built in machines_kind.cpp and machines_ready.cpp (ids from step_ids.hpp)

// cluster/<c>/mirrors: the rendered hosts.toml of every lab registry into every node of kind
// cluster `cluster`.
plan::Step mirrors_step(const LaunchContext& ctx, const lab::Cluster& cluster);
// cluster/<c>/loadbalancer: MetalLB on kind cluster `cluster` with the pool of the index-th
// kind cluster of the lab.
plan::Step loadbalancer_step(const LaunchContext& ctx, const lab::Cluster& cluster, std::vector<std::string> needs);
// cluster/<c>/ready: nodes Ready, locality labels verified and applied where needed.
plan::Step ready_step(const LaunchContext& ctx, const lab::Cluster& cluster, std::vector<std::string> needs);

} // namespace meshlab::actions::detail

// Check 1: nodes Ready and carrying the locality labels Istio reads
// (topology.kubernetes.io/region, topology.kubernetes.io/zone, topology.istio.io/subzone),
// and the lab's VMs running.
#include "actions/machines_detail.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "verify/core_checks.hpp"
#include "verify/parallel.hpp"
#include "verify/probe.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "nodes";
constexpr const char* k_region = "topology.kubernetes.io/region";
constexpr const char* k_zone = "topology.kubernetes.io/zone";
constexpr const char* k_subzone = "topology.istio.io/subzone";

using actions::detail::ExpectedNode;
using actions::detail::NodeView;

std::string label(const NodeView& node, const char* key) {
  const auto found = node.labels.find(key);
  return found == node.labels.end() ? "" : found->second;
}

// What is wrong with `node` against `want` (empty when nothing): the labels launch puts on
// it (actions::detail::locality_labels), checked region first.
std::vector<std::string> node_problems(const NodeView& node, const lab::Locality& want) {
  std::vector<std::string> out;
  if (!node.ready) out.emplace_back("not Ready");
  const auto wanted = actions::detail::locality_labels(want);
  for (const char* key : {k_region, k_zone, k_subzone}) {
    const auto value = wanted.find(key);
    if (value == wanted.end()) continue;
    const auto have = label(node, key);
    if (have.empty()) out.push_back(fmt::format("no {} label (want \"{}\")", key, value->second));
    else if (have != value->second) out.push_back(fmt::format("{}={} (want \"{}\")", key, have, value->second));
  }
  return out;
}

CheckResult check_cluster(const VerifyContext& ctx, const lab::Cluster& cluster) {
  const auto who = subject("cluster", cluster.name);
  auto p = probe(kubectl_for(ctx, cluster), {"get", "nodes", "-o", "json"});
  if (!p.ok()) return result(k_id, who, Outcome::fail, p.failure(), {p.evidence});
  const auto doc = parse_json(p);
  if (!doc || !doc->contains("items")) return result(k_id, who, Outcome::fail, "kubectl printed no node list", {p.evidence});
  std::vector<NodeView> nodes;
  try {
    nodes = actions::detail::parse_nodes((*doc)["items"]);
  } catch (const Error& e) {
    p.evidence.lines.emplace_back(e.what());
    return result(k_id, who, Outcome::fail, e.what(), {p.evidence});
  }

  // The nodes launch waits for (kind: named per nodes[] entry); others, and the nodes of an
  // external cluster, carry the cluster's locality.
  auto expected = actions::detail::expected_nodes(ctx.lab, cluster);
  std::vector<std::string> problems;
  std::size_t good = 0;
  for (const auto& node : nodes) {
    const auto found = std::find_if(expected.begin(), expected.end(),
                                    [&](const ExpectedNode& e) { return e.name == node.name; });
    const auto want = found != expected.end() ? found->locality : cluster.locality;
    if (found != expected.end()) expected.erase(found);
    const auto wrong = node_problems(node, want);
    p.evidence.lines.push_back(fmt::format("{} Ready={} region={} zone={} subzone={}", node.name,
                                           node.ready ? "True" : "False", label(node, k_region), label(node, k_zone),
                                           label(node, k_subzone)));
    if (wrong.empty()) ++good;
    for (const auto& w : wrong) problems.push_back(fmt::format("{}: {}", node.name, w));
  }
  for (const auto& missing : expected) problems.push_back(fmt::format("{}: missing", missing.name));
  const auto total = nodes.size();
  if (total == 0) problems.emplace_back("the cluster has no nodes");
  if (!problems.empty()) {
    std::string message = problems.front();
    if (problems.size() > 1) message += fmt::format(" (and {} more)", problems.size() - 1);
    for (const auto& problem : problems) p.evidence.lines.push_back("problem: " + problem);
    return result(k_id, who, Outcome::fail, message, {p.evidence});
  }
  const auto where = cluster.locality.empty() ? std::string() : " at " + cluster.locality.str();
  return result(k_id, who, Outcome::pass,
                fmt::format("{}/{} nodes Ready{}", good, total, cluster.locality.empty() ? "" : " with locality labels" + where),
                {p.evidence});
}

// One `multipass info --format json` for every VM (contracts/multipass.md: no names = all).
std::vector<CheckResult> check_vms(const VerifyContext& ctx) {
  std::vector<CheckResult> out;
  if (ctx.lab.vms.empty()) return out;
  exec::Command cmd;
  cmd.argv = {"multipass", "info", "--format", "json"};
  cmd.timeout = std::chrono::seconds(60);
  auto p = probe(ctx, cmd);
  const auto doc = p.ok() ? parse_json(p) : std::nullopt;
  for (const auto& vm : ctx.lab.vms) {
    const auto instance = ctx.lab.instance_name(vm.name);
    auto evidence = p.evidence;
    if (!p.ok()) {
      out.push_back(result(k_id, subject("vm", vm.name), Outcome::fail, p.failure(), {evidence}));
      continue;
    }
    const auto info = doc ? doc->value("info", nlohmann::json::object()) : nlohmann::json::object();
    if (!info.contains(instance)) {
      evidence.lines.push_back(fmt::format("no instance \"{}\" in the answer", instance));
      out.push_back(result(k_id, subject("vm", vm.name), Outcome::fail,
                           fmt::format("multipass has no instance {}", instance), {evidence}));
      continue;
    }
    const auto state = info[instance].value("state", "");
    std::vector<std::string> addresses;
    for (const auto& ip : info[instance].value("ipv4", nlohmann::json::array()))
      if (ip.is_string()) addresses.push_back(ip.get<std::string>());
    const auto address = util::join(addresses, ",");
    evidence.lines.push_back(fmt::format("{} state={} ipv4={}", instance, state, address.empty() ? "-" : address));
    const bool running = state == "Running";
    out.push_back(result(k_id, subject("vm", vm.name), running ? Outcome::pass : Outcome::fail,
                         running ? fmt::format("{} Running at {}", instance, address.empty() ? "no address" : address)
                                 : fmt::format("{} is {}, not Running", instance, state.empty() ? "in no state" : state),
                         {evidence}));
  }
  return out;
}

std::vector<CheckResult> run(const VerifyContext& ctx) {
  const auto& clusters = ctx.lab.clusters;
  auto out = parallel_map<CheckResult>(clusters.size(), k_parallel_jobs,
                                       [&](std::size_t i) { return check_cluster(ctx, clusters[i]); });
  for (auto& vm : check_vms(ctx)) out.push_back(std::move(vm));
  return out;
}

} // namespace

Check nodes_check() { return {k_id, "nodes Ready with their locality labels; VMs running", run}; }

} // namespace meshlab::verify

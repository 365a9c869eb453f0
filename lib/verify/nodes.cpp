// Check 1: nodes Ready and carrying the locality labels Istio reads
// (topology.kubernetes.io/region, topology.kubernetes.io/zone, topology.istio.io/subzone),
// and the lab's VMs running.
#include "verify/core_checks.hpp"
#include "verify/parallel.hpp"
#include "verify/probe.hpp"

#include <fmt/format.h>

#include <map>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "nodes";
constexpr const char* k_region = "topology.kubernetes.io/region";
constexpr const char* k_zone = "topology.kubernetes.io/zone";
constexpr const char* k_subzone = "topology.istio.io/subzone";

// kind's node names: "<cluster>-<role>", then "<cluster>-<role>2", ... per role in config
// order (kind pkg/cluster/internal/providers/*/provision.go, makeNodeNamer).
std::map<std::string, lab::Locality> kind_node_localities(const lab::Lab& lab, const lab::Cluster& cluster) {
  std::map<std::string, lab::Locality> out;
  std::map<std::string, int> seen;
  const auto instance = lab.instance_name(cluster.name);
  for (const auto& node : cluster.nodes) {
    const int n = ++seen[node.role];
    out[fmt::format("{}-{}{}", instance, node.role, n == 1 ? "" : std::to_string(n))] = node.locality;
  }
  return out;
}

std::string label(const nlohmann::json& node, const char* key) {
  const auto& labels = node["metadata"].value("labels", nlohmann::json::object());
  return labels.contains(key) && labels[key].is_string() ? labels[key].get<std::string>() : "";
}

bool ready(const nlohmann::json& node) {
  for (const auto& c : node.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

// What is wrong with `node` against `want` (empty when nothing).
std::vector<std::string> node_problems(const nlohmann::json& node, const lab::Locality& want) {
  std::vector<std::string> out;
  if (!ready(node)) out.emplace_back("not Ready");
  const auto expect = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    const auto have = label(node, key);
    if (have.empty()) out.push_back(fmt::format("no {} label (want \"{}\")", key, value));
    else if (have != value) out.push_back(fmt::format("{}={} (want \"{}\")", key, have, value));
  };
  expect(k_region, want.region);
  expect(k_zone, want.zone);
  expect(k_subzone, want.subzone);
  return out;
}

CheckResult check_cluster(const VerifyContext& ctx, const lab::Cluster& cluster) {
  const auto who = subject("cluster", cluster.name);
  auto p = probe(kubectl_for(ctx, cluster), {"get", "nodes", "-o", "json"});
  if (!p.ok()) return result(k_id, who, Outcome::fail, p.failure(), {p.evidence});
  const auto doc = parse_json(p);
  if (!doc || !doc->contains("items")) return result(k_id, who, Outcome::fail, "kubectl printed no node list", {p.evidence});

  auto expected = cluster.provider == lab::Provider::kind ? kind_node_localities(ctx.lab, cluster)
                                                          : std::map<std::string, lab::Locality>{};
  std::vector<std::string> problems;
  std::size_t good = 0;
  for (const auto& node : (*doc)["items"]) {
    const auto name = node["metadata"].value("name", "");
    const auto found = expected.find(name);
    const auto want = found != expected.end() ? found->second : cluster.locality;
    if (found != expected.end()) expected.erase(found);
    const auto wrong = node_problems(node, want);
    p.evidence.lines.push_back(fmt::format("{} Ready={} region={} zone={} subzone={}", name, ready(node) ? "True" : "False",
                                           label(node, k_region), label(node, k_zone), label(node, k_subzone)));
    if (wrong.empty()) ++good;
    for (const auto& w : wrong) problems.push_back(fmt::format("{}: {}", name, w));
  }
  for (const auto& [name, locality] : expected) problems.push_back(fmt::format("{}: missing", name));
  const auto total = (*doc)["items"].size();
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
    std::string address;
    for (const auto& ip : info[instance].value("ipv4", nlohmann::json::array()))
      if (ip.is_string()) address += (address.empty() ? "" : ",") + ip.get<std::string>();
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

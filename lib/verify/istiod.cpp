// Check 3: each cell cluster's istiod is Available and reads endpoints from every other
// cluster of its cell: a remote secret (label istio/multiCluster=true, one data key per
// cluster ID) for each peer, and istiod's own view, GET /debug/clusterz on its monitoring
// port through `pilot-discovery request` (JSON list of {id, secretName, syncStatus};
// istio pkg/cluster/debug.go, statuses "synced", "syncing", "timeout", "closed").
#include "kube/object.hpp"
#include "util/strings.hpp"
#include "verify/core_checks.hpp"
#include "verify/parallel.hpp"
#include "verify/probe.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "istiod";

// The control plane's Deployment: istiod-<revision>, or istiod without a revision
// (the istiod chart's templates/deployment.yaml; render/helm_values.cpp sets the revision).
std::string istiod_name(const lab::Lab& lab) {
  return lab.istio.revision.empty() ? "istiod" : "istiod-" + lab.istio.revision;
}

bool available(const nlohmann::json& deployment) { return kube::condition_status(deployment, "Available") == "True"; }

CheckResult check_cluster(const VerifyContext& ctx, const lab::Cluster& cluster) {
  const auto who = subject("cluster", cluster.name);
  const auto kubectl = kubectl_for(ctx, cluster);
  const auto name = istiod_name(ctx.lab);

  auto deploy = probe(kubectl, {"get", "deployment", name, "-n", "istio-system", "-o", "json"});
  if (!deploy.ok()) return result(k_id, who, Outcome::fail, deploy.failure(), {deploy.evidence});
  const auto doc = parse_json(deploy);
  const auto status = doc ? doc->value("status", nlohmann::json::object()) : nlohmann::json::object();
  deploy.evidence.lines.push_back(fmt::format("{}: Available={} readyReplicas={}", name,
                                              doc && available(*doc) ? "True" : "False", status.value("readyReplicas", 0)));
  if (!doc || !available(*doc))
    return result(k_id, who, Outcome::fail, fmt::format("deployment {} is not Available", name), {deploy.evidence});

  std::vector<std::string> peers;
  for (const auto* other : ctx.lab.resolve({lab::Targets::Kind::cell, cluster.cell, {}}))
    if (other->name != cluster.name) peers.push_back(other->name);
  if (peers.empty())
    return result(k_id, who, Outcome::pass, fmt::format("{} Available; no other cluster in cell {}", name, cluster.cell),
                  {deploy.evidence});

  // Remote secrets: istiod treats each data key as a cluster ID (contracts/istio.md).
  auto secrets = probe(kubectl, {"get", "secrets", "-n", "istio-system", "-l", "istio/multiCluster=true", "-o", "json"},
                       /*secret=*/true);
  if (!secrets.ok()) return result(k_id, who, Outcome::fail, secrets.failure(), {deploy.evidence, secrets.evidence});
  std::set<std::string> with_secret;
  if (const auto list = parse_json(secrets))
    for (const auto& s : list->value("items", nlohmann::json::array())) {
      const auto data = s.value("data", nlohmann::json::object());
      for (const auto& [key, value] : data.items()) {
        with_secret.insert(key);
        secrets.evidence.lines.push_back(fmt::format("{} holds cluster {}", s["metadata"].value("name", ""), key));
      }
    }

  auto clusterz = probe(kubectl, {"exec", "deploy/" + name, "-n", "istio-system", "--", "pilot-discovery", "request",
                                  "GET", "/debug/clusterz"});
  std::map<std::string, std::string> synced; // cluster ID → syncStatus
  if (clusterz.ok()) {
    if (const auto list = parse_json(clusterz); list && list->is_array())
      for (const auto& entry : *list) {
        const auto id = entry.value("id", "");
        synced[id] = entry.value("syncStatus", "");
        clusterz.evidence.lines.push_back(
            fmt::format("{} {} {}", id, entry.value("secretName", ""), entry.value("syncStatus", "")));
      }
  }

  std::vector<std::string> problems;
  for (const auto& peer : peers) {
    if (!with_secret.contains(peer)) problems.push_back(fmt::format("no remote secret for {}", peer));
    if (!clusterz.ok()) continue;
    const auto found = synced.find(peer);
    if (found == synced.end()) problems.push_back(fmt::format("istiod does not list {}", peer));
    else if (found->second != "synced") problems.push_back(fmt::format("{} is {}, not synced", peer, found->second));
  }
  if (!clusterz.ok()) problems.push_back("istiod's /debug/clusterz did not answer: " + clusterz.failure());
  std::vector<Evidence> evidence{deploy.evidence, secrets.evidence, clusterz.evidence};
  if (!problems.empty()) return result(k_id, who, Outcome::fail, util::join(problems), evidence);
  return result(k_id, who, Outcome::pass, fmt::format("{} Available and synced with {}", name, util::join(peers)), evidence);
}

std::vector<CheckResult> run(const VerifyContext& ctx) {
  if (!ctx.lab.istio.has("istiod"))
    return {result(k_id, subject("lab", ctx.lab.name), Outcome::skip, "istio.components leaves out istiod")};
  const auto clusters = ctx.lab.workload_clusters();
  if (clusters.empty()) return {result(k_id, subject("lab", ctx.lab.name), Outcome::skip, "the lab has no cells")};
  return parallel_map<CheckResult>(clusters.size(), k_parallel_jobs,
                                   [&](std::size_t i) { return check_cluster(ctx, *clusters[i]); });
}

} // namespace

Check istiod_check() { return {k_id, "istiod ready and connected to the other clusters of its cell", run}; }

} // namespace meshlab::verify

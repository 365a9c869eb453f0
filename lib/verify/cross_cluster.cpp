// Check 6, cross-cluster: a client in each cluster of a cell calls the cell's app and the
// answers must come from more than one cluster (multi-primary endpoint discovery works and,
// on multi-network cells, the east-west gateways carry the traffic).
#include "verify/traffic_checks.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "cross-cluster";

bool governed(const lab::Lab& lab, const ServiceTarget& target, const lab::Cluster& cluster) {
  for (const auto& policy : lab.traffic)
    if (policy.host.starts_with(target.service + "." + target.ns + ".") && lab::Lab::selects(policy.targets, cluster))
      return true;
  return false;
}

// The app to call in `cell`: one the checks can attribute answers for, preferably one no
// traffic policy keeps local (a failover policy rightly keeps a client in its own region).
std::optional<ServiceTarget> pick_target(const lab::Lab& lab, const std::vector<const lab::Cluster*>& clusters) {
  std::optional<ServiceTarget> fallback;
  for (const auto& app : lab.apps) {
    const auto target = probe_target(app);
    if (!target) continue;
    bool deployed = false, policed = false;
    for (const auto* cluster : clusters) {
      deployed = deployed || lab::Lab::selects(app.targets, *cluster);
      policed = policed || governed(lab, *target, *cluster);
    }
    if (!deployed) continue;
    if (!policed) return target;
    if (!fallback) fallback = target;
  }
  return fallback;
}

// "kube-01 11, kube-02 9" in lab order.
std::string tally(const std::vector<const lab::Cluster*>& clusters, const std::map<std::string, int>& counts) {
  std::vector<std::string> parts;
  for (const auto* cluster : clusters)
    if (const auto it = counts.find(cluster->name); it != counts.end())
      parts.push_back(fmt::format("{} {}", cluster->name, it->second));
  return parts.empty() ? "none" : util::join(parts, ", ");
}

void judge_client(const VerifyContext& ctx, const TrafficOptions& options, ClusterView& view, const lab::Cluster& cluster,
                  const std::vector<const lab::Cluster*>& clusters, const ServiceTarget& target,
                  const std::vector<Pod>& servers, CheckResult& result) {
  Evidence service;
  const auto info = service_info(view, target.ns, target.service, service);
  result.evidence.push_back(service);
  if (!info) {
    result.outcome = Outcome::fail;
    result.message = fmt::format("service {}/{} is missing on {}", target.ns, target.service, cluster.name);
    return;
  }
  const auto clients = client_pods(ctx, view, cluster);
  if (clients.empty()) {
    result.outcome = Outcome::fail;
    result.message = fmt::format("no ready pod with an istio-proxy sidecar in the app namespaces of {} to send from",
                                 cluster.name);
    return;
  }
  const auto& client = clients.front();
  Evidence calls;
  const auto url = service_url(cluster, target.service, target.ns, info->port, target.path);
  const auto answers = curl_from(view.kubectl(), client, url, options.requests, calls);
  std::map<std::string, int> counts;
  int unknown = 0;
  for (const auto& answer : answers) {
    if (const auto* pod = answered_by(answer, servers)) ++counts[pod->cluster];
    else ++unknown;
  }
  calls.lines.push_back(fmt::format("client {}/{} on {}", client.ns, client.name, cluster.name));
  calls.lines.push_back(fmt::format("{} answers: {}{}", answers.size(), tally(clusters, counts),
                                    unknown ? fmt::format(", {} naming no pod of {}", unknown, target.service) : ""));
  if (unknown > 0 && !answers.empty())
    calls.lines.push_back(fmt::format("e.g. {:.120}", answers.front().body));
  result.evidence.push_back(calls);
  result.outcome = counts.size() > 1 ? Outcome::pass : Outcome::fail;
  result.message = fmt::format("{} of {} requests from {} to {} answered by {} cluster(s): {}", answers.size() - unknown,
                               options.requests, cluster.name, target.service, counts.size(), tally(clusters, counts));
}

std::vector<CheckResult> check_cell(const VerifyContext& ctx, ClusterViews& views, const TrafficOptions& options,
                                    const lab::Cell& cell) {
  const auto clusters = cell_clusters(ctx.lab, cell);
  CheckResult skip{k_id, "cell/" + cell.name, Outcome::skip, "", {}, {}};
  if (clusters.size() < 2) {
    skip.message = fmt::format("cell {} has {} cluster", cell.name, clusters.size());
    return {skip};
  }
  const auto target = pick_target(ctx.lab, clusters);
  if (!target) {
    skip.message = fmt::format("no app in cell {} whose answers name their pod (httpbin, helloworld)", cell.name);
    return {skip};
  }
  // Every server pod of the cell, so an answer names its cluster.
  std::vector<Pod> servers;
  CheckResult listing{k_id, "cell/" + cell.name, Outcome::pass, "", {}, {}};
  for (const auto* cluster : clusters) {
    auto& view = views.of(ctx, *cluster);
    const auto failure = failure_of([&] {
      Evidence evidence;
      const auto info = service_info(view, target->ns, target->service, evidence);
      if (!info || info->selector.empty()) return;
      evidence.command =
          command_text(view.kubectl(), {"get", "pods", "-o", "json", "-n", target->ns, "-l", info->selector});
      auto pods = view.pods(target->ns, info->selector);
      std::vector<std::string> names;
      for (auto& pod : pods) names.push_back(pod.name), servers.push_back(std::move(pod));
      evidence.lines.push_back(fmt::format("{}: {}", cluster->name, names.empty() ? "no pods" : util::join(names, ", ")));
      listing.evidence.push_back(evidence);
    });
    if (failure) {
      listing.outcome = Outcome::fail;
      listing.message = fmt::format("cannot list the {} pods on {}: {}", target->service, cluster->name, *failure);
      return {listing};
    }
  }
  std::vector<CheckResult> results;
  for (const auto* cluster : clusters) {
    CheckResult result{k_id, "cluster/" + cluster->name, Outcome::fail, "", listing.evidence, {}};
    if (governed(ctx.lab, *target, *cluster)) {
      result.outcome = Outcome::skip;
      result.message = fmt::format("a traffic policy keeps {} clients of {} local; see the locality check",
                                   cluster->name, target->service);
      results.push_back(std::move(result));
      continue;
    }
    results.push_back(guarded(std::move(result), [&](CheckResult& r) {
      judge_client(ctx, options, views.of(ctx, *cluster), *cluster, clusters, *target, servers, r);
    }));
  }
  return results;
}

} // namespace

std::vector<CheckResult> check_cross_cluster(const VerifyContext& ctx, const TrafficOptions& options) {
  const auto views = views_of(ctx);
  std::vector<CheckResult> results;
  for (const auto& cell : ctx.lab.cells)
    for (auto& result : check_cell(ctx, *views, options, cell)) results.push_back(std::move(result));
  if (results.empty())
    results.push_back(CheckResult{k_id, "lab/" + ctx.lab.name, Outcome::skip, "the lab has no cells", {}, {}});
  return results;
}

} // namespace meshlab::verify

// Check 8, locality: the lab's traffic policies do what they say. Failover: a client in the
// `from` region is served from its region; once that region's server sidecars are drained
// through the Envoy admin API (POST /drain_listeners?inboundonly, as istio's locality
// failover task does), the answers come from the `to` region; the drained pods are then
// deleted so their Deployments recreate them, and the check waits for them to be Ready.
// Distribute: the observed split stays within options.tolerance_points of the weights.
#include "verify/traffic_checks.hpp"

#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "locality";

struct Servers {
  std::vector<Pod> pods;
  std::map<std::string, std::string> selector; // cluster → the Service's selector there
  std::map<std::string, int> port;             // cluster → the Service's port there
  std::vector<Evidence> evidence;
};

// A client pod to send from, the kubectl of its cluster, and the target's URL as it calls it.
struct Client {
  Pod pod;
  const kube::Kubectl* kubectl = nullptr; // its cluster's (ClusterView::kubectl)
  std::string url;
};

Servers find_servers(const VerifyContext& ctx, ClusterViews& views, const std::vector<const lab::Cluster*>& clusters,
                     const ServiceTarget& target) {
  Servers servers;
  for (const auto* cluster : clusters) {
    auto& view = views.of(ctx, *cluster);
    Evidence evidence;
    const auto info = service_info(view, target.ns, target.service, evidence);
    if (info && !info->selector.empty()) {
      servers.selector[cluster->name] = info->selector;
      servers.port[cluster->name] = info->port;
      std::vector<std::string> names;
      for (auto& pod : view.pods(target.ns, info->selector)) {
        names.push_back(fmt::format("{} ({})", pod.name, pod.locality.str()));
        servers.pods.push_back(std::move(pod));
      }
      evidence.lines.push_back(fmt::format("{}: {}", cluster->name, names.empty() ? "no pods" : util::join(names, ", ")));
    }
    servers.evidence.push_back(evidence);
  }
  return servers;
}

// A client pod in a cluster the policy governs whose locality matches `pattern`, calling
// `target` at the Service's port in its cluster (80 when the cluster has no such Service).
std::optional<Client> find_client(const VerifyContext& ctx, ClusterViews& views, const lab::TrafficPolicy& policy,
                                  const std::string& pattern, const ServiceTarget& target, const Servers& servers) {
  for (const auto* cluster : ctx.lab.resolve(policy.targets)) {
    auto& view = views.of(ctx, *cluster);
    for (auto& pod : client_pods(ctx, view, *cluster)) {
      if (!locality_matches(pod.locality, pattern)) continue;
      const auto port = servers.port.find(cluster->name);
      return Client{std::move(pod), &view.kubectl(),
                    service_url(*cluster, target.service, target.ns, port != servers.port.end() ? port->second : 80,
                                target.path)};
    }
  }
  return std::nullopt;
}

// Answers per region ("east 20, west 0") and how many named no server pod.
struct Spread {
  std::map<std::string, int> by_region;
  std::vector<const Pod*> pods; // serving pod per attributed answer
  int unknown = 0;
  std::string text() const {
    std::vector<std::string> parts;
    for (const auto& [region, n] : by_region) parts.push_back(fmt::format("{} {}", region, n));
    if (unknown) parts.push_back(fmt::format("{} unattributed", unknown));
    return parts.empty() ? "no answers" : util::join(parts, ", ");
  }
};

Spread spread(const std::vector<Answer>& answers, const std::vector<Pod>& servers) {
  Spread s;
  for (const auto& answer : answers) {
    if (const auto* pod = answered_by(answer, servers)) {
      ++s.by_region[pod->locality.region];
      s.pods.push_back(pod);
    } else {
      ++s.unknown;
    }
  }
  return s;
}

bool only_from(const Spread& s, const std::string& region) {
  return !s.pods.empty() && s.by_region.size() == 1 && s.by_region.begin()->first == region;
}

void drain(const VerifyContext& ctx, ClusterViews& views, const Pod& pod, Evidence& evidence) {
  const auto& kubectl = views.of(ctx, *ctx.lab.cluster(pod.cluster)).kubectl();
  const std::vector<std::string> args{"exec", "-n", pod.ns, pod.name, "-c", "istio-proxy", "--",
                                      "curl", "-sS", "-X", "POST", "http://127.0.0.1:15000/drain_listeners?inboundonly"};
  const auto done = kubectl.run(args);
  evidence.lines.push_back(fmt::format("{}: {} (exit {})", command_text(kubectl, args),
                                       done.exit_code == 0 ? "drained" : "not drained", done.exit_code));
  if (done.exit_code != 0) throw Error(fmt::format("draining {}/{} on {} failed: {}", pod.ns, pod.name, pod.cluster,
                                                   done.err.substr(0, done.err.find('\n'))));
}

// Deletes the drained pods (their Deployment recreates them with fresh sidecars) and waits
// until the app's pods are Ready again; the views forget the pods they listed there.
// Returns "" or what went wrong.
std::string restore(const VerifyContext& ctx, ClusterViews& views, const TrafficOptions& options,
                    const std::vector<const Pod*>& drained, const Servers& servers, Evidence& evidence) {
  std::map<std::string, std::vector<std::string>> by_cluster;
  for (const auto* pod : drained) by_cluster[pod->cluster].push_back(pod->name);
  std::string problem;
  for (const auto& [cluster, names] : by_cluster) {
    auto& view = views.of(ctx, *ctx.lab.cluster(cluster));
    const auto& kubectl = view.kubectl();
    std::vector<std::string> remove{"delete", "pod", "-n", drained.front()->ns};
    remove.insert(remove.end(), names.begin(), names.end());
    const auto removed = kubectl.run(remove);
    evidence.lines.push_back(fmt::format("{} (exit {})", command_text(kubectl, remove), removed.exit_code));
    const std::vector<std::string> wait{"wait", "--for=condition=Ready", "pod", "-n", drained.front()->ns,
                                        "-l", servers.selector.at(cluster),
                                        fmt::format("--timeout={}s", options.restore_timeout.count())};
    const auto ready = kubectl.run(wait);
    view.forget_pods();
    evidence.lines.push_back(fmt::format("{} (exit {})", command_text(kubectl, wait), ready.exit_code));
    if (removed.exit_code != 0 || ready.exit_code != 0)
      problem = fmt::format("restoring the drained pods on {} failed; delete them by hand: kubectl -n {} delete pod {}",
                            cluster, drained.front()->ns, util::join(names, " "));
  }
  return problem;
}

CheckResult failover(const VerifyContext& ctx, ClusterViews& views, const TrafficOptions& options,
                     const lab::TrafficPolicy& policy, const lab::Failover& rule, const ServiceTarget& target,
                     const Servers& servers) {
  CheckResult result{k_id, fmt::format("policy/{}/failover {} to {}", policy.name, rule.from, rule.to), Outcome::fail,
                     "", servers.evidence, {}};
  const auto client = find_client(ctx, views, policy, rule.from, target, servers);
  if (!client) {
    result.message = fmt::format("no client pod with an istio-proxy sidecar in region {} to send from", rule.from);
    return result;
  }
  Evidence before;
  const auto local = spread(curl_from(*client->kubectl, client->pod, client->url, options.requests, before), servers.pods);
  before.lines.push_back(fmt::format("client {}/{} in {}: {}", client->pod.ns, client->pod.name,
                                     client->pod.locality.str(), local.text()));
  result.evidence.push_back(before);
  if (!only_from(local, rule.from)) {
    result.message = fmt::format("with healthy endpoints in {}, answers came from: {}", rule.from, local.text());
    return result;
  }
  std::vector<const Pod*> drained;
  for (const auto& pod : servers.pods)
    if (pod.locality.region == rule.from && pod.ready) drained.push_back(&pod);
  Evidence draining;
  Evidence after;
  Spread moved;
  const auto problem = failure_of([&] {
    for (const auto* pod : drained) drain(ctx, views, *pod, draining);
    for (int round = 0; round < options.failover_rounds; ++round) {
      // Ctrl-C cuts the wait short like every other wait of meshlab's.
      if (round > 0 && !util::sleep_for(options.round_interval)) util::throw_if_interrupted();
      after = Evidence{};
      moved = spread(curl_from(*client->kubectl, client->pod, client->url, options.requests, after), servers.pods);
      after.lines.push_back(fmt::format("round {} after draining {}: {}", round + 1, rule.from, moved.text()));
      if (only_from(moved, rule.to)) break;
    }
  });
  Evidence restoring;
  const auto restored = drained.empty() ? std::string() : restore(ctx, views, options, drained, servers, restoring);
  result.evidence.insert(result.evidence.end(), {draining, after, restoring});
  if (problem) result.message = *problem;
  else if (!only_from(moved, rule.to))
    result.message = fmt::format("after draining {} ({} pods), answers came from: {}", rule.from, drained.size(), moved.text());
  else if (!restored.empty()) result.message = restored;
  else {
    result.outcome = Outcome::pass;
    result.message = fmt::format("{} clients stayed in {} ({}), moved to {} once it was drained, pods restored",
                                 rule.from, rule.from, local.text(), rule.to);
  }
  return result;
}

CheckResult distribute(const VerifyContext& ctx, ClusterViews& views, const TrafficOptions& options,
                       const lab::TrafficPolicy& policy, const lab::Distribute& rule, const ServiceTarget& target,
                       const Servers& servers) {
  CheckResult result{k_id, fmt::format("policy/{}/distribute from {}", policy.name, rule.from), Outcome::fail, "",
                     servers.evidence, {}};
  const auto client = find_client(ctx, views, policy, rule.from, target, servers);
  if (!client) {
    result.message = fmt::format("no client pod with an istio-proxy sidecar in {} to send from", rule.from);
    return result;
  }
  Evidence calls;
  const auto answers = curl_from(*client->kubectl, client->pod, client->url, options.distribute_requests, calls);
  std::map<std::string, int> counts;
  int other = 0;
  for (const auto& answer : answers) {
    const auto* pod = answered_by(answer, servers.pods);
    const auto key = std::find_if(rule.to_order.begin(), rule.to_order.end(), [&](const std::string& pattern) {
      return pod != nullptr && locality_matches(pod->locality, pattern);
    });
    if (key == rule.to_order.end()) ++other;
    else ++counts[*key];
  }
  const int total = options.distribute_requests;
  bool within = true;
  std::vector<std::string> parts;
  for (const auto& key : rule.to_order) {
    const int observed = total ? counts[key] * 100 / total : 0;
    const int weight = rule.to.at(key);
    within = within && std::abs(observed - weight) <= options.tolerance_points;
    parts.push_back(fmt::format("{} {}% (want {}%)", key, observed, weight));
  }
  if (total && other * 100 / total > options.tolerance_points) within = false;
  if (other) parts.push_back(fmt::format("elsewhere or unanswered {}", other));
  calls.lines.push_back(fmt::format("client {}/{} in {}: {}", client->pod.ns, client->pod.name,
                                    client->pod.locality.str(), util::join(parts, ", ")));
  result.evidence.push_back(calls);
  result.outcome = within ? Outcome::pass : Outcome::fail;
  result.message = fmt::format("{} of {} requests: {} (tolerance ±{} points)", answers.size(), total,
                               util::join(parts, ", "), options.tolerance_points);
  return result;
}

} // namespace

std::vector<CheckResult> check_locality(const VerifyContext& ctx, const TrafficOptions& options) {
  const auto views = views_of(ctx);
  std::vector<CheckResult> results;
  for (const auto& policy : ctx.lab.traffic) {
    const auto start = std::chrono::steady_clock::now();
    const auto target = target_for_host(policy.host);
    const auto governed = ctx.lab.resolve(policy.targets);
    if (!target || governed.empty()) {
      results.push_back(CheckResult{k_id, "policy/" + policy.name, Outcome::skip,
                                    fmt::format("policy {} governs no cluster or names no service", policy.name), {}, {}});
      continue;
    }
    // Servers live in every cluster of the governed clusters' cell.
    std::vector<const lab::Cluster*> clusters = governed;
    if (const auto* cell = ctx.lab.cell(governed.front()->cell)) clusters = cell_clusters(ctx.lab, *cell);
    const auto failure = failure_of([&] {
      const auto servers = find_servers(ctx, *views, clusters, *target);
      for (const auto& rule : policy.failover)
        results.push_back(failover(ctx, *views, options, policy, rule, *target, servers));
      for (const auto& rule : policy.distribute)
        results.push_back(distribute(ctx, *views, options, policy, rule, *target, servers));
    });
    if (failure) results.push_back(CheckResult{k_id, "policy/" + policy.name, Outcome::fail, *failure, {}, {}});
    for (auto& result : results)
      if (result.elapsed.count() == 0) result.elapsed = since(start);
  }
  if (results.empty())
    results.push_back(CheckResult{k_id, "lab/" + ctx.lab.name, Outcome::skip, "the lab has no traffic policies", {}, {}});
  return results;
}

} // namespace meshlab::verify

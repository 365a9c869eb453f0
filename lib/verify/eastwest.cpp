// Check 4: in multi-network cells, each cluster's east-west gateway Service
// (istio-eastwestgateway in istio-system, contracts/istio.md) has a LoadBalancer address,
// the one the other networks' sidecars and VMs are sent to. Single-network cells have no
// east-west gateway, so the check is skipped for them.
#include "actions/vm_join.hpp"
#include "render/mesh_detail.hpp"
#include "util/error.hpp"
#include "verify/core_checks.hpp"
#include "verify/parallel.hpp"
#include "verify/probe.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "eastwest";
constexpr const char* k_service = "istio-eastwestgateway";

CheckResult check_cluster(const VerifyContext& ctx, const lab::Cluster& cluster) {
  const auto who = subject("cluster", cluster.name);
  auto p = probe(kubectl_for(ctx, cluster), {"get", "service", k_service, "-n", "istio-system", "-o", "json"});
  if (!p.ok()) return result(k_id, who, Outcome::fail, p.failure(), {p.evidence});
  const auto svc = parse_json(p);
  if (!svc) return result(k_id, who, Outcome::fail, "kubectl printed no Service", {p.evidence});
  const auto type = svc->value("spec", nlohmann::json::object()).value("type", "ClusterIP");
  // An IP where launch finds one for VMs (actions::service_address); otherwise the host name
  // a cloud load balancer publishes instead (AWS), which sidecars reach through DNS.
  const auto address = actions::service_address(*svc).value_or(actions::service_hostname(*svc).value_or(""));
  p.evidence.lines.push_back(fmt::format("{}: type={} loadBalancer.ingress={}", k_service, type,
                                         address.empty() ? "<none>" : address));
  if (type != "LoadBalancer")
    return result(k_id, who, Outcome::fail, fmt::format("{} is of type {}, not LoadBalancer", k_service, type), {p.evidence});
  if (address.empty())
    return result(k_id, who, Outcome::fail, fmt::format("{} has no LoadBalancer address yet", k_service), {p.evidence});
  return result(k_id, who, Outcome::pass, fmt::format("{} at {}", k_service, address), {p.evidence});
}

// Whether meshlab gives `cluster` an east-west gateway (render::mesh::eastwest_gateway:
// multi-network cells, and clusters VMs attach to); false when the lab cannot have one.
bool has_gateway(const lab::Lab& lab, const lab::Cluster& cluster) {
  try {
    return render::mesh::eastwest_gateway(lab, cluster);
  } catch (const Error&) {
    return false;
  }
}

std::vector<CheckResult> run(const VerifyContext& ctx) {
  const auto& lab = ctx.lab;
  if (lab.cells.empty()) return {result(k_id, subject("lab", lab.name), Outcome::skip, "the lab has no cells")};
  std::vector<CheckResult> skipped;
  std::vector<const lab::Cluster*> gateways;
  for (const auto& cell : lab.cells) {
    const auto members = lab.resolve({lab::Targets::Kind::cell, cell.name, {}});
    bool any = false;
    for (const auto* cluster : members)
      if (has_gateway(lab, *cluster)) {
        gateways.push_back(cluster);
        any = true;
      }
    if (any) continue;
    const char* why = cell.network_mode != lab::NetworkMode::multi ? "single-network cell: no east-west gateway"
                      : !lab.istio.has("eastwest-gateway")        ? "istio.components leaves out eastwest-gateway"
                                                                   : "the cell has no clusters";
    skipped.push_back(result(k_id, subject("cell", cell.name), Outcome::skip, why));
  }
  auto out = parallel_map<CheckResult>(gateways.size(), k_parallel_jobs,
                                       [&](std::size_t i) { return check_cluster(ctx, *gateways[i]); });
  // Cluster results first, in lab order, then the skipped cells.
  out.insert(out.end(), std::make_move_iterator(skipped.begin()), std::make_move_iterator(skipped.end()));
  return out;
}

} // namespace

Check eastwest_check() { return {k_id, "east-west gateways have an address (multi-network cells)", run}; }

} // namespace meshlab::verify

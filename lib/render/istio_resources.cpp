// Istio resources per workload cluster: the network label on istio-system (multi-network
// cells), the cross-network Gateway (samples/multicluster/expose-services.yaml),
// istiod exposed through the east-west gateway for VMs (expose-istiod{,-rev}.yaml) and the
// locality DestinationRules of the lab's traffic policies (istio/api destination_rule.proto).
#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::render::mesh {

namespace {

Data list_of(const std::vector<std::string>& quoted) {
  Data list{Data::type::list};
  for (const auto& item : quoted) list.push_back(Data{item});
  return list;
}

Artifact istio_artifact(const lab::Cluster& cluster, const std::string& file, std::string purpose,
                        std::string content) {
  return Artifact{.path = fmt::format("clusters/{}/istio/{}", cluster.name, file),
                  .kind = "istio",
                  .cluster = cluster.name,
                  .purpose = std::move(purpose),
                  .content = std::move(content)};
}

// The SNI names the AUTO_PASSTHROUGH server accepts. The sample's "*.local" covers
// cluster.local and any other *.local domain (pasta.local); a cluster with another DNS
// domain needs its own suffix or cross-network requests to its services are refused.
std::string cross_network_hosts(const lab::Cluster& cluster) {
  const std::string_view domain = cluster.domain.empty() ? "cluster.local" : cluster.domain;
  if (domain == "local" || domain.ends_with(".local")) return yaml_quote("*.local");
  return yaml_quote(fmt::format("*.{}", domain));
}

Data expose_istiod_data(const lab::Lab& lab, const lab::Cluster& cluster) {
  const auto& rev = lab.istio.revision;
  const std::string service = rev.empty() ? "istiod" : "istiod-" + rev;
  const std::string short_host = fmt::format("{}.{}.svc", service, k_istio_namespace);
  const std::string full_host = fmt::format("{}.{}", short_host, cluster.domain);
  Data data;
  data.set("virtual_service", yaml_quote(rev.empty() ? "istiod-vs" : "istiod-vs-" + rev));
  // The revisioned sample routes only istiod-<rev>'s names, so several revisions can
  // share one gateway; the unrevisioned one takes every SNI name.
  data.set("sni_hosts", list_of(rev.empty() ? std::vector<std::string>{yaml_quote("*")}
                                            : std::vector<std::string>{yaml_quote(short_host), yaml_quote(full_host)}));
  data.set("istiod_host", yaml_quote(full_host));
  return data;
}

Data destination_rule_data(const lab::TrafficPolicy& policy) {
  if (!policy.failover.empty() && !policy.distribute.empty())
    throw Error(fmt::format("traffic.{}: set either failover or distribute, not both (a DestinationRule's "
                            "localityLbSetting takes one of them)",
                            policy.name));
  Data data;
  data.set("name", yaml_quote(policy.name));
  data.set("namespace", yaml_quote(policy.namespace_));
  data.set("host", yaml_quote(policy.host));
  Data failover{Data::type::list};
  for (const auto& rule : policy.failover) {
    Data item;
    item.set("from", yaml_quote(rule.from));
    item.set("to", yaml_quote(rule.to));
    failover.push_back(item);
  }
  Data distribute{Data::type::list};
  for (const auto& rule : policy.distribute) {
    Data to{Data::type::list};
    for (const auto& locality : rule.to_order) {
      const auto weight = rule.to.find(locality);
      if (weight == rule.to.end()) continue;
      Data entry;
      entry.set("locality", yaml_quote(locality));
      entry.set("weight", std::to_string(weight->second));
      to.push_back(entry);
    }
    Data item;
    item.set("from", yaml_quote(rule.from));
    item.set("to", to);
    distribute.push_back(item);
  }
  data.set("failover_mode", !policy.failover.empty());
  data.set("failover", failover);
  data.set("distribute_mode", !policy.distribute.empty());
  data.set("distribute", distribute);
  // Failover ejects an endpoint on its first 5xx, so a drained locality empties at once
  // (istio.io locality failover task); a weighted split must not drift on a stray error
  // (the distribute task uses 100).
  data.set("consecutive_5xx_errors", policy.distribute.empty() ? "1" : "100");
  return data;
}

} // namespace

std::vector<Artifact> istio_resources(const lab::Lab& lab, const lab::Cluster& cluster,
                                      const TemplateSource& templates) {
  std::vector<Artifact> out;
  const bool ew = eastwest_gateway(lab, cluster);
  if (multi_network(lab, cluster)) {
    Data data;
    data.set("network", yaml_quote(cluster.network));
    out.push_back(
        istio_artifact(cluster, "namespace.yaml",
                       fmt::format("istio-system labelled with network {} on {}", cluster.network, cluster.name),
                       render(templates, "istio/namespace.yaml.mustache", data)));
  }
  // Whenever there is an east-west gateway something crosses networks through it: the
  // other clusters of a multi-network cell, or VMs, which sit on their own network.
  if (ew) {
    Data gateway;
    gateway.set("hosts", cross_network_hosts(cluster));
    out.push_back(istio_artifact(cluster, "cross-network-gateway.yaml",
                                 fmt::format("cross-network Gateway (AUTO_PASSTHROUGH 15443) on {}", cluster.name),
                                 render(templates, "istio/cross-network-gateway.yaml.mustache", gateway)));
  }
  if (ew && !vms_of(lab, cluster).empty())
    out.push_back(
        istio_artifact(cluster, "expose-istiod.yaml",
                       fmt::format("istiod exposed through the east-west gateway of {} for VMs", cluster.name),
                       render(templates, "istio/expose-istiod.yaml.mustache", expose_istiod_data(lab, cluster))));
  for (const auto& policy : lab.traffic) {
    if (!lab::Lab::selects(policy.targets, cluster)) continue;
    const auto& file = path_component(policy.name, "traffic." + policy.name);
    out.push_back(
        istio_artifact(cluster, fmt::format("destination-rule-{}.yaml", file),
                       fmt::format("locality DestinationRule {} for {} on {}", policy.name, policy.host, cluster.name),
                       render(templates, "istio/destination-rule.yaml.mustache", destination_rule_data(policy))));
  }
  return out;
}

} // namespace meshlab::render::mesh

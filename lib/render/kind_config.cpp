#include "render/kind_config.hpp"

#include <fmt/format.h>

namespace meshlab::render {

namespace {

constexpr std::string_view k_cluster_template = "kind/cluster.yaml.mustache";
constexpr std::string_view k_hosts_template = "kind/hosts.toml.mustache";
constexpr std::string_view k_default_domain = "cluster.local";
constexpr int k_registry_container_port = 5000; // registry:2 listens there

Data scalar(std::string_view value) { return Data{yaml_quote(value)}; }

Data label(std::string_view key, std::string_view value) {
  Data entry;
  entry.set("key", scalar(key));
  entry.set("value", scalar(value));
  return entry;
}

Data node_view(const lab::Cluster& cluster, const lab::KindNode& node) {
  Data labels{Data::type::list};
  const auto& locality = node.locality;
  if (!locality.region.empty()) labels.push_back(label("topology.kubernetes.io/region", locality.region));
  if (!locality.zone.empty()) labels.push_back(label("topology.kubernetes.io/zone", locality.zone));
  if (!locality.subzone.empty()) labels.push_back(label("topology.istio.io/subzone", locality.subzone));

  Data view;
  view.set("role", scalar(node.role));
  view.set("has_image", !cluster.kind_image.empty());
  view.set("image", scalar(cluster.kind_image));
  view.set("has_labels", !locality.empty());
  view.set("labels", labels);
  return view;
}

} // namespace

Artifact render_kind_config(const lab::Lab& lab, const lab::Cluster& cluster, const TemplateSource& templates) {
  Data nodes{Data::type::list};
  if (cluster.nodes.empty()) {
    nodes.push_back(node_view(cluster, lab::KindNode{.role = "control-plane", .locality = cluster.locality}));
  }
  for (const auto& node : cluster.nodes) nodes.push_back(node_view(cluster, node));

  const auto instance = lab.instance_name(cluster.name);
  Data view;
  view.set("name", scalar(instance));
  view.set("pod_subnet", scalar(cluster.pod_cidr));
  view.set("service_subnet", scalar(cluster.service_cidr));
  view.set("nodes", nodes);
  // kind's kubeadm defaults to cluster.local; any other domain goes in through a patch.
  view.set("has_dns_domain", !cluster.domain.empty() && cluster.domain != k_default_domain);
  view.set("dns_domain", scalar(cluster.domain));
  view.set("has_registries", !lab.registries.empty());

  return Artifact{.path = fmt::format("clusters/{}/kind-config.yaml", cluster.name),
                  .kind = "kind-config",
                  .cluster = cluster.name,
                  .purpose = fmt::format("kind Cluster config for {}", instance),
                  .content = render_template(templates, k_cluster_template, view)};
}

std::vector<Artifact> render_containerd_hosts(const lab::Lab& lab, const lab::Cluster& cluster,
                                              const TemplateSource& templates) {
  std::vector<Artifact> out;
  const auto instance = lab.instance_name(cluster.name);
  for (const auto& registry : lab.registries) {
    Data view;
    view.set("server", yaml_quote(registry.upstream));
    view.set("mirror", yaml_quote(fmt::format("http://{}:{}", lab.registry_container(registry.name),
                                              k_registry_container_port)));
    out.push_back(Artifact{
        .path = fmt::format("clusters/{}/containerd/certs.d/{}/hosts.toml", cluster.name, registry.name),
        .kind = "containerd-hosts",
        .cluster = cluster.name,
        .purpose = fmt::format("containerd mirror for {} on the nodes of {}", registry.name, instance),
        .content = render_template(templates, k_hosts_template, view)});
  }
  return out;
}

std::vector<Artifact> render_kind(const lab::Lab& lab, const TemplateSource& templates) {
  std::vector<Artifact> out;
  for (const auto& cluster : lab.clusters) {
    if (cluster.provider != lab::Provider::kind) continue;
    out.push_back(render_kind_config(lab, cluster, templates));
    for (auto& hosts : render_containerd_hosts(lab, cluster, templates)) out.push_back(std::move(hosts));
  }
  return out;
}

} // namespace meshlab::render

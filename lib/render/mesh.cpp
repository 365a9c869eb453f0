#include "render/mesh.hpp"

#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::render {

namespace mesh {

const lab::Cell& cell_of(const lab::Lab& lab, const lab::Cluster& cluster) {
  if (const auto* cell = lab.cell(cluster.cell)) return *cell;
  throw Error(fmt::format("clusters.{}.cell: {} is not declared in cells", cluster.name, yaml_quote(cluster.cell)));
}

bool multi_network(const lab::Lab& lab, const lab::Cluster& cluster) {
  return cell_of(lab, cluster).network_mode == lab::NetworkMode::multi;
}

std::vector<const lab::Vm*> vms_of(const lab::Lab& lab, const lab::Cluster& cluster) {
  std::vector<const lab::Vm*> out;
  for (const auto& vm : lab.vms)
    if (vm.cluster == cluster.name) out.push_back(&vm);
  return out;
}

bool eastwest_gateway(const lab::Lab& lab, const lab::Cluster& cluster) {
  const bool enabled = lab.istio.has("eastwest-gateway");
  const auto vms = vms_of(lab, cluster);
  if (!vms.empty() && !enabled)
    throw Error(fmt::format("vms.{}: a VM reaches istiod on cluster {} through its east-west gateway, but "
                            "istio.components leaves out eastwest-gateway; add it",
                            vms.front()->name, cluster.name));
  return enabled && (multi_network(lab, cluster) || !vms.empty());
}

std::pair<std::string, std::string> injection_label(const lab::Lab& lab) {
  if (lab.istio.revision.empty()) return {"istio-injection", "enabled"};
  return {"istio.io/rev", lab.istio.revision};
}

const std::string& path_component(const std::string& name, std::string_view what) {
  const bool bad = name.empty() || name == "." || name == ".." ||
                   name.find_first_of(std::string_view("/\0", 2)) != std::string::npos;
  if (bad)
    throw Error(fmt::format("{}: {} cannot name a file; use a DNS label (lower-case letters, digits, '-')", what,
                            yaml_quote(name)));
  return name;
}

} // namespace mesh

namespace {

std::string_view purpose_of(std::string_view component) {
  if (component == "base") return "Istio CRDs and cluster roles";
  if (component == "cni") return "the Istio CNI node agent";
  if (component == "istiod") return "the Istio control plane";
  if (component == "ingress-gateway") return "the Istio ingress gateway";
  return "the east-west gateway";
}

} // namespace

std::vector<Artifact> render_mesh(const lab::Lab& lab, const TemplateSource& templates) {
  std::vector<Artifact> out;
  std::vector<mesh::ClusterReleases> istio;
  for (const auto* cluster : lab.workload_clusters()) {
    const auto& dir = mesh::path_component(cluster->name, "clusters." + cluster->name);
    auto releases = mesh::istio_releases(lab, *cluster, templates);
    for (const auto& release : releases)
      out.push_back(Artifact{.path = fmt::format("clusters/{}/helm/{}.yaml", dir, release.component),
                             .kind = "helm-values",
                             .cluster = cluster->name,
                             .purpose = fmt::format("Helm values of chart {} ({}) on {}", release.chart,
                                                    purpose_of(release.component), cluster->name),
                             .content = release.values});
    for (auto& artifact : mesh::istio_resources(lab, *cluster, templates)) out.push_back(std::move(artifact));
    for (auto& artifact : mesh::ingress_resources(lab, *cluster, templates)) out.push_back(std::move(artifact));
    if (auto dns = mesh::coredns_config(lab, *cluster, templates)) out.push_back(std::move(*dns));
    istio.push_back({cluster, std::move(releases)});
  }
  for (const auto& vm : lab.vms)
    for (auto& artifact : mesh::vm_resources(lab, vm, templates)) out.push_back(std::move(artifact));
  for (auto& artifact : mesh::argocd_manifests(lab, istio, templates)) out.push_back(std::move(artifact));
  return out;
}

} // namespace meshlab::render

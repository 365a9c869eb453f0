#include "render/mesh.hpp"

#include "render/mesh_detail.hpp"
#include "util/error.hpp"
#include "util/parallel.hpp"

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
  // Each cluster's Helm values and Istio, ingress and DNS resources depend on nothing
  // rendered for another cluster, so clusters render on every core. A TemplateSource
  // caches parsed templates that kainjow mutates while rendering: each extra thread gets
  // its own copy, made before the threads start.
  const auto clusters = lab.workload_clusters();
  constexpr std::size_t k_min_per_thread = 8;
  std::vector<TemplateSource> copies(util::parallel_workers(clusters.size(), k_min_per_thread) - 1, templates);
  std::vector<std::vector<Artifact>> per_cluster(clusters.size());
  std::vector<mesh::ClusterReleases> istio(clusters.size());
  util::parallel_for(clusters.size(), k_min_per_thread, [&](std::size_t i, std::size_t worker) {
    const TemplateSource& source = worker == 0 ? templates : copies[worker - 1];
    const auto* cluster = clusters[i];
    auto& out = per_cluster[i];
    const auto& dir = mesh::path_component(cluster->name, "clusters." + cluster->name);
    auto releases = mesh::istio_releases(lab, *cluster, source);
    for (const auto& release : releases)
      out.push_back(Artifact{.path = fmt::format("clusters/{}/helm/{}.yaml", dir, release.component),
                             .kind = "helm-values",
                             .cluster = cluster->name,
                             .purpose = fmt::format("Helm values of chart {} ({}) on {}", release.chart,
                                                    purpose_of(release.component), cluster->name),
                             .content = release.values});
    for (auto& artifact : mesh::istio_resources(lab, *cluster, source)) out.push_back(std::move(artifact));
    for (auto& artifact : mesh::ingress_resources(lab, *cluster, source)) out.push_back(std::move(artifact));
    if (auto dns = mesh::coredns_config(lab, *cluster, source)) out.push_back(std::move(*dns));
    istio[i] = {cluster, std::move(releases)};
  });
  std::vector<Artifact> out;
  for (auto& artifacts : per_cluster) std::move(artifacts.begin(), artifacts.end(), std::back_inserter(out));
  for (const auto& vm : lab.vms)
    for (auto& artifact : mesh::vm_resources(lab, vm, templates)) out.push_back(std::move(artifact));
  for (auto& artifact : mesh::argocd_manifests(lab, istio, templates)) out.push_back(std::move(artifact));
  return out;
}

} // namespace meshlab::render

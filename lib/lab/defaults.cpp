#include "lab/defaults.hpp"

#include "util/net.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace meshlab::lab {

namespace {

namespace fs = std::filesystem;

bool written(const Lab& lab, const std::string& path) { return lab.positions.count(path) > 0; }

// A path from the lab file: "~/" expands to $HOME; a relative path is relative to the
// lab file's directory, so a lab works from any working directory.
std::string resolve_path(const std::string& value, const std::optional<fs::path>& lab_dir) {
  if (value.empty()) return value;
  if (value == "~" || value.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && *home != '\0') return (fs::path(home) / value.substr(value.size() > 1 ? 2 : 1)).string();
    return value;
  }
  const fs::path path(value);
  if (path.is_absolute() || !lab_dir || lab_dir->empty()) return value;
  return (*lab_dir / path).lexically_normal().string();
}

// Built-in upstreams of the default pull-through caches (docs/lab-file.md).
std::string default_upstream(const std::string& host) {
  if (host == "docker.io") return "https://registry-1.docker.io";
  return "https://" + host;
}

void resolve_machine(const Lab& lab, const std::string& path, const LabDefaults::Machine& defaults,
                     Resources& resources, std::string& image) {
  if (!written(lab, path + ".cpus") && defaults.cpus) resources.cpus = *defaults.cpus;
  if (!written(lab, path + ".memory") && defaults.memory) resources.memory = *defaults.memory;
  if (!written(lab, path + ".disk") && defaults.disk) resources.disk = *defaults.disk;
  if (!written(lab, path + ".image") && defaults.image) image = *defaults.image;
}

void resolve_cells(Lab& lab) {
  for (auto& cell : lab.cells) {
    const std::string path = "cells." + cell.name;
    if (!written(lab, path + ".meshID")) cell.mesh_id = cell.name;
    if (!written(lab, path + ".clusterDomain")) cell.cluster_domain = "cluster.local";
    if (!written(lab, path + ".trustDomain")) cell.trust_domain = cell.cluster_domain;
    if (!written(lab, path + ".network")) cell.network = cell.name + "-network";
    cell.clusters.clear();
    for (const auto& cluster : lab.clusters)
      if (cluster.cell == cell.name) cell.clusters.push_back(cluster.name);
  }
}

void resolve_clusters(Lab& lab, const LabDefaults& defaults, const std::optional<fs::path>& lab_dir) {
  for (auto& cluster : lab.clusters) {
    const std::string path = "clusters." + cluster.name;
    resolve_machine(lab, path, defaults.cluster, cluster.resources, cluster.image);
    if (!written(lab, path + ".k3sVersion") && defaults.k3s_version) cluster.k3s_version = *defaults.k3s_version;
    if (!written(lab, path + ".kindImage") && defaults.kind_image) cluster.kind_image = *defaults.kind_image;
    const Cell* cell = cluster.cell.empty() ? nullptr : lab.cell(cluster.cell);
    if (!written(lab, path + ".network")) {
      const bool shared = cell != nullptr && cell->network_mode == NetworkMode::single;
      cluster.network = shared ? cell->network : cluster.name + "-network";
    }
    if (!written(lab, path + ".domain")) cluster.domain = cell != nullptr ? cell->cluster_domain : "cluster.local";
    if (cluster.provider == Provider::kind) {
      if (!written(lab, path + ".nodes")) cluster.nodes = {KindNode{"control-plane", {}}};
      for (std::size_t i = 0; i < cluster.nodes.size(); ++i)
        if (!written(lab, fmt::format("{}.nodes[{}].locality", path, i))) cluster.nodes[i].locality = cluster.locality;
    }
    if (cluster.provider == Provider::external) cluster.kubeconfig = resolve_path(cluster.kubeconfig, lab_dir);
  }
}

void resolve_vms(Lab& lab, const LabDefaults& defaults) {
  for (auto& vm : lab.vms) {
    const std::string path = "vms." + vm.name;
    resolve_machine(lab, path, defaults.vm, vm.resources, vm.image);
    if (!written(lab, path + ".network")) vm.network = vm.name + "-network";
  }
}

void resolve_registries(Lab& lab) {
  if (!written(lab, "registries")) {
    lab.registries = {Registry{"docker.io", "https://registry-1.docker.io", 5001},
                      Registry{"quay.io", "https://quay.io", 5002}, Registry{"ghcr.io", "https://ghcr.io", 5003}};
    return;
  }
  for (auto& registry : lab.registries)
    if (!written(lab, "registries." + registry.name + ".url")) registry.upstream = default_upstream(registry.name);
}

void resolve_delivery(Lab& lab) {
  if (!written(lab, "istio.revision")) {
    lab.istio.revision = lab.istio.version;
    for (auto& c : lab.istio.revision)
      if (c == '.') c = '-';
  }
  lab.argocd.enabled = written(lab, "argocd") || !lab.apps.empty();
  if (!written(lab, "argocd.manifest"))
    lab.argocd.manifest = fmt::format("https://raw.githubusercontent.com/argoproj/argo-cd/{}/manifests/install.yaml",
                                      lab.argocd.version);
  if (!written(lab, "argocd.cluster")) {
    const Cluster* management = lab.management_cluster();
    lab.argocd.cluster = management != nullptr ? management->name : "";
  }
  for (auto& app : lab.apps)
    if (!written(lab, "apps." + app.name + ".namespace")) app.namespace_ = app.name;
  for (auto& policy : lab.traffic) {
    if (written(lab, "traffic." + policy.name + ".namespace")) continue;
    // "<service>.<namespace>.svc.<cluster domain>": the namespace is the second label.
    const auto first = policy.host.find('.');
    const auto second = first == std::string::npos ? std::string::npos : policy.host.find('.', first + 1);
    if (second != std::string::npos && policy.host.compare(second, 5, ".svc.") == 0)
      policy.namespace_ = policy.host.substr(first + 1, second - first - 1);
  }
}

} // namespace

std::string default_state_dir(const std::string& lab_name) {
  // XDG: a relative $XDG_STATE_HOME is invalid and must be ignored.
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && fs::path(state).is_absolute()) return (fs::path(state) / "meshlab" / lab_name).string();
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0')
    return (fs::path(home) / ".local" / "state" / "meshlab" / lab_name).string();
  return (fs::path(".meshlab") / lab_name).string();
}

void resolve_defaults(Lab& lab, const LabDefaults& defaults, const std::optional<fs::path>& lab_dir,
                      std::vector<Diagnostic>& diagnostics) {
  if (!written(lab, "prefix")) lab.prefix = lab.name;
  lab.state_dir = written(lab, "stateDir") ? resolve_path(lab.state_dir, lab_dir) : default_state_dir(lab.name);
  lab.ca.root_cert_file = resolve_path(lab.ca.root_cert_file, lab_dir);
  lab.ca.root_key_file = resolve_path(lab.ca.root_key_file, lab_dir);
  if (!written(lab, "ca.keySize") && lab.ca.key_type == "ecdsa") lab.ca.key_size = 256;
  resolve_cells(lab);
  resolve_clusters(lab, defaults, lab_dir);
  resolve_vms(lab, defaults);
  resolve_registries(lab);
  resolve_delivery(lab);
  allocate_cidrs(lab, diagnostics);
}

} // namespace meshlab::lab

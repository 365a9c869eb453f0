#include "lab/model.hpp"

#include <algorithm>

namespace meshlab::lab {

std::string Locality::str() const {
  std::string out = region;
  if (!zone.empty() || !subzone.empty()) out += "/" + zone;
  if (!subzone.empty()) out += "/" + subzone;
  return out;
}

const std::vector<std::string>& Istio::known_components() {
  static const std::vector<std::string> k_known{"base", "cni", "istiod", "ingress-gateway", "eastwest-gateway"};
  return k_known;
}

bool Istio::has(std::string_view component) const {
  return std::find(components.begin(), components.end(), component) != components.end();
}

const Cluster* Lab::cluster(std::string_view wanted) const {
  for (const auto& c : clusters)
    if (c.name == wanted) return &c;
  return nullptr;
}

const Cell* Lab::cell(std::string_view wanted) const {
  for (const auto& c : cells)
    if (c.name == wanted) return &c;
  return nullptr;
}

const Cluster* Lab::management_cluster() const {
  for (const auto& c : clusters)
    if (c.role == ClusterRole::management) return &c;
  return nullptr;
}

std::vector<const Cluster*> Lab::workload_clusters() const {
  std::vector<const Cluster*> out;
  for (const auto& c : clusters)
    if (!c.cell.empty()) out.push_back(&c);
  return out;
}

std::vector<const Cluster*> Lab::resolve(const Targets& targets) const {
  std::vector<const Cluster*> out;
  for (const auto& c : clusters)
    if (selects(targets, c)) out.push_back(&c);
  return out;
}

bool Lab::selects(const Targets& targets, const Cluster& cluster) {
  if (cluster.cell.empty()) return false; // only workload clusters are targets
  switch (targets.kind) {
  case Targets::Kind::all: return true;
  case Targets::Kind::cell: return cluster.cell == targets.cell;
  case Targets::Kind::clusters:
    return std::find(targets.clusters.begin(), targets.clusters.end(), cluster.name) != targets.clusters.end();
  }
  return false;
}

std::string ingress_service(std::string_view host) { return std::string(host.substr(0, host.find('.'))); }

std::string ingress_secret_name(std::string_view host) {
  std::string name(host);
  for (auto& c : name)
    if (c == '.') c = '-';
  return name + "-tls";
}

std::string Lab::instance_name(std::string_view short_name) const {
  if (prefix.empty()) return std::string(short_name);
  return prefix + "-" + std::string(short_name);
}

std::string Lab::registry_container(std::string_view host) const {
  std::string container = "registry-";
  for (const char ch : host) {
    const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
    const bool upper = ch >= 'A' && ch <= 'Z';
    container += keep ? ch : upper ? static_cast<char>(ch - 'A' + 'a') : '-';
  }
  return instance_name(container);
}

Position Lab::where(const std::string& path) const {
  if (auto it = positions.find(path); it != positions.end()) return it->second;
  return Position{source_file, 0, 0};
}

Position Lab::where_key(const std::string& path) const { return where(path + "#key"); }

std::string_view to_string(Provider provider) {
  switch (provider) {
  case Provider::multipass: return "multipass";
  case Provider::kind: return "kind";
  case Provider::external: return "external";
  }
  return "?";
}

std::string_view to_string(ClusterRole role) {
  return role == ClusterRole::management ? "management" : "workload";
}

std::string_view to_string(NetworkMode mode) { return mode == NetworkMode::multi ? "multi" : "single"; }

} // namespace meshlab::lab

#include "lab/load.hpp"

#include "lab/defaults.hpp"
#include "lab/load_sections.hpp"
#include "lab/syntax.hpp"
#include "lab/validate.hpp"
#include "lab/yaml_reader.hpp"
#include "render/embedded_templates.hpp"
#include "util/files.hpp"

#include <fmt/format.h>

#include <set>

namespace meshlab::lab {

namespace {

using detail::Field;
using detail::MapReader;
using detail::Reader;

constexpr std::string_view k_api_version = "meshlab.dev/v1alpha1";
constexpr std::string_view k_builtin_lab = "multi-primary.yaml";

const std::vector<std::string> k_providers{"external", "kind", "multipass"};

Provider to_provider(const std::string& name) {
  if (name == "kind") return Provider::kind;
  if (name == "external") return Provider::external;
  return Provider::multipass;
}

// Reads one lab file's top level and the sections that describe machines and
// infrastructure; apps and traffic live in load_apps.cpp.
class LabLoader {
public:
  LabLoader(Reader& reader, Lab& lab) : m_reader(reader), m_lab(lab) {}

  void read(const YamlNode& root) {
    MapReader top(m_reader, root, "", m_reader.position(root, Position{m_reader.file(), 1, 1}),
                  {"apiVersion", "kind", "name", "prefix", "domain", "stateDir", "addressPools", "defaults", "cells",
                   "clusters", "vms", "ca", "registries", "istio", "argocd", "apps", "traffic", "dns"},
                  "the lab");
    top.require({"apiVersion", "kind", "name", "clusters"});
    read_header(top);
    if (auto v = top.string("prefix")) m_lab.prefix = *v;
    if (auto v = top.string("domain")) m_lab.domain = *v;
    if (auto v = top.string("stateDir")) m_lab.state_dir = *v;
    if (const Field* f = top.get("addressPools")) detail::read_pools(m_reader, *f, m_lab);
    if (const Field* f = top.get("defaults")) m_defaults = detail::read_defaults(m_reader, *f);
    if (const Field* f = top.get("cells")) read_cells(*f);
    if (const Field* f = top.get("clusters")) read_clusters(*f);
    if (const Field* f = top.get("vms")) read_vms(*f);
    if (const Field* f = top.get("ca")) detail::read_ca(m_reader, *f, m_lab);
    if (const Field* f = top.get("registries")) detail::read_registries(m_reader, *f, m_lab);
    if (const Field* f = top.get("istio")) detail::read_istio(m_reader, *f, m_lab);
    if (const Field* f = top.get("argocd")) detail::read_argocd(m_reader, *f, m_lab);
    if (const Field* f = top.get("apps")) detail::read_apps(m_reader, *f, m_lab);
    if (const Field* f = top.get("traffic")) detail::read_traffic(m_reader, *f, m_lab);
    if (const Field* f = top.get("dns")) detail::read_dns(m_reader, *f, m_lab);
    top.finish();
  }

  const LabDefaults& defaults() const { return m_defaults; }

private:
  void read_header(MapReader& top) {
    if (const Field* f = top.get("apiVersion")) {
      if (auto v = detail::read_string(m_reader, *f)) {
        m_lab.api_version = *v;
        if (*v != k_api_version)
          m_reader.error(f->at, fmt::format("apiVersion: unsupported version \"{}\"; this meshlab reads {}", *v,
                                            k_api_version),
                         fmt::format("write apiVersion: {}", k_api_version));
      }
    }
    if (const Field* f = top.get("kind")) {
      if (auto v = detail::read_string(m_reader, *f); v && *v != "Lab")
        m_reader.error(f->at, fmt::format("kind: \"{}\" is not a lab file kind; expected \"Lab\"", *v),
                       "write kind: Lab");
    }
    if (auto v = top.string("name")) m_lab.name = *v;
  }

  void read_cells(const Field& field) {
    MapReader cells(m_reader, field.value, field.path, field.at);
    for (const auto& entry : cells.fields()) {
      Cell cell;
      cell.name = entry.key;
      MapReader m(m_reader, entry.value, entry.path, entry.key_at,
                  {"meshID", "clusterDomain", "trustDomain", "networkMode", "network"}, "a cell");
      if (auto v = m.string("meshID")) cell.mesh_id = *v;
      if (auto v = m.string("clusterDomain")) cell.cluster_domain = *v;
      if (auto v = m.string("trustDomain")) cell.trust_domain = *v;
      if (auto v = m.choice("networkMode", {"multi", "single"}, "network mode"))
        cell.network_mode = *v == "single" ? NetworkMode::single : NetworkMode::multi;
      if (auto v = m.string("network")) cell.network = *v;
      m.finish();
      m_lab.cells.push_back(std::move(cell));
    }
  }

  // Resources of a cluster or VM written on the entry itself; defaults come later.
  void read_resources(MapReader& m, Resources& resources, std::string& image) {
    if (auto v = m.integer("cpus")) resources.cpus = *v;
    if (auto v = m.string("memory")) resources.memory = *v;
    if (auto v = m.string("disk")) resources.disk = *v;
    if (auto v = m.string("image")) image = *v;
  }

  void read_clusters(const Field& field) {
    MapReader clusters(m_reader, field.value, field.path, field.at);
    for (const auto& entry : clusters.fields()) {
      Cluster cluster;
      cluster.name = entry.key;
      MapReader m(m_reader, entry.value, entry.path, entry.key_at,
                  {"provider", "role", "cell", "locality", "network", "podCIDR", "serviceCIDR", "domain", "cpus",
                   "memory", "disk", "image", "k3sVersion", "nodes", "kindImage", "kubeconfig", "context"},
                  "a cluster");
      m.require({"provider"});
      if (auto v = m.choice("provider", k_providers, "provider")) cluster.provider = to_provider(*v);
      if (auto v = m.choice("role", {"management", "workload"}, "role"))
        cluster.role = *v == "management" ? ClusterRole::management : ClusterRole::workload;
      if (auto v = m.string("cell")) cluster.cell = *v;
      if (const Field* f = m.get("locality"))
        if (auto l = detail::read_locality(m_reader, *f)) cluster.locality = *l;
      if (auto v = m.string("network")) cluster.network = *v;
      if (auto v = m.string("podCIDR")) cluster.pod_cidr = *v;
      if (auto v = m.string("serviceCIDR")) cluster.service_cidr = *v;
      if (auto v = m.string("domain")) cluster.domain = *v;
      read_resources(m, cluster.resources, cluster.image);
      if (auto v = m.string("k3sVersion")) cluster.k3s_version = *v;
      if (const Field* f = m.get("nodes")) read_nodes(*f, cluster);
      if (auto v = m.string("kindImage")) cluster.kind_image = *v;
      if (auto v = m.string("kubeconfig")) cluster.kubeconfig = *v;
      if (auto v = m.string("context")) cluster.context = *v;
      m.finish();
      m_lab.clusters.push_back(std::move(cluster));
    }
  }

  void read_nodes(const Field& field, Cluster& cluster) {
    auto items = detail::read_list(m_reader, field);
    if (!items) return;
    for (const auto& item : *items) {
      KindNode node;
      MapReader m(m_reader, item.value, item.path, item.at, {"role", "locality"}, "a node");
      if (auto v = m.choice("role", {"control-plane", "worker"}, "node role")) node.role = *v;
      if (const Field* f = m.get("locality"))
        if (auto l = detail::read_locality(m_reader, *f)) node.locality = *l;
      m.finish();
      cluster.nodes.push_back(std::move(node));
    }
  }

  void read_vms(const Field& field) {
    MapReader vms(m_reader, field.value, field.path, field.at);
    for (const auto& entry : vms.fields()) {
      Vm vm;
      vm.name = entry.key;
      MapReader m(m_reader, entry.value, entry.path, entry.key_at,
                  {"provider", "cluster", "namespace", "serviceAccount", "network", "locality", "cpus", "memory",
                   "disk", "image", "services", "packages"},
                  "a VM");
      m.require({"cluster"});
      if (auto v = m.choice("provider", k_providers, "provider")) vm.provider = to_provider(*v);
      if (auto v = m.string("cluster")) vm.cluster = *v;
      if (auto v = m.string("namespace")) vm.namespace_ = *v;
      if (auto v = m.string("serviceAccount")) vm.service_account = *v;
      if (auto v = m.string("network")) vm.network = *v;
      if (const Field* f = m.get("locality"))
        if (auto l = detail::read_locality(m_reader, *f)) vm.locality = *l;
      read_resources(m, vm.resources, vm.image);
      if (const Field* f = m.get("services")) read_services(*f, vm);
      if (auto v = m.strings("packages")) vm.packages = *v;
      m.finish();
      m_lab.vms.push_back(std::move(vm));
    }
  }

  void read_services(const Field& field, Vm& vm) {
    auto items = detail::read_list(m_reader, field);
    if (!items) return;
    for (const auto& item : *items) {
      VmService service;
      MapReader m(m_reader, item.value, item.path, item.at, {"name", "port"}, "a service");
      m.require({"name"});
      if (auto v = m.string("name")) service.name = *v;
      if (auto v = m.integer("port")) service.port = *v;
      m.finish();
      vm.services.push_back(std::move(service));
    }
  }

  Reader& m_reader;
  Lab& m_lab;
  LabDefaults m_defaults;
};

std::optional<std::filesystem::path> directory_of(const std::string& file) {
  if (file.empty() || file.front() == '<') return std::nullopt; // built-in or in-memory
  return std::filesystem::path(file).parent_path();
}

std::string builtin_name() { return "<built-in>/" + std::string(k_builtin_lab); }

} // namespace

namespace detail {

std::optional<Locality> read_locality(Reader& reader, const Field& field) {
  auto text = read_string(reader, field);
  if (!text) return std::nullopt;
  auto parsed = parse_locality(*text);
  if (!parsed.locality)
    reader.reject(field, fmt::format("{}: locality \"{}\" {}", field.path, *text, parsed.problem),
                 "write region[/zone[/subzone]], e.g. milky-way/solar-system/kube-01; each part letters, digits, "
                 "'-', '_' or '.', starting and ending with a letter or digit");
  return parsed.locality;
}

} // namespace detail

LoadResult load_string(std::string_view text, const std::string& file) {
  LoadResult result;
  result.lab.source_file = file;
  Reader reader(file, result.lab.positions, result.diagnostics);
  const YamlStream stream(text);
  const auto& documents = stream.documents();
  if (const auto* error = stream.error()) {
    reader.error(Position{file, error->line, error->column}, "not valid YAML: " + error->message,
                 "check the indentation, and quote values that contain ': ', '#', '{' or '['");
    return result;
  }
  if (documents.empty() || documents.front().is_null()) {
    reader.error(Position{file, 1, 1}, "the lab file is empty",
                 "start from an example in labs/: apiVersion, kind, name and clusters are required");
    return result;
  }
  // A trailing "---" with nothing after it is harmless; a second lab is not.
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (documents[i].is_null()) continue;
    reader.error(reader.position(documents[i], Position{file, 1, 1}),
                 "the lab file holds more than one YAML document; expected one",
                 "remove the \"---\" separator and everything after it, or put each lab in its own file");
    break;
  }
  const YamlNode& root = documents.front();
  if (!root.is_map()) {
    reader.error(reader.position(root, Position{file, 1, 1}),
                 "expected a mapping at the top level, got " + detail::describe(root),
                 "a lab file is a mapping with apiVersion, kind, name and clusters");
    return result;
  }
  LabLoader loader(reader, result.lab);
  loader.read(root);
  resolve_defaults(result.lab, loader.defaults(), directory_of(file), result.diagnostics);
  sort_by_position(result.diagnostics);
  return result;
}

LoadResult load_file(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw Error(fmt::format("cannot read {}: it is a directory, not a lab file", path));
  return load_string(util::read_file(path), path);
}

Lab load_valid_lab(const std::string& path) {
  LoadResult result;
  if (path.empty()) {
    const auto& labs = render::embedded_labs();
    const auto it = labs.find(k_builtin_lab);
    if (it == labs.end()) throw Error("the built-in lab " + std::string(k_builtin_lab) + " is missing from this build");
    result = load_string(it->second, builtin_name());
  } else {
    result = load_file(path);
  }
  // A file that is not a YAML mapping has no lab to check; everything else is checked
  // as a whole, so one run reports every problem.
  if (!result.lab.positions.empty()) {
    // A value the loader already rejected (`port: abc`) reaches the validator as its
    // default; one message per spot keeps the loader's, which names the real problem.
    std::set<std::pair<int, int>> reported;
    for (const auto& d : result.diagnostics) reported.emplace(d.line, d.column);
    for (auto& d : validate(result.lab))
      if (reported.count({d.line, d.column}) == 0) result.diagnostics.push_back(std::move(d));
  }
  if (!result.diagnostics.empty()) {
    sort_by_position(result.diagnostics);
    throw LabError(std::move(result.diagnostics));
  }
  return std::move(result.lab);
}

} // namespace meshlab::lab

// Mirrors istioctl/pkg/workload/workload.go (createMeshConfig, createClusterEnv,
// createCertsTokens) for a WorkloadGroup rendered by workload_group.cpp and the mesh config
// the istiod chart (istio-discovery/templates/configmap.yaml) builds from meshlab's values:
// defaultConfig holds discoveryAddress, meshId and `tracing: {}` (global.proxy.tracer is
// "none"); proxyMetadata starts empty. Written in code rather than a template because the
// output is Go's: maps in sorted order, strings quoted the way shellescape and go-yaml do.
#include "render/vm_bootstrap.hpp"

#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <regex>

namespace meshlab::render {

namespace {

using StringMap = std::map<std::string, std::string>;

bool is_revisioned(const std::string& revision) { return !revision.empty() && revision != "default"; }

// istioctl's IstiodHost / IstiodAddr.
std::string istiod_address(const lab::Lab& lab) {
  const std::string service = is_revisioned(lab.istio.revision) ? "istiod-" + lab.istio.revision : "istiod";
  return fmt::format("{}.{}.svc:15012", service, mesh::k_istio_namespace);
}

// labels.CanonicalService: the first of the well-known labels, else the group's name / "latest".
std::pair<std::string, std::string> canonical_service(const StringMap& labels, const std::string& workload) {
  const auto first = [&labels](std::initializer_list<const char*> keys, const std::string& fallback) {
    for (const char* key : keys)
      if (const auto it = labels.find(key); it != labels.end() && !it->second.empty()) return it->second;
    return fallback;
  };
  return {first({"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"}, workload),
          first({"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"}, "latest")};
}

// encoding/json of map[string]string (keys sorted) and of []model.PodPort sorted by name.
std::string json_labels(const StringMap& labels) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, value] : labels) out[key] = value;
  return out.dump();
}

std::string json_pod_ports(const lab::Vm& vm) {
  std::vector<const lab::VmService*> services;
  for (const auto& service : vm.services) services.push_back(&service);
  std::stable_sort(services.begin(), services.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto* service : services) {
    nlohmann::ordered_json port;
    if (!service->name.empty()) port["name"] = service->name;
    port["containerPort"] = service->port;
    port["protocol"] = "";
    out.push_back(port);
  }
  return out.dump();
}

// The proxyMetadata istioctl adds for the group (createMeshConfig, with --autoregister and
// the default --capture-dns=true).
StringMap proxy_metadata(const lab::Vm& vm, const lab::Cluster& cluster, const lab::Cell& cell) {
  auto labels = vm_workload_labels(vm);
  const auto [service, revision] = canonical_service(labels, vm.name);
  StringMap md;
  md["CANONICAL_SERVICE"] = service;
  md["CANONICAL_REVISION"] = revision;
  md["POD_NAMESPACE"] = vm.namespace_;
  md["SERVICE_ACCOUNT"] = vm.service_account;
  md["TRUST_DOMAIN"] = cell.trust_domain;
  md["ISTIO_META_CLUSTER_ID"] = cluster.name; // global.multiCluster.clusterName
  md["ISTIO_META_MESH_ID"] = cell.mesh_id;
  md["ISTIO_META_NETWORK"] = vm.network;
  if (!vm.services.empty()) md["ISTIO_META_POD_PORTS"] = json_pod_ports(vm);
  md["ISTIO_META_WORKLOAD_NAME"] = vm.name;
  labels["service.istio.io/canonical-name"] = service;
  labels["service.istio.io/canonical-revision"] = revision;
  md["ISTIO_METAJSON_LABELS"] = json_labels(labels);
  md["ISTIO_META_DNS_CAPTURE"] = "true";
  md["ISTIO_META_AUTO_REGISTER_GROUP"] = vm.name;
  return md;
}

std::string cluster_env(const lab::Lab& lab, const lab::Vm& vm, const StringMap& metadata) {
  std::vector<std::string> ports;
  for (const auto& service : vm.services) ports.push_back(std::to_string(service.port));
  std::string inbound = "*";
  if (!ports.empty()) {
    inbound.clear();
    for (const auto& port : ports) inbound += (inbound.empty() ? "" : ",") + port;
  }
  auto env = metadata;
  env["ISTIO_INBOUND_PORTS"] = inbound;
  env["ISTIO_NAMESPACE"] = vm.namespace_;
  env["ISTIO_SERVICE"] = fmt::format("{}.{}", vm.name, vm.namespace_);
  env["ISTIO_SERVICE_CIDR"] = "*";
  env["ISTIO_LOCAL_EXCLUDE_PORTS"] = "22,15090,15021,15020"; // ssh, prometheus, agent, status port
  env["SERVICE_ACCOUNT"] = vm.service_account;
  if (is_revisioned(lab.istio.revision)) env["CA_ADDR"] = istiod_address(lab);
  std::vector<std::string> lines;
  for (const auto& [key, value] : env) lines.push_back(fmt::format("{}={}", key, shell_quote(value)));
  std::sort(lines.begin(), lines.end()); // sort.Strings over "KEY=value", as istioctl
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

std::string mesh_yaml(const lab::Lab& lab, const lab::Vm& vm, const lab::Cell& cell, const StringMap& metadata) {
  std::vector<std::string> keys;
  for (const auto& entry : metadata) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) { return go_yaml_key_less(a, b); });
  std::string out = "defaultConfig:\n";
  out += fmt::format("  discoveryAddress: {}\n", go_yaml_string(istiod_address(lab)));
  out += fmt::format("  meshId: {}\n", go_yaml_string(cell.mesh_id));
  out += "  proxyMetadata:\n";
  for (const auto& key : keys) out += fmt::format("    {}: {}\n", key, go_yaml_string(metadata.at(key)));
  // The WorkloadGroup's probe (workload-group.yaml.mustache: a TCP probe of the first service).
  if (!vm.services.empty()) {
    out += "  readinessProbe:\n    initialDelaySeconds: 1\n    periodSeconds: 5\n    tcpSocket:\n";
    out += fmt::format("      port: {}\n", vm.services.front().port);
  }
  out += "  tracing: {}\n";
  return out;
}

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

} // namespace

std::map<std::string, std::string> vm_workload_labels(const lab::Vm& vm) {
  return {{"app", vm.services.empty() ? vm.name : vm.services.front().name}, {"meshlab.dev/vm", vm.name}};
}

std::string shell_quote(std::string_view value) {
  if (value.empty()) return "''";
  const bool safe = std::all_of(value.begin(), value.end(), [](char c) {
    return c == '\\' || c == 'w' || std::string_view("@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (safe) return std::string(value);
  std::string out = "'";
  for (const char c : value) out += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
  return out + "'";
}

bool go_yaml_key_less(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  for (; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    const bool al = is_letter(a[i]), bl = is_letter(b[i]);
    if (al && bl) return a[i] < b[i];
    if (al || bl) return bl;
    if (is_digit(a[i]) && is_digit(b[i])) {
      // Compare the whole digit runs by value (go-yaml's keyList.Less).
      auto end_a = i, end_b = i;
      while (end_a < a.size() && is_digit(a[end_a])) ++end_a;
      while (end_b < b.size() && is_digit(b[end_b])) ++end_b;
      const auto run_a = a.substr(i, end_a - i), run_b = b.substr(i, end_b - i);
      if (run_a.size() != run_b.size()) return run_a.size() < run_b.size();
      return run_a < run_b;
    }
    return a[i] < b[i];
  }
  return a.size() < b.size();
}

std::string go_yaml_string(std::string_view value) {
  static const std::regex k_number(R"(^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^0x[0-9a-fA-F_]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$)");
  static const std::vector<std::string_view> k_other{"~",     "null", "Null", "NULL", "true", "True", "TRUE",
                                                     "false", "False", "FALSE", "y",   "Y",    "yes",  "Yes",
                                                     "YES",   "n",    "N",    "no",   "No",   "NO",   "on",
                                                     "On",    "ON",   "off",  "Off",  "OFF",  "<<"};
  const std::string text(value);
  if (text.empty() || std::find(k_other.begin(), k_other.end(), value) != k_other.end() ||
      std::regex_match(text, k_number))
    return fmt::format("\"{}\"", text);
  const bool indicator = std::string_view("-?:,[]{}#&*!|>'\"%@`").find(text.front()) != std::string_view::npos;
  const bool plain = !indicator && text.front() != ' ' && text.back() != ' ' && text.back() != ':' &&
                     text.find(": ") == std::string::npos && text.find(" #") == std::string::npos &&
                     text.find('\n') == std::string::npos;
  if (plain) return text;
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::vector<Artifact> render_vm_bootstrap(const lab::Lab& lab, std::string_view root_cert_pem) {
  std::vector<Artifact> out;
  for (const auto& vm : lab.vms) {
    const auto& dir = mesh::path_component(vm.name, "vms." + vm.name);
    const auto* cluster = lab.cluster(vm.cluster);
    if (cluster == nullptr)
      throw Error(fmt::format("vms.{}.cluster: {} is not declared in clusters", vm.name, yaml_quote(vm.cluster)));
    const auto& cell = mesh::cell_of(lab, *cluster);
    const auto metadata = proxy_metadata(vm, *cluster, cell);
    const auto file = [&](const char* name, std::string purpose, std::string content) {
      out.push_back(Artifact{.path = fmt::format("vms/{}/bootstrap/{}", dir, name),
                             .kind = "vm-bootstrap",
                             .cluster = vm.name,
                             .purpose = std::move(purpose),
                             .content = std::move(content)});
    };
    file("cluster.env", fmt::format("sidecar environment of VM {} (/var/lib/istio/envoy/cluster.env)", vm.name),
         cluster_env(lab, vm, metadata));
    file("mesh.yaml", fmt::format("proxy config of VM {} (/etc/istio/config/mesh)", vm.name),
         mesh_yaml(lab, vm, cell, metadata));
    file("root-cert.pem", fmt::format("lab root certificate for VM {} (/etc/certs/root-cert.pem)", vm.name),
         std::string(root_cert_pem));
  }
  return out;
}

} // namespace meshlab::render

// Reads the infrastructure sections of a lab file: address pools, the defaults section,
// the CA, registries, Istio, Argo CD and DNS entries.
#include "lab/load_sections.hpp"

#include "lab/syntax.hpp"

#include <fmt/format.h>

namespace meshlab::lab::detail {

namespace {

// Reads a size and checks it right here: the defaults are not kept in the model, so
// the validator cannot point at them later.
std::optional<std::string> read_default_size(Reader& reader, MapReader& m, std::string_view key, std::uint64_t minimum,
                                             std::string_view minimum_text) {
  const Field* f = m.get(key);
  if (!f) return std::nullopt;
  auto v = read_string(reader, *f);
  if (!v) return std::nullopt;
  if (auto problem = size_problem(*v, minimum, minimum_text); !problem.empty()) {
    reader.reject(*f, f->path + ": " + problem, std::string(k_size_hint));
    return std::nullopt;
  }
  return v;
}

std::optional<int> read_default_cpus(Reader& reader, MapReader& m) {
  const Field* f = m.get("cpus");
  if (!f) return std::nullopt;
  auto v = read_integer(reader, *f);
  if (v && *v < 1) {
    reader.reject(*f, fmt::format("{}: {} CPUs is too few", f->path, *v), "write a whole number of at least 1");
    return std::nullopt;
  }
  return v;
}

} // namespace

void read_pools(Reader& reader, const Field& field, Lab& lab) {
  MapReader m(reader, field.value, field.path, field.at, {"pods", "podPrefix", "services", "servicePrefix"},
              "addressPools");
  if (auto v = m.string("pods")) lab.pod_pool = *v;
  if (auto v = m.integer("podPrefix")) lab.pod_prefix = *v;
  if (auto v = m.string("services")) lab.service_pool = *v;
  if (auto v = m.integer("servicePrefix")) lab.service_prefix = *v;
  m.finish();
}

LabDefaults read_defaults(Reader& reader, const Field& field) {
  LabDefaults defaults;
  MapReader m(reader, field.value, field.path, field.at, {"cluster", "vm"}, "defaults");
  if (const Field* f = m.get("cluster")) {
    MapReader c(reader, f->value, f->path, f->at, {"cpus", "memory", "disk", "image", "k3sVersion", "kindImage"},
                "defaults.cluster");
    defaults.cluster.cpus = read_default_cpus(reader, c);
    defaults.cluster.memory = read_default_size(reader, c, "memory", k_min_memory, "128M");
    defaults.cluster.disk = read_default_size(reader, c, "disk", k_min_disk, "512M");
    defaults.cluster.image = c.string("image");
    defaults.k3s_version = c.string("k3sVersion");
    defaults.kind_image = c.string("kindImage");
    c.finish();
  }
  if (const Field* f = m.get("vm")) {
    MapReader v(reader, f->value, f->path, f->at, {"cpus", "memory", "disk", "image"}, "defaults.vm");
    defaults.vm.cpus = read_default_cpus(reader, v);
    defaults.vm.memory = read_default_size(reader, v, "memory", k_min_memory, "128M");
    defaults.vm.disk = read_default_size(reader, v, "disk", k_min_disk, "512M");
    defaults.vm.image = v.string("image");
    v.finish();
  }
  m.finish();
  return defaults;
}

void read_ca(Reader& reader, const Field& field, Lab& lab) {
  MapReader m(reader, field.value, field.path, field.at,
              {"subject", "keyType", "keySize", "rootDays", "intermediateDays", "rootCert", "rootKey"}, "ca");
  Ca& ca = lab.ca;
  if (const Field* f = m.get("subject")) {
    MapReader s(reader, f->value, f->path, f->at, {"commonName", "organization"}, "ca.subject");
    if (auto v = s.string("commonName")) ca.subject.common_name = *v;
    if (auto v = s.string("organization")) ca.subject.organization = *v;
    s.finish();
  }
  if (auto v = m.choice("keyType", {"ecdsa", "rsa"}, "key type")) ca.key_type = *v;
  if (auto v = m.integer("keySize")) ca.key_size = *v;
  if (auto v = m.integer("rootDays")) ca.root_days = *v;
  if (auto v = m.integer("intermediateDays")) ca.intermediate_days = *v;
  if (auto v = m.string("rootCert")) ca.root_cert_file = *v;
  if (auto v = m.string("rootKey")) ca.root_key_file = *v;
  m.finish();
}

void read_registries(Reader& reader, const Field& field, Lab& lab) {
  MapReader registries(reader, field.value, field.path, field.at);
  for (const auto& entry : registries.fields()) {
    Registry registry;
    registry.name = entry.key;
    MapReader m(reader, entry.value, entry.path, entry.key_at, {"url", "port"}, "a registry");
    m.require({"port"});
    if (auto v = m.string("url")) registry.upstream = *v;
    if (auto v = m.integer("port")) registry.port = *v;
    m.finish();
    lab.registries.push_back(std::move(registry));
  }
}

void read_istio(Reader& reader, const Field& field, Lab& lab) {
  MapReader m(reader, field.value, field.path, field.at, {"version", "revision", "chartRepo", "components"},
              "istio");
  Istio& istio = lab.istio;
  if (auto v = m.string("version")) istio.version = *v;
  if (auto v = m.string("revision")) istio.revision = *v;
  if (auto v = m.string("chartRepo")) istio.chart_repo = *v;
  if (auto v = m.strings("components")) istio.components = *v;
  m.finish();
}

void read_argocd(Reader& reader, const Field& field, Lab& lab) {
  MapReader m(reader, field.value, field.path, field.at, {"version", "manifest", "cluster"}, "argocd");
  if (auto v = m.string("version")) lab.argocd.version = *v;
  if (auto v = m.string("manifest")) lab.argocd.manifest = *v;
  if (auto v = m.string("cluster")) lab.argocd.cluster = *v;
  m.finish();
}

void read_dns(Reader& reader, const Field& field, Lab& lab) {
  MapReader dns(reader, field.value, field.path, field.at);
  for (const auto& entry : dns.fields()) {
    DnsEntry e;
    e.host = entry.key;
    if (auto v = read_string(reader, entry)) e.address = *v;
    lab.dns.push_back(std::move(e));
  }
}

} // namespace meshlab::lab::detail

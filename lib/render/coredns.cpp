// The lab's `dns` entries served by each workload cluster's CoreDNS. `ingress` becomes a
// rewrite to the cluster's istio-ingressgateway Service (no address needed at render
// time; CoreDNS's exact-name rewrite also restores the name in the answer), an IPv4
// address a hosts entry. k3s reads extra config from ConfigMap coredns-custom; kind's
// kubeadm Corefile imports nothing, so there the whole Corefile is rendered.
//
// The Corefile is not YAML-quoted (it is a block scalar people read), so every value in
// it is checked to be a host name or an IPv4 address first: such strings can neither
// change the YAML nor add a Corefile directive.
#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::render::mesh {

namespace {

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto end = std::min(name.find('.', start), name.size());
    const auto label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }))
      return false;
    start = end + 1;
  }
  return true;
}

bool is_ipv4(std::string_view text) {
  int parts = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('.', start), text.size());
    const auto part = text.substr(start, end - start);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part.front() == '0')) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    if (std::stoi(std::string(part)) > 255) return false;
    ++parts;
    start = end + 1;
  }
  return parts == 4;
}

std::string checked_name(const std::string& name, const std::string& what) {
  if (!is_dns_name(name))
    throw Error(
        fmt::format("{}: {} is not a host name (lower-case DNS labels separated by dots)", what, yaml_quote(name)));
  return name;
}

} // namespace

std::optional<Artifact> coredns_config(const lab::Lab& lab, const lab::Cluster& cluster,
                                       const TemplateSource& templates) {
  if (lab.dns.empty() || cluster.provider == lab::Provider::external) return std::nullopt;
  const auto domain = checked_name(cluster.domain, fmt::format("clusters.{}.domain", cluster.name));

  Data rewrites{Data::type::list};
  Data hosts{Data::type::list};
  std::string zones;
  bool has_rewrites = false;
  for (const auto& entry : lab.dns) {
    const auto host = checked_name(entry.host, "dns." + entry.host);
    Data item;
    item.set("host", host);
    if (entry.address == "ingress") {
      if (!lab.istio.has("ingress-gateway"))
        throw Error(fmt::format("dns.{}: \"ingress\" needs the Istio ingress gateway, but istio.components "
                                "leaves out ingress-gateway; add it or give an IPv4 address",
                                entry.host));
      item.set("target", fmt::format("istio-ingressgateway.{}.svc.{}", k_istio_namespace, domain));
      rewrites.push_back(item);
      has_rewrites = true;
    } else if (is_ipv4(entry.address)) {
      item.set("address", entry.address);
      hosts.push_back(item);
      zones += (zones.empty() ? "" : " ") + host;
    } else {
      throw Error(
          fmt::format("dns.{}: {} is neither an IPv4 address nor \"ingress\"", entry.host, yaml_quote(entry.address)));
    }
  }

  Data data;
  data.set("domain", domain);
  data.set("has_rewrites", has_rewrites);
  data.set("rewrites", rewrites);
  data.set("has_hosts", !zones.empty());
  data.set("hosts", hosts);
  data.set("zones", zones);
  const bool kind = cluster.provider == lab::Provider::kind;
  return Artifact{
      .path = fmt::format("clusters/{}/coredns.yaml", cluster.name),
      .kind = "coredns",
      .cluster = cluster.name,
      .purpose =
          kind ? fmt::format("CoreDNS Corefile of {} with the lab's DNS entries", cluster.name)
               : fmt::format("CoreDNS custom config (coredns-custom) of {} with the lab's DNS entries", cluster.name),
      .content =
          render(templates, kind ? "coredns/coredns.yaml.mustache" : "coredns/coredns-custom.yaml.mustache", data)};
}

} // namespace meshlab::render::mesh

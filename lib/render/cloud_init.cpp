#include "render/cloud_init.hpp"

#include "util/base64.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <charconv>
#include <cstdint>

namespace meshlab::render {

namespace {

constexpr std::string_view k_node_template = "cloud-init/k3s-node.yaml.mustache";
constexpr std::string_view k_vm_template = "cloud-init/vm.yaml.mustache";

// Ubuntu (24.04, universe) packages a VM service needs; the unit itself is in the
// template, one section per service.
struct ServiceRecipe {
  std::string_view name;
  std::vector<std::string> packages;
};

const std::vector<ServiceRecipe>& service_recipes() {
  // httpbin: the seed lab built chinaran/go-httpbin from source at boot; Ubuntu ships
  // psf/httpbin as python3-httpbin and gunicorn to serve it, so no build and no
  // download outside the archive.
  static const std::vector<ServiceRecipe> k_recipes{{"httpbin", {"python3-httpbin", "gunicorn"}}};
  return k_recipes;
}

Data scalar(std::string_view value) { return Data{yaml_quote(value)}; }

Data scalar_list(const std::vector<std::string>& values) {
  Data list{Data::type::list};
  for (const auto& value : values) list.push_back(scalar(value));
  return list;
}

// Locality as the node labels Istio reads; empty parts are left out.
std::vector<std::string> locality_labels(const lab::Locality& locality) {
  std::vector<std::string> labels;
  if (!locality.region.empty()) labels.push_back("topology.kubernetes.io/region=" + locality.region);
  if (!locality.zone.empty()) labels.push_back("topology.kubernetes.io/zone=" + locality.zone);
  if (!locality.subzone.empty()) labels.push_back("topology.istio.io/subzone=" + locality.subzone);
  return labels;
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t address = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const auto digits = static_cast<std::size_t>(end - text.data());
    if (ec != std::errc{} || digits == 0 || digits > 3 || value > 255) return std::nullopt;
    address = address << 8 | value;
    text.remove_prefix(digits);
  }
  if (!text.empty()) return std::nullopt;
  return address;
}

} // namespace

const std::vector<std::string>& known_vm_services() {
  static const std::vector<std::string> k_names = [] {
    std::vector<std::string> names;
    for (const auto& recipe : service_recipes()) names.emplace_back(recipe.name);
    return names;
  }();
  return k_names;
}

std::string cluster_dns_address(std::string_view cidr) {
  const auto slash = cidr.find('/');
  const auto address = parse_ipv4(cidr.substr(0, slash));
  int prefix = -1;
  if (slash != std::string_view::npos) {
    const auto bits = cidr.substr(slash + 1);
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (ec != std::errc{} || end != bits.data() + bits.size()) prefix = -1;
  }
  if (!address || prefix < 0 || prefix > 32)
    throw Error(fmt::format("service CIDR \"{}\" is not an IPv4 CIDR such as \"10.43.0.0/16\"", cidr));
  if (prefix > 28)
    throw Error(fmt::format("service CIDR \"{}\" is too small for the cluster DNS service (the 10th address); "
                            "use a prefix of /28 or shorter",
                            cidr));
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  const std::uint32_t dns = (*address & mask) + 10;
  return fmt::format("{}.{}.{}.{}", dns >> 24, (dns >> 16) & 255, (dns >> 8) & 255, dns & 255);
}

Artifact render_k3s_node(const lab::Lab& lab, const lab::Cluster& cluster, const NodeCa& ca,
                         const TemplateSource& templates) {
  const auto instance = lab.instance_name(cluster.name);
  std::string dns;
  try {
    dns = cluster_dns_address(cluster.service_cidr);
  } catch (const Error& e) {
    throw Error(fmt::format("clusters.{}.serviceCIDR: {}", cluster.name, e.what()));
  }

  Data view;
  view.set("node_name", scalar(instance));
  view.set("cluster_domain", scalar(cluster.domain));
  view.set("cluster_cidr", scalar(cluster.pod_cidr));
  view.set("service_cidr", scalar(cluster.service_cidr));
  view.set("cluster_dns", scalar(dns));
  // servicelb (klipper) stays: it gives the Istio ingress and east-west gateways their
  // LoadBalancer addresses. Traefik would compete with the Istio ingress for 80/443.
  view.set("disable", scalar_list({"traefik"}));
  view.set("tls_san", scalar_list({instance}));
  const auto labels = locality_labels(cluster.locality);
  view.set("has_node_labels", !labels.empty());
  view.set("node_labels", scalar_list(labels));

  Data registries{Data::type::list};
  for (const auto& registry : lab.registries) {
    Data entry;
    entry.set("host", scalar(registry.name));
    entry.set("endpoint", scalar(fmt::format("http://{}:{}", k_host_gateway_placeholder, registry.port)));
    registries.push_back(entry);
  }
  view.set("has_registries", !lab.registries.empty());
  view.set("registries", registries);
  view.set("host_gateway_placeholder", scalar(k_host_gateway_placeholder));

  view.set("root_cert_path", scalar(k_node_root_cert_path));
  view.set("root_cert_b64", scalar(util::base64_encode(ca.root_cert_pem)));
  view.set("k3s_version", scalar(cluster.k3s_version));
  view.set("kubeconfig_name", scalar(instance));
  view.set("kubeconfig_path", scalar(k_node_kubeconfig_path));

  return Artifact{.path = fmt::format("clusters/{}/cloud-init.yaml", cluster.name),
                  .kind = "cloud-init",
                  .cluster = cluster.name,
                  .purpose = fmt::format("user-data for the k3s node {}", instance),
                  .content = render_template(templates, k_node_template, view)};
}

Artifact render_vm(const lab::Lab& lab, const lab::Vm& vm, const TemplateSource& templates) {
  std::vector<std::string> packages;
  const auto add_package = [&packages](const std::string& name) {
    if (std::find(packages.begin(), packages.end(), name) == packages.end()) packages.push_back(name);
  };

  Data services{Data::type::list};
  for (const auto& service : vm.services) {
    const auto& recipes = service_recipes();
    const auto recipe = std::find_if(recipes.begin(), recipes.end(),
                                     [&](const ServiceRecipe& r) { return r.name == service.name; });
    if (recipe == recipes.end())
      throw Error(fmt::format("vms.{}.services: unknown service \"{}\"; known services: {}", vm.name, service.name,
                              fmt::join(known_vm_services(), ", ")));
    for (const auto& package : recipe->packages) add_package(package);
    Data entry;
    entry.set(std::string(recipe->name), true); // selects the unit's section in the template
    entry.set("unit", scalar(service.name + ".service"));
    entry.set("unit_path", scalar("/etc/systemd/system/" + service.name + ".service"));
    entry.set("port", std::to_string(service.port)); // bare: it sits inside the unit text
    services.push_back(entry);
  }
  for (const auto& package : vm.packages) add_package(package);

  Data view;
  view.set("has_packages", !packages.empty());
  view.set("packages", scalar_list(packages));
  view.set("has_services", !vm.services.empty());
  view.set("services", services);

  const auto instance = lab.instance_name(vm.name);
  return Artifact{.path = fmt::format("vms/{}/cloud-init.yaml", vm.name),
                  .kind = "cloud-init",
                  .cluster = vm.name,
                  .purpose = fmt::format("user-data for the VM {}", instance),
                  .content = render_template(templates, k_vm_template, view)};
}

std::vector<Artifact> render_cloud_init(const lab::Lab& lab, const NodeCa& ca, const TemplateSource& templates) {
  std::vector<Artifact> out;
  for (const auto& cluster : lab.clusters)
    if (cluster.provider == lab::Provider::multipass) out.push_back(render_k3s_node(lab, cluster, ca, templates));
  for (const auto& vm : lab.vms) out.push_back(render_vm(lab, vm, templates));
  return out;
}

} // namespace meshlab::render

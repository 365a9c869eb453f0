// TLS ingress per workload cluster: for every host of every app the cluster runs, a
// Gateway on the Istio ingress gateway (HTTPS 443, tls SIMPLE with the host's certificate
// from Secret lab::ingress_secret_name(host)) and a VirtualService in the app's namespace
// routing the host to Service lab::ingress_service(host) on the app's port
// (istio/api networking/v1alpha3 gateway.proto, virtual_service.proto).
#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::render::mesh {

namespace {

Data ingress_data(const lab::App& app, const lab::Cluster& cluster, const std::string& host) {
  const auto name = lab::ingress_secret_name(host);
  const auto gateway = name.substr(0, name.size() - 4); // without "-tls"
  Data data;
  // Comments too get quoted values: a name with a newline must not start a YAML line.
  data.set("app", yaml_quote(app.name));
  data.set("host", yaml_quote(host));
  data.set("namespaced_host", yaml_quote(fmt::format("{}/{}", app.namespace_, host)));
  data.set("name", yaml_quote(gateway));
  data.set("gateway", yaml_quote(fmt::format("{}/{}", k_istio_namespace, gateway)));
  data.set("secret", yaml_quote(name));
  data.set("namespace", yaml_quote(app.namespace_));
  data.set("service", yaml_quote(lab::ingress_service(host)));
  data.set("service_host",
           yaml_quote(fmt::format("{}.{}.svc.{}", lab::ingress_service(host), app.namespace_, cluster.domain)));
  data.set("port", std::to_string(app.port));
  return data;
}

} // namespace

std::vector<Artifact> ingress_resources(const lab::Lab& lab, const lab::Cluster& cluster,
                                        const TemplateSource& templates) {
  std::vector<Artifact> out;
  for (const auto& app : lab.apps) {
    if (app.hosts.empty() || !lab::Lab::selects(app.targets, cluster)) continue;
    if (!lab.istio.has("ingress-gateway"))
      throw Error(fmt::format("apps.{}.hosts: TLS ingress needs the Istio ingress gateway, but istio.components "
                              "leaves out ingress-gateway; add it or drop the hosts",
                              app.name));
    for (const auto& host : app.hosts) {
      const auto& file = path_component(host, fmt::format("apps.{}.hosts", app.name));
      out.push_back(Artifact{
          .path = fmt::format("clusters/{}/ingress/{}.yaml", cluster.name, file),
          .kind = "ingress",
          .cluster = cluster.name,
          .purpose = fmt::format("Gateway (HTTPS, TLS from Secret {}) and VirtualService for {} on {}",
                                 lab::ingress_secret_name(host), host, cluster.name),
          .content = render(templates, "istio/ingress.yaml.mustache", ingress_data(app, cluster, host))});
    }
  }
  return out;
}

} // namespace meshlab::render::mesh

// Helm values of the Istio charts per workload cluster. Every key was checked against
// istio/istio tag 1.30.3, manifests/charts/{base,istio-cni,istio-control/istio-discovery,
// gateway}/values.yaml and the templates reading them; tests/test_render_mesh_values.cpp
// pins the set of keys per chart.
#include "render/mesh_detail.hpp"

#include <fmt/format.h>

namespace meshlab::render::mesh {

namespace {

// k3s paths, as in the charts' files/profile-platform-k3s.yaml; set explicitly because
// istio-cni's templates/daemonset.yaml reads the top-level cniBinDir / cniConfDir.
constexpr std::string_view k_k3s_cni_bin_dir = "/var/lib/rancher/k3s/data/cni";
constexpr std::string_view k_k3s_cni_conf_dir = "/var/lib/rancher/k3s/agent/etc/cni/net.d";
// Service port of the east-west gateway's status port on k3s, where servicelb gives every
// LoadBalancer the node's own ports and the ingress gateway already publishes 15021.
constexpr std::string_view k_k3s_eastwest_status_port = "15022";

Data base_values(const lab::Lab& lab) {
  Data data;
  // An empty revision means the unrevisioned "default" control plane.
  data.set("default_revision", yaml_quote(lab.istio.revision.empty() ? "default" : lab.istio.revision));
  return data;
}

Data cni_values(const lab::Cluster& cluster) {
  Data data;
  data.set("k3s", cluster.provider == lab::Provider::multipass);
  data.set("cni_bin_dir", yaml_quote(k_k3s_cni_bin_dir));
  data.set("cni_conf_dir", yaml_quote(k_k3s_cni_conf_dir));
  return data;
}

Data istiod_values(const lab::Lab& lab, const lab::Cluster& cluster) {
  const auto& cell = cell_of(lab, cluster);
  Data data;
  data.set("revision", yaml_quote(lab.istio.revision));
  data.set("mesh_id", yaml_quote(cell.mesh_id));
  data.set("cluster_name", yaml_quote(cluster.name));
  data.set("network", yaml_quote(cluster.network));
  data.set("cluster_domain", yaml_quote(cluster.domain));
  data.set("trust_domain", yaml_quote(cell.trust_domain));
  data.set("cni", lab.istio.has("cni"));
  return data;
}

Data gateway_values(const lab::Lab& lab, const lab::Cluster& cluster, std::string_view name, std::string_view purpose,
                    bool network_gateway) {
  Data data;
  data.set("purpose", std::string(purpose));
  data.set("name", yaml_quote(name));
  data.set("revision", yaml_quote(lab.istio.revision));
  data.set("network_gateway", network_gateway);
  data.set("network", yaml_quote(cluster.network));
  if (network_gateway && cluster.provider == lab::Provider::multipass)
    data.set("k3s_status_port", std::string(k_k3s_eastwest_status_port));
  return data;
}

} // namespace

std::vector<IstioRelease> istio_releases(const lab::Lab& lab, const lab::Cluster& cluster,
                                         const TemplateSource& templates) {
  std::vector<IstioRelease> out;
  // Canonical install order, whatever order istio.components lists them in.
  for (const auto& component : lab::Istio::known_components()) {
    if (!lab.istio.has(component)) continue;
    if (component == "base") {
      out.push_back({component, "base", "istio-base", render(templates, "helm/base.yaml.mustache", base_values(lab))});
    } else if (component == "cni") {
      out.push_back({component, "cni", "istio-cni", render(templates, "helm/cni.yaml.mustache", cni_values(cluster))});
    } else if (component == "istiod") {
      out.push_back(
          {component, "istiod", "istiod", render(templates, "helm/istiod.yaml.mustache", istiod_values(lab, cluster))});
    } else if (component == "ingress-gateway") {
      out.push_back({component, "gateway", "istio-ingressgateway",
                     render(templates, "helm/gateway.yaml.mustache",
                            gateway_values(lab, cluster, "istio-ingressgateway", "ingress gateway", false))});
    } else if (component == "eastwest-gateway" && eastwest_gateway(lab, cluster)) {
      out.push_back(
          {component, "gateway", "istio-eastwestgateway",
           render(templates, "helm/gateway.yaml.mustache",
                  gateway_values(lab, cluster, "istio-eastwestgateway", "east-west gateway", true))});
    }
  }
  return out;
}

} // namespace meshlab::render::mesh

// Pieces shared by the mesh renderers (mesh.cpp and one .cpp per artifact family);
// internal to render/, not part of meshlab's API.
#pragma once

#include "lab/model.hpp"
#include "render/artifact.hpp"
#include "render/engine.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshlab::render::mesh {

inline constexpr std::string_view k_istio_namespace = "istio-system";

// Renders a mesh template (see TemplateSource::render). Their sections leave blank lines
// that mean nothing, and none of them holds a blank line that matters, so all go.
inline std::string render(const TemplateSource& templates, std::string_view name, const Data& data) {
  return templates.render(name, data, BlankLines::drop);
}

// --- topology (mesh.cpp) -------------------------------------------------------------

// The cell a workload cluster belongs to; throws meshlab::Error when it is not declared.
const lab::Cell& cell_of(const lab::Lab& lab, const lab::Cluster& cluster);
// One network per cluster, joined by east-west gateways.
bool multi_network(const lab::Lab& lab, const lab::Cluster& cluster);
// VMs whose istiod is `cluster`'s, in lab order.
std::vector<const lab::Vm*> vms_of(const lab::Lab& lab, const lab::Cluster& cluster);
// Whether `cluster` gets an east-west gateway: the component is enabled and something
// crosses networks through it (a multi-network cell, or a VM, which always sits on its
// own network). Throws when a VM needs one that istio.components leaves out.
bool eastwest_gateway(const lab::Lab& lab, const lab::Cluster& cluster);
// The namespace label that opts workloads into sidecar injection by this lab's control
// plane: istio.io/rev=<revision>, or istio-injection=enabled when there is no revision.
std::pair<std::string, std::string> injection_label(const lab::Lab& lab);
// `name` when it can be one path component under the output directory; throws naming
// `what` (e.g. `clusters."a/b"`) otherwise, so no lab name can write outside it.
const std::string& path_component(const std::string& name, std::string_view what);

// --- Helm values (helm_values.cpp) ------------------------------------------------------

// One Istio chart installed on one cluster, with its values rendered once and shared by
// the helm/*.yaml file and the Argo CD Application.
struct IstioRelease {
  std::string component; // as in istio.components: "base", "ingress-gateway", ...
  std::string chart;     // chart name in istio.chartRepo: "base", "istiod", "gateway", ...
  std::string release;   // Helm release name the Istio docs use: "istio-base", ...
  std::string values;    // the values file, YAML
};

// The releases of `cluster` in install order (base, cni, istiod, gateways).
std::vector<IstioRelease> istio_releases(const lab::Lab& lab, const lab::Cluster& cluster,
                                         const TemplateSource& templates);

// --- Istio resources (istio_resources.cpp, workload_group.cpp) -------------------------

// istio-system Namespace, cross-network Gateway, istiod exposure and DestinationRules
// for `cluster`, as files under clusters/<cluster>/istio/.
std::vector<Artifact> istio_resources(const lab::Lab& lab, const lab::Cluster& cluster,
                                      const TemplateSource& templates);
// The WorkloadGroup a VM joins, and the Namespace and ServiceAccount it runs as.
std::vector<Artifact> vm_resources(const lab::Lab& lab, const lab::Vm& vm, const TemplateSource& templates);

// --- TLS ingress (ingress.cpp) ------------------------------------------------------------

// A Gateway and a VirtualService per TLS host of each app `cluster` runs, as files
// clusters/<cluster>/ingress/<host>.yaml (kind "ingress"). Throws meshlab::Error when an
// app has hosts but istio.components leaves out ingress-gateway.
std::vector<Artifact> ingress_resources(const lab::Lab& lab, const lab::Cluster& cluster,
                                        const TemplateSource& templates);

// --- CoreDNS (coredns.cpp) ---------------------------------------------------------------

// The lab's `dns` entries for `cluster`, in the form its distribution reads; nullopt when
// the lab has no entries or meshlab does not manage the cluster's CoreDNS (external).
std::optional<Artifact> coredns_config(const lab::Lab& lab, const lab::Cluster& cluster,
                                       const TemplateSource& templates);

// --- Argo CD (argocd.cpp, app_values.cpp) ----------------------------------------------

struct ClusterReleases {
  const lab::Cluster* cluster;
  std::vector<IstioRelease> releases;
};

// AppProjects and Applications, when lab.argocd.enabled.
std::vector<Artifact> argocd_manifests(const lab::Lab& lab, const std::vector<ClusterReleases>& istio,
                                       const TemplateSource& templates);

// An app's Helm values, parsed once and re-emitted per target cluster with ${var}
// substituted. Every string that changed, and every scalar that was not plain, is
// written through yaml_quote, so no variable value can change the document's shape.
class AppValues {
public:
  // Throws meshlab::Error naming `what` when `yaml` is not a YAML mapping (empty is fine).
  AppValues(const std::string& yaml, const std::string& what);
  bool empty() const;
  // Block-style YAML of the values, `${name}` replaced from `vars` (unknown names stay).
  std::string render(const std::map<std::string, std::string>& vars) const;

  // The emitted values cut before each scalar that holds "${": an app is rendered for
  // many clusters, and only those scalars differ between them.
  struct Piece {
    std::string text;          // written as is
    std::string scalar;        // then this value, substituted, unless `last`
    bool plain = false;        // `scalar` was a plain scalar, so unchanged it stays plain
    bool last = false;         // the piece after the last such scalar
  };

private:
  bool m_empty = true;
  std::vector<Piece> m_pieces;
};

// `text` with every `${name}` whose name is in `vars` replaced by its value.
std::string substitute(std::string_view text, const std::map<std::string, std::string>& vars);

} // namespace meshlab::render::mesh

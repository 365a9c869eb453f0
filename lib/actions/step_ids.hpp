// The ids of launch steps, in one place: `<what>/<subject>[/<phase>]`. Actions name the
// steps they need through these functions, never through string literals.
#pragma once

#include <string>

namespace meshlab::actions::ids {

inline std::string registry(const std::string& host) { return "registry/" + host; }         // cache container up
// The cache container joined to the `kind` docker network (needs the lab's first kind cluster).
inline std::string registry_kind_network(const std::string& host) { return "registry/" + host + "/kind-network"; }
inline std::string vm(const std::string& vm) { return "vm/" + vm + "/create"; }              // VM up, cloud-init done
inline std::string vm_mesh(const std::string& vm) { return "vm/" + vm + "/mesh"; }  // WorkloadGroup, Services applied
inline std::string vm_join(const std::string& vm) { return "vm/" + vm + "/join"; }  // sidecar running, WorkloadEntry there
inline std::string cluster_create(const std::string& c) { return "cluster/" + c + "/create"; }
inline std::string cluster_kubeconfig(const std::string& c) { return "cluster/" + c + "/kubeconfig"; }
// The gate later steps need: API up, every node Ready with its locality labels, and on kind
// the registry mirrors and MetalLB in place (cluster_ready needs cluster_mirrors and
// cluster_loadbalancer when the plan has them).
inline std::string cluster_ready(const std::string& c) { return "cluster/" + c + "/ready"; }
inline std::string cluster_mirrors(const std::string& c) { return "cluster/" + c + "/mirrors"; }           // kind: hosts.toml on every node
inline std::string cluster_loadbalancer(const std::string& c) { return "cluster/" + c + "/loadbalancer"; } // kind: MetalLB + pool
inline std::string cluster_cacerts(const std::string& c) { return "cluster/" + c + "/cacerts"; }
// The lab's `dns` entries in the cluster's CoreDNS, which was restarted to read them.
inline std::string cluster_dns(const std::string& c) { return "cluster/" + c + "/dns"; }
inline std::string kubeconfig_merge() { return "kubeconfig/merge"; }                          // user's kubeconfig
inline std::string argocd_install() { return "argocd/install"; }
inline std::string argocd_register(const std::string& c) { return "argocd/register/" + c; }
inline std::string remote_secrets(const std::string& cell) { return "mesh/" + cell + "/remote-secrets"; }
inline std::string argocd_apps() { return "argocd/apps"; }                                    // AppProjects + Applications applied
inline std::string apps_sync() { return "apps/sync"; }                                        // every app Synced and Healthy
// The rendered Istio resources (clusters/<c>/istio/: network label, cross-network Gateway,
// istiod exposure, DestinationRules) applied.
inline std::string mesh_resources(const std::string& c) { return "istio/" + c + "/resources"; }
// Every TLS host of the cluster served: Secret <host>-tls, Gateway and VirtualService applied.
inline std::string ingress(const std::string& c) { return "ingress/" + c; }

} // namespace meshlab::actions::ids

// The ids of launch steps, in one place: `<what>/<subject>[/<phase>]`. Actions name the
// steps they need through these functions, never through string literals.
#pragma once

#include <string>

namespace meshlab::actions::ids {

inline std::string registry(const std::string& host) { return "registry/" + host; }         // cache container up
inline std::string vm(const std::string& vm) { return "vm/" + vm + "/create"; }              // VM up, cloud-init done
inline std::string cluster_create(const std::string& c) { return "cluster/" + c + "/create"; }
inline std::string cluster_kubeconfig(const std::string& c) { return "cluster/" + c + "/kubeconfig"; }
inline std::string cluster_ready(const std::string& c) { return "cluster/" + c + "/ready"; } // API up, nodes Ready, locality labels
inline std::string cluster_cacerts(const std::string& c) { return "cluster/" + c + "/cacerts"; }
inline std::string kubeconfig_merge() { return "kubeconfig/merge"; }                          // user's kubeconfig
inline std::string argocd_install() { return "argocd/install"; }
inline std::string argocd_register(const std::string& c) { return "argocd/register/" + c; }
inline std::string remote_secrets(const std::string& cell) { return "mesh/" + cell + "/remote-secrets"; }
inline std::string argocd_apps() { return "argocd/apps"; }                                    // AppProjects + Applications applied
inline std::string apps_sync() { return "apps/sync"; }                                        // every app Synced and Healthy

} // namespace meshlab::actions::ids

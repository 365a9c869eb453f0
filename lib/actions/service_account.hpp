// A ServiceAccount with a long-lived token, the way `argocd cluster add` and `istioctl
// create-remote-secret` make one: the account, a ClusterRole and its binding, and a
// `kubernetes.io/service-account-token` Secret the token controller fills with token and
// ca.crt. Argo CD registration and Istio remote secrets copy those two values.
#pragma once

#include "actions/kube_access.hpp"
#include "util/wait.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace meshlab::actions {

struct ServiceAccountSpec {
  std::string name;             // "argocd-manager"
  std::string ns;               // "kube-system"
  std::string token_secret;     // "argocd-manager-long-lived-token"
  std::string cluster_role;     // "argocd-manager-role"; its binding is named `binding`
  std::string binding;          // "argocd-manager-role-binding"
  nlohmann::ordered_json rules; // the ClusterRole's rules (a JSON array)
  std::map<std::string, std::string> labels; // on all four objects (meshlab.dev/lab, so delete finds them)
};

// ServiceAccount, ClusterRole, ClusterRoleBinding and token Secret (no secret content yet:
// safe to log), in that order.
std::vector<nlohmann::ordered_json> service_account_objects(const ServiceAccountSpec& spec);

// What the token controller put into the Secret.
struct TokenAccess {
  std::string token;   // the bearer token, decoded
  std::string ca_data; // data["ca.crt"] as stored: base64 of the cluster CA's PEM (what
                       // kubeconfig's certificate-authority-data and Argo CD's caData want)
};

// Polls the token Secret of `spec` (its output redacted in logs) until it holds a token and
// ca.crt, and returns them; placeholders under --dry-run. Throws meshlab::Error on timeout
// ("timed out after 60s waiting for the token of ServiceAccount kube-system/argocd-manager
// on mesh-east"), when the token is not base64, and what lookup throws.
TokenAccess wait_for_token(const kube::Kubectl& kubectl, const ServiceAccountSpec& spec,
                           util::Clock::time_point deadline);

} // namespace meshlab::actions

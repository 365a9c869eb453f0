// What `meshlab argocd` shows: where the lab's Argo CD answers, and the initial admin
// password, after checking that this password really logs in (POST /api/v1/session).
#pragma once

#include "exec/runner.hpp"
#include "lab/model.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace meshlab::actions {

// Documented in docs (meshlab argocd): the URL to use instead of the argocd-server
// LoadBalancer address, for a port-forward or tests.
inline constexpr const char* k_argocd_url_env = "MESHLAB_ARGOCD_URL";

struct ArgoCdLogin {
  std::string cluster;  // as named in the lab
  std::string context;  // meshlab's context for it
  std::string url;      // "https://<LoadBalancer address>" or the override
  std::string username; // "admin"
  std::string password; // the initial admin password, in clear
};

struct ArgoCdInfoOptions {
  std::optional<std::string> url;                              // use this URL instead of the LoadBalancer address
  std::chrono::milliseconds timeout{std::chrono::seconds(10)}; // per kubectl call and for the login
};

// Reads the lab's Argo CD URL and initial admin password through kubectl (with meshlab's
// kubeconfig of the Argo CD cluster in the state directory) and checks that the password
// logs in, accepting Argo CD's self-signed certificate for this check only. Throws
// meshlab::Error with one line saying what is missing: no Argo CD in the lab, the lab not
// up (no kubeconfig, cluster unreachable), Argo CD not installed or not ready yet (no
// address, no initial admin secret), the login refused.
ArgoCdLogin argocd_login(const lab::Lab& lab, exec::Runner& runner, const ArgoCdInfoOptions& options = {});

} // namespace meshlab::actions

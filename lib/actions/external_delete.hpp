// What `meshlab delete` removes from clusters it does not own (provider external): what Argo CD
// deployed there (by deleting its Applications), then the objects bring-up installed there,
// every one labelled meshlab.dev/lab=<lab name> — cacerts, Argo CD cluster Secrets, remote
// secrets, the ServiceAccounts with their tokens and RBAC, and istio-system when meshlab made
// it. Nothing else on such a cluster is touched.
#pragma once

#include "actions/launch_context.hpp"
#include "exec/runner.hpp"

#include <string>
#include <vector>

namespace meshlab::actions {

struct ExternalDeleted {
  std::vector<std::string> removed;  // "secret/cacerts on external cluster home"
  std::vector<std::string> problems; // what is still there, or why a cluster could not be asked
  bool ok() const { return problems.empty(); }
};

// The kinds meshlab labels, in the order they are deleted (namespaces last: deleting one
// takes what is left in it).
const std::vector<std::string>& labelled_kinds();

// First the Argo CD Applications whose destinations outlive the lab (those of external
// clusters; all of the lab's when Argo CD itself runs on an external cluster):
// `kubectl delete applications.argoproj.io -n argocd -l meshlab.dev/cluster=<c> --wait`, so
// Argo CD's resources finalizer removes what they deployed there. Then, for each external
// cluster of the lab (meshlab's kubeconfig for it while there is one, else the lab's
// kubeconfig and context): `kubectl delete <kind> -l meshlab.dev/lab=<lab>
// --ignore-not-found` per kind, then one `get` of all of them by the label to report what is
// left. Idempotent. Throws only Interrupted.
ExternalDeleted delete_external_objects(const LaunchContext& ctx, exec::Runner& runner);

} // namespace meshlab::actions

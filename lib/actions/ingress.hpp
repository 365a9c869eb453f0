// TLS ingress on each workload cluster: the server certificate of every host the cluster
// serves, stored as the kubernetes.io/tls Secret lab::ingress_secret_name(host) in
// istio-system (beside the ingress gateway, where credentialName looks), then the host's
// rendered Gateway and VirtualService (clusters/<c>/ingress/, index.json kind "ingress").
#pragma once

#include "actions/launch_context.hpp"
#include "plan/plan.hpp"

#include <string>

namespace meshlab::actions {

// The Secret of `host`'s certificate for `cluster` as YAML: type kubernetes.io/tls, tls.crt
// (the server certificate then the cluster's intermediate) and tls.key from
// ca/<cluster>/ingress/<host>/ in the state directory, label meshlab.dev/lab. Carries a
// private key: apply it only through stdin marked secret. Throws meshlab::Error when the
// files are missing (render first).
std::string ingress_secret_yaml(const LaunchContext& ctx, const lab::Cluster& cluster, const std::string& host);

// Adds ingress/<c> for each workload cluster that serves TLS hosts, after apps/sync (the
// gateway runs and the apps' namespaces exist), or after cluster/<c>/cacerts without
// Argo CD. Re-run when a certificate or a rendered file changed; on resume it is done when
// every Secret holds the current certificate and every rendered object exists.
void add_ingress_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

} // namespace meshlab::actions

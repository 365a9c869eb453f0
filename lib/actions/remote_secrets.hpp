// Istio endpoint discovery between the clusters of a cell, without istioctl: in every
// cluster a reader ServiceAccount with a long-lived token, then in every cluster b, for
// every other cluster a of the cell, the Secret `istioctl create-remote-secret` would make
// for a (contracts/istio.md, "Remote secret"): istiod in b watches a's API with it.
#pragma once

#include "actions/launch_context.hpp"
#include "actions/service_account.hpp"
#include "plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace meshlab::actions {

// Adds mesh/<cell>/remote-secrets for every cell with at least two clusters, after
// cluster/<c>/cacerts (which makes istio-system) of each of them.
void add_remote_secrets_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

// istio-reader-service-account in istio-system, its token Secret, and a ClusterRole with
// the rules of the istiod chart's istio-reader-clusterrole (what endpoint discovery reads).
ServiceAccountSpec istio_reader_account();

// The remote secret for cluster `cluster_name` (the name its istiod knows itself by, its
// global.multiCluster.clusterName: the cluster's name in the lab), to be applied in every
// other cluster of its cell: label istio/multiCluster "true", annotation
// networking.istio.io/cluster, one stringData key `cluster_name` holding a kubeconfig with
// `server`, the CA and the reader token. Holds the token: stdin marked secret only.
nlohmann::ordered_json remote_secret(const std::string& cluster_name, const std::string& server,
                                     const TokenAccess& access);

// The kubeconfig inside a remote secret: cluster, user and context all named `cluster_name`.
std::string remote_kubeconfig(const std::string& cluster_name, const std::string& server, const TokenAccess& access);

// The resume check of mesh/<cell>/remote-secrets: every cluster of `clusters` holds the
// remote secret of every other one (names only are read). Throws when a cluster cannot be
// asked (the resume counts that as false).
bool remote_secrets_in_place(const LaunchContext& ctx, const std::vector<const lab::Cluster*>& clusters,
                             exec::Runner& runner);

} // namespace meshlab::actions

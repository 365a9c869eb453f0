// Argo CD on the lab's Argo CD cluster (contracts/argocd.md): argocd/install downloads the
// install manifest once into the cache, applies it server-side, waits until Argo CD is up
// and exposes argocd-server through a LoadBalancer; argocd/register/<c> registers each
// workload cluster declaratively (a ServiceAccount token on the cluster, a cluster Secret
// next to Argo CD), so no `argocd` CLI is needed.
#pragma once

#include "actions/launch_context.hpp"
#include "actions/service_account.hpp"
#include "net/cache.hpp"
#include "plan/plan.hpp"
#include "util/wait.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>

namespace meshlab::actions {

inline constexpr const char* k_argocd_namespace = "argocd";

// Adds argocd/install and argocd/register/<c> for every workload cluster; nothing when the
// lab has no Argo CD.
void add_argocd_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

// The cluster Argo CD runs on (argocd.cluster, else the management cluster); nullptr when
// the lab has no Argo CD. Throws meshlab::Error when argocd.cluster names no cluster.
const lab::Cluster* argocd_cluster(const lab::Lab& lab);

// --- argocd/install ----------------------------------------------------------------------

// <state>/cache/argocd-<version>-install.yaml, downloaded from `argocd.manifest` unless the
// cache already holds it (net::cached_download: reused only when it still has the recorded
// checksum and came from the same URL). Throws meshlab::Error when the download fails.
net::CachedFile cache_install_manifest(const lab::ArgoCd& argocd, const std::filesystem::path& state_dir,
                                       std::ostream& log);

// Polls until every Deployment in namespace argocd is Available and the
// argocd-application-controller StatefulSet has all its replicas ready. Returns at once
// under --dry-run. Throws meshlab::Error on timeout, naming what is not ready yet.
void wait_for_argocd(const kube::Kubectl& kubectl, util::Clock::time_point deadline);

// Makes Service argocd-server a LoadBalancer and waits for its address; returns
// "https://<address>" (an empty string under --dry-run). Throws meshlab::Error on timeout.
std::string expose_argocd(const kube::Kubectl& kubectl, util::Clock::time_point deadline);

// The resume check of argocd/install: Argo CD's workloads ready and argocd-server with a
// LoadBalancer address. Throws when the cluster cannot be asked (the resume counts it false).
bool argocd_running(const LaunchContext& ctx, const lab::Cluster& host, exec::Runner& runner);

// --- argocd/register/<c> -----------------------------------------------------------------

// Adds argocd/register/<c> for every workload cluster (argocd_register.cpp); part of
// add_argocd_steps.
void add_argocd_register_steps(plan::PlanBuilder& builder, const LaunchContext& ctx, const lab::Cluster& host);

// The ServiceAccount Argo CD uses on a registered cluster: what `argocd cluster add` makes
// (argocd-manager in kube-system, a ClusterRole allowing everything, a long-lived token).
ServiceAccountSpec argocd_manager_account();

// The API URL Argo CD uses for `cluster`: https://kubernetes.default.svc for the cluster
// Argo CD runs on, else `internal_server`.
std::string argocd_server_url(const lab::Lab& lab, const lab::Cluster& cluster, const std::string& internal_server);

// The Argo CD cluster Secret registering `cluster` (contracts/argocd.md, "Registering a
// cluster without the CLI"): named cluster-<instance>, labelled with the lab, cluster, cell,
// network, region and zone; stringData name = the instance name (what the rendered
// Applications' destination.name uses), server, and config with the bearer token and CA.
// Holds the token: only ever goes through stdin marked secret.
nlohmann::ordered_json cluster_secret(const lab::Lab& lab, const lab::Cluster& cluster, const std::string& server,
                                      const TokenAccess& access);

// The resume check of argocd/register/<c>: the cluster Secret of `cluster` is still next
// to Argo CD on `host` (read with its output redacted). A recreated cluster re-runs the
// step anyway: its kubeconfig step learns new facts, which changes this step's inputs.
bool cluster_registered(const LaunchContext& ctx, const lab::Cluster& host, const lab::Cluster& cluster,
                        exec::Runner& runner);

} // namespace meshlab::actions

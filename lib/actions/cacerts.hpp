// Istio's plug-in CA on every workload cluster (contracts/istio.md, "Plug-in CA"): the
// istio-system namespace, labelled with the cluster's network in multi-network cells, and
// the Secret `cacerts` made from the cluster's intermediate in <state>/ca/<cluster>/. It
// must exist before istiod first starts, so the Argo CD apps step needs it.
#pragma once

#include "actions/launch_context.hpp"
#include "plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace meshlab::actions {

// Adds cluster/<c>/cacerts (after cluster/<c>/ready) for every workload cluster.
void add_cacerts_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

// The four files of `cluster`'s CA bundle, in the order the Secret lists them.
inline constexpr const char* k_cacerts_files[] = {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"};

// The istio-system Namespace of `cluster` (with topology.istio.io/network in a
// multi-network cell).
nlohmann::ordered_json istio_namespace(const lab::Lab& lab, const lab::Cluster& cluster);

// The `cacerts` Secret of `cluster` as YAML, data base64-encoded from ca/<cluster>/.
// Holds the intermediate's private key: only ever goes through stdin marked secret.
// Throws meshlab::Error naming a file that cannot be read.
std::string cacerts_secret_yaml(const LaunchContext& ctx, const lab::Cluster& cluster);

// The cheap check a resumed launch makes before skipping cluster/<c>/cacerts: true when
// Secret cacerts exists in istio-system with this lab's root-cert.pem. False when it is
// missing or different, or the cluster cannot be asked. Never throws for those.
bool cacerts_in_place(const LaunchContext& ctx, const lab::Cluster& cluster, exec::Runner& runner);

} // namespace meshlab::actions

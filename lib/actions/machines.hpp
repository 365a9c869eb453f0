// The machine part of a launch: registry caches, VMs, and every cluster up to "ready"
// (created, kubeconfig written, nodes Ready with their locality labels, on kind the registry
// mirrors and MetalLB), plus the teardown `meshlab delete` uses. Step ids: step_ids.hpp.
#pragma once

#include "actions/launch_context.hpp"
#include "exec/runner.hpp"
#include "plan/plan.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::actions {

// registry/<host> per lab registry (start or create the cache, wait for /v2/), and when the
// lab has kind clusters registry/<host>/kind-network (needs the first kind cluster's create
// step: the `kind` network exists only once a kind cluster does).
void add_registry_steps(plan::PlanBuilder& plan, const LaunchContext& ctx);

// vm/<vm>/create per lab VM (multipass, cloud-init finished). Needs nothing: VMs start in
// parallel with everything else.
void add_vm_steps(plan::PlanBuilder& plan, const LaunchContext& ctx);

// Per cluster: cluster/<c>/create (multipass nodes need the registry caches their k3s pulls
// through), cluster/<c>/kubeconfig, on kind cluster/<c>/mirrors (when the lab has registries)
// and cluster/<c>/loadbalancer (MetalLB), and cluster/<c>/ready, which needs all of them.
// Later steps need only cluster/<c>/ready.
void add_cluster_steps(plan::PlanBuilder& plan, const LaunchContext& ctx);

// Checks that the tools the lab's machines need are installed and answering (each provider
// in use, docker for registry caches). Throws meshlab::Error with an install hint.
void check_machine_tools(const LaunchContext& ctx, exec::Runner& runner);

// Where the MetalLB native manifest comes from: $MESHLAB_METALLB_MANIFEST_URL when set (tests
// and offline mirrors), else k_metallb_manifest_url. Downloaded once into state_dir/cache/.
inline constexpr std::string_view k_metallb_version = "v0.15.3";
inline constexpr std::string_view k_metallb_manifest_url =
    "https://raw.githubusercontent.com/metallb/metallb/v0.15.3/config/manifests/metallb-native.yaml";
std::string metallb_manifest_url();

enum class DeleteRegistries { no, yes };

struct MachinesDeleted {
  std::vector<std::string> removed;  // "kind cluster mesh-east", "multipass instance kube-01", ...
  std::vector<std::string> problems; // one complete sentence per thing that could not be removed
  bool ok() const { return problems.empty(); }
};

// Deletes the lab's kind clusters and multipass instances (clusters and VMs) that exist —
// only names the lab gives its machines, never anything else — and, with
// DeleteRegistries::yes, its registry cache containers. External clusters are never touched.
// Tries everything, then reports what it removed and what it could not; never throws for a
// machine that will not go (tools that are missing count as problems). Works on a lab that
// is partly created or already gone.
MachinesDeleted delete_machines(const LaunchContext& ctx, exec::Runner& runner, DeleteRegistries registries);

} // namespace meshlab::actions

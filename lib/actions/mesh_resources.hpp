// The rendered Istio resources of each workload cluster applied with kubectl once Istio and
// the apps are in place: the network label on istio-system, the cross-network Gateway of
// the east-west gateway, istiod exposed for VMs and the locality DestinationRules
// (clusters/<c>/istio/, index.json kind "istio").
#pragma once

#include "actions/launch_context.hpp"
#include "plan/plan.hpp"

namespace meshlab::actions {

// Adds istio/<c>/resources per workload cluster with rendered Istio resources, after
// apps/sync (the CRDs come with the base chart, the gateways' pods and the apps'
// namespaces with their Applications), or after cluster/<c>/cacerts without Argo CD.
void add_mesh_resource_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

} // namespace meshlab::actions

// The lab's DNS entries in each workload cluster's CoreDNS (clusters/<c>/coredns.yaml,
// index.json kind "coredns"), so pods resolve the lab's hosts (`ingress` entries to the
// cluster's own ingress gateway).
#pragma once

#include "actions/launch_context.hpp"
#include "plan/plan.hpp"

namespace meshlab::actions {

// Adds cluster/<c>/dns for each cluster with a rendered CoreDNS config, after
// cluster/<c>/ready: applies the ConfigMap (k3s: coredns-custom; kind: the whole Corefile)
// and restarts the coredns Deployment, since CoreDNS does not reload imported files.
void add_coredns_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

} // namespace meshlab::actions

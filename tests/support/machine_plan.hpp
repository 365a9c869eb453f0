// The machine part of launch's plan (registries, VMs, clusters), for the machine tests
// that run it against the recording runner or the fake tools.
#pragma once

#include "actions/machines.hpp"
#include "plan/plan.hpp"

namespace meshlab::test {

inline plan::Plan machine_plan(const actions::LaunchContext& ctx) {
  plan::PlanBuilder builder;
  actions::add_registry_steps(builder, ctx);
  actions::add_vm_steps(builder, ctx);
  actions::add_cluster_steps(builder, ctx);
  return builder.build();
}

} // namespace meshlab::test

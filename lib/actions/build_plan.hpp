// The launch plan: every concern adds its steps (registries, VMs, clusters, kubeconfig,
// CA secrets, Argo CD, remote secrets, apps), each knowing the others only by step ids.
#pragma once

#include "actions/launch_context.hpp"
#include "exec/runner.hpp"
#include "plan/plan.hpp"

namespace meshlab::actions {

// The plan for `ctx.lab`, whose rendered files are in `ctx.state_dir` (render first: steps
// hash the files they use). Nothing runs. Throws meshlab::Error when the steps do not fit
// together (a missing need, a cycle).
plan::Plan build_plan(const LaunchContext& ctx);

// Checks that the tools the lab needs are installed and answering; throws meshlab::Error
// with an install hint. Launch calls it before running anything.
void check_tools(const LaunchContext& ctx, exec::Runner& runner);

} // namespace meshlab::actions

#include "actions/build_plan.hpp"

#include "actions/apps.hpp"
#include "actions/argocd.hpp"
#include "actions/cacerts.hpp"
#include "actions/coredns.hpp"
#include "actions/ingress.hpp"
#include "actions/kubeconfig.hpp"
#include "actions/machines.hpp"
#include "actions/mesh_resources.hpp"
#include "actions/remote_secrets.hpp"
#include "actions/vm_join.hpp"

namespace meshlab::actions {

plan::Plan build_plan(const LaunchContext& ctx) {
  plan::PlanBuilder builder;
  add_registry_steps(builder, ctx);
  add_vm_steps(builder, ctx);
  add_cluster_steps(builder, ctx);
  add_kubeconfig_steps(builder, ctx);
  add_cacerts_steps(builder, ctx);
  add_argocd_steps(builder, ctx);
  add_remote_secrets_steps(builder, ctx);
  add_apps_steps(builder, ctx);
  add_coredns_steps(builder, ctx);
  add_mesh_resource_steps(builder, ctx); // after the apps: they need apps/sync
  add_ingress_steps(builder, ctx);
  add_vm_join_steps(builder, ctx);
  return forgetting_at_each_step(builder.build(), ctx.snapshot);
}

void check_tools(const LaunchContext& ctx, exec::Runner& runner) {
  check_machine_tools(ctx, runner);
}

} // namespace meshlab::actions

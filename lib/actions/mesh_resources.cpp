#include "actions/mesh_resources.hpp"

#include "actions/rendered.hpp"
#include "actions/step_ids.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

void add_mesh_resource_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  for (const auto* cluster : ctx.lab.workload_clusters()) {
    const auto files = rendered_files(ctx.state_dir, "istio", cluster->name);
    if (files.empty()) continue;
    const auto after = builder.contains(ids::apps_sync()) ? ids::apps_sync() : ids::cluster_cacerts(cluster->name);
    expect_rendered_objects(ctx, *cluster, files);
    builder.add(plan::Step{
        .id = ids::mesh_resources(cluster->name),
        .title = fmt::format("Applying the Istio gateways and policies on {}", cluster->name),
        .needs = {after},
        .inputs_hash = files_digest(files, {cluster->name}),
        .run =
            [ctx, cluster, files](plan::StepContext& sc) {
              apply_yaml(kubectl_for(ctx, *cluster, sc.runner), yaml_stream_of(files));
              sc.facts["files"] = std::to_string(files.size());
            },
        .verify =
            [ctx, cluster, files](exec::Runner& runner) {
              return objects_present(ctx, kubectl_for(ctx, *cluster, runner), files);
            },
    });
  }
}

} // namespace meshlab::actions

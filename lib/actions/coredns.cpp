#include "actions/coredns.hpp"

#include "actions/rendered.hpp"
#include "actions/step_ids.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

namespace {

void apply_dns(const LaunchContext& ctx, const lab::Cluster& cluster, const std::vector<std::filesystem::path>& files,
               plan::StepContext& sc) {
  const auto kubectl = kubectl_for(ctx, cluster, sc.runner);
  apply_yaml(kubectl, yaml_stream_of(files));
  // coredns#2633: the reload plugin does not see changes to imported files (k3s's
  // coredns-custom), so the pods are replaced to read the new entries.
  kubectl.check({"rollout", "restart", "deployment/coredns", "-n", "kube-system"});
  sc.facts["configmap"] = files.front().filename().string();
}

} // namespace

void add_coredns_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  for (const auto& cluster : ctx.lab.clusters) {
    const auto files = rendered_files(ctx.state_dir, "coredns", cluster.name);
    if (files.empty()) continue;
    const auto* c = &cluster;
    expect_rendered_objects(ctx, cluster, files);
    builder.add(plan::Step{
        .id = ids::cluster_dns(cluster.name),
        .title = fmt::format("Adding the lab's DNS entries to CoreDNS on {}", cluster.name),
        .needs = {ids::cluster_ready(cluster.name)},
        .inputs_hash = files_digest(files, {cluster.name}),
        .run = [ctx, c, files](plan::StepContext& sc) { apply_dns(ctx, *c, files, sc); },
        .verify =
            [ctx, c, files](exec::Runner& runner) { return objects_present(ctx, kubectl_for(ctx, *c, runner), files); },
    });
  }
}

} // namespace meshlab::actions

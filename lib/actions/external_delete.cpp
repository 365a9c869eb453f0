#include "actions/external_delete.hpp"

#include "actions/argocd.hpp"
#include "actions/manifest.hpp"
#include "exec/check.hpp"
#include "kube/kubectl.hpp"
#include "providers/tool.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

namespace meshlab::actions {

namespace {

bool namespaced(const std::string& kind) { return kind == "secrets" || kind == "serviceaccounts"; }

kube::Kubectl kubectl_of(const LaunchContext& ctx, const lab::Cluster& cluster, exec::Runner& runner) {
  std::error_code ec;
  const auto ours = ctx.kubeconfig_for(cluster);
  if (std::filesystem::is_regular_file(ours, ec)) return kube::Kubectl(runner, ours, ctx.context_for(cluster));
  return kube::Kubectl(runner, cluster.kubeconfig, cluster.context);
}

std::string why(const exec::Completed& done) {
  if (done.timed_out) return "kubectl timed out";
  const auto text = exec::last_lines(done.err.empty() ? done.out : done.err, 1);
  return text.empty() ? fmt::format("kubectl exited with status {}", done.exit_code) : text;
}

void clean(const LaunchContext& ctx, const lab::Cluster& cluster, exec::Runner& runner, ExternalDeleted& result) {
  const auto kubectl = kubectl_of(ctx, cluster, runner);
  const auto selector = fmt::format("{}={}", k_lab_label, ctx.lab.name);
  const auto where = fmt::format("external cluster {} (context {})", cluster.name, kubectl.context());
  std::vector<std::string> failures;
  for (const auto& kind : labelled_kinds()) {
    std::vector<std::string> args{"delete", kind, "-l", selector, "--ignore-not-found", "-o", "name"};
    if (namespaced(kind)) args.push_back("--all-namespaces");
    const auto done = kubectl.run(args);
    if (done.exit_code != 0 || done.timed_out) {
      failures.push_back(fmt::format("{}: {}", kind, why(done)));
      continue;
    }
    for (const auto& name : providers::output_lines(done.out))
      result.removed.push_back(fmt::format("{} on {}", name, where));
  }
  // Ask again: the report says what is really gone.
  const auto left = kubectl.run({"get", fmt::format("{}", fmt::join(labelled_kinds(), ",")), "--all-namespaces",
                                 "-l", selector, "-o", "name"});
  if (left.exit_code != 0 || left.timed_out) {
    result.problems.push_back(fmt::format("cannot tell what lab {} left on {}: {}{}", ctx.lab.name, where, why(left),
                                          failures.empty() ? "" : fmt::format(" ({})", fmt::join(failures, "; "))));
    return;
  }
  for (const auto& name : providers::output_lines(left.out))
    result.problems.push_back(fmt::format("could not delete {} on {}{}", name, where,
                                          failures.empty() ? "" : fmt::format(" ({})", fmt::join(failures, "; "))));
}

// Argo CD Applications whose destination outlives the lab: deleted through Argo CD first, so
// the resources finalizer every meshlab Application carries has Argo CD remove what they
// deployed (Istio, the apps) while it can still reach those clusters; `--wait` returns once it
// has. When Argo CD runs on an external cluster that is every Application of the lab (they
// would stay there); otherwise those of the external clusters (the others go with the
// clusters meshlab deletes). Namespaces Argo CD created for them stay, empty, as Argo CD
// leaves them.
void delete_applications(const LaunchContext& ctx, exec::Runner& runner, ExternalDeleted& result) {
  const auto* host = argocd_cluster(ctx.lab);
  if (host == nullptr) return;
  const bool host_stays = host->provider == lab::Provider::external;
  std::error_code ec;
  if (!host_stays && !std::filesystem::is_regular_file(ctx.kubeconfig_for(*host), ec)) return; // never launched
  const auto kubectl = kubectl_of(ctx, *host, runner);
  const auto where = fmt::format("{} cluster {} (context {})", host_stays ? "external" : "Argo CD's", host->name,
                                 kubectl.context());
  for (const auto& c : ctx.lab.clusters) {
    const auto* cluster = &c;
    if (!host_stays && cluster->provider != lab::Provider::external) continue;
    const auto done = kubectl.run({"delete", "applications.argoproj.io", "-n", k_argocd_namespace, "-l",
                                   fmt::format("meshlab.dev/cluster={}", cluster->name), "--ignore-not-found",
                                   "--wait=true", "--timeout=4m", "-o", "name"});
    if (done.exit_code != 0 || done.timed_out) {
      result.problems.push_back(fmt::format("could not delete the Argo CD Applications of cluster {} on {}: {}",
                                            cluster->name, where, why(done)));
      continue;
    }
    for (const auto& name : providers::output_lines(done.out))
      result.removed.push_back(fmt::format("{} (and what it deployed on {}) on {}", name, cluster->name, where));
  }
}

} // namespace

const std::vector<std::string>& labelled_kinds() {
  static const std::vector<std::string> kinds{"secrets", "serviceaccounts", "clusterrolebindings", "clusterroles",
                                              "namespaces"};
  return kinds;
}

ExternalDeleted delete_external_objects(const LaunchContext& ctx, exec::Runner& runner) {
  ExternalDeleted result;
  try {
    delete_applications(ctx, runner, result);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    result.problems.push_back(fmt::format("cannot remove lab {}'s Argo CD Applications: {}", ctx.lab.name, e.what()));
  }
  for (const auto& cluster : ctx.lab.clusters) {
    if (cluster.provider != lab::Provider::external) continue;
    try {
      clean(ctx, cluster, runner, result);
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      result.problems.push_back(fmt::format("cannot remove lab {}'s objects from external cluster {}: {}",
                                            ctx.lab.name, cluster.name, e.what()));
    }
  }
  return result;
}

} // namespace meshlab::actions

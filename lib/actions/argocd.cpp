#include "actions/argocd.hpp"

#include "actions/kube_access.hpp"
#include "actions/manifest.hpp"
#include "actions/step_ids.hpp"
#include "net/cache.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <sstream>

namespace meshlab::actions {

namespace {

// Per-step limits: Argo CD pulls several images on a fresh cluster; a LoadBalancer address
// comes from MetalLB (kind) or the k3s service load balancer within seconds.
constexpr auto k_ready_timeout = std::chrono::minutes(10);
constexpr auto k_address_timeout = std::chrono::minutes(5);
constexpr auto k_poll = std::chrono::milliseconds(250);

constexpr const char* k_controller = "argocd-application-controller";
constexpr const char* k_server = "argocd-server";

std::string cache_name(const std::string& version) {
  return fmt::format("argocd-{}-install.yaml", net::cache_name_part(version));
}

bool condition_true(const nlohmann::json& object, const std::string& type) {
  const auto status = object.value("status", nlohmann::json::object());
  for (const auto& condition : status.value("conditions", nlohmann::json::array()))
    if (condition.value("type", "") == type) return condition.value("status", "") == "True";
  return false;
}

// What is not ready yet among Argo CD's workloads, for the probe and the timeout message.
std::vector<std::string> not_ready(const nlohmann::json& items) {
  std::vector<std::string> pending;
  bool controller = false, server = false;
  for (const auto& item : items) {
    const auto kind = item.value("kind", "");
    const auto name = item.value("metadata", nlohmann::json::object()).value("name", "");
    if (kind == "Deployment") {
      server = server || name == k_server;
      if (!condition_true(item, "Available")) pending.push_back(fmt::format("deployment/{} not Available", name));
    } else if (kind == "StatefulSet" && name == k_controller) {
      controller = true;
      const auto want = item.value("spec", nlohmann::json::object()).value("replicas", 1);
      const auto ready = item.value("status", nlohmann::json::object()).value("readyReplicas", 0);
      if (ready < want) pending.push_back(fmt::format("statefulset/{} {}/{} ready", name, ready, want));
    }
  }
  if (!server) pending.push_back(fmt::format("deployment/{} missing", k_server));
  if (!controller) pending.push_back(fmt::format("statefulset/{} missing", k_controller));
  return pending;
}

void install(const LaunchContext& ctx, const lab::Cluster& host, plan::StepContext& sc) {
  const auto kubectl = kubectl_for(ctx, host, sc.runner);
  const auto mode = apply_yaml(kubectl, to_yaml(namespace_object(k_argocd_namespace)));
  auto manifest = ctx.state_dir / "cache" / cache_name(ctx.lab.argocd.version);
  if (ctx.dry_run || mode == RunMode::dry_run) {
    sc.log << fmt::format("dry run: {} would be downloaded into {} unless cached there\n", ctx.lab.argocd.manifest,
                          manifest.string());
  } else {
    const auto cached = cache_install_manifest(ctx.lab.argocd, ctx.state_dir, sc.log);
    manifest = cached.file;
    sc.facts["manifest_sha256"] = cached.sha256;
  }
  // From the verified cache file rather than stdin: the same bytes, and the step log
  // names the file instead of holding a megabyte of CRDs.
  kubectl.check({"apply", "-n", k_argocd_namespace, "--server-side", "--field-manager=meshlab", "--force-conflicts",
                 "-f", manifest.string()});
  wait_for_argocd(kubectl, util::Clock::now() + k_ready_timeout);
  const auto url = expose_argocd(kubectl, util::Clock::now() + k_address_timeout);
  if (!url.empty()) sc.facts["url"] = url;
  sc.facts["cluster"] = host.name;
}

} // namespace

const lab::Cluster* argocd_cluster(const lab::Lab& lab) {
  if (!lab.argocd.enabled) return nullptr;
  if (!lab.argocd.cluster.empty()) {
    if (const auto* cluster = lab.cluster(lab.argocd.cluster)) return cluster;
    throw Error(fmt::format("argocd.cluster: \"{}\" is not a cluster of lab {}", lab.argocd.cluster, lab.name));
  }
  if (const auto* management = lab.management_cluster()) return management;
  throw Error(fmt::format("lab {} has Argo CD but no cluster to run it on; set argocd.cluster or give a cluster "
                          "role: management",
                          lab.name));
}

net::CachedFile cache_install_manifest(const lab::ArgoCd& argocd, const std::filesystem::path& state_dir,
                                      std::ostream& log) {
  return net::cached_download(argocd.manifest, state_dir / "cache" / cache_name(argocd.version), log);
}

void wait_for_argocd(const kube::Kubectl& kubectl, util::Clock::time_point deadline) {
  std::vector<std::string> pending;
  try {
    util::wait_until(
        deadline, k_poll,
        [&] {
          const auto items = list_items(kubectl, "deployments,statefulsets", k_argocd_namespace);
          if (!items) return true; // dry run
          pending = not_ready(*items);
          return pending.empty();
        },
        fmt::format("Argo CD on {}", kubectl.context()));
  } catch (const Interrupted&) {
    throw;
  } catch (const CommandError&) {
    throw;
  } catch (const Error& e) {
    throw Error(fmt::format("{} ({})", e.what(), util::join(pending)));
  }
}

bool argocd_running(const LaunchContext& ctx, const lab::Cluster& host, exec::Runner& runner) {
  const auto kubectl = kubectl_for(ctx, host, runner);
  auto& objects = ctx.snapshot->objects();
  const auto deployments = objects.items(kubectl, "deployment.apps", k_argocd_namespace);
  const auto statefulsets = objects.items(kubectl, "statefulset.apps", k_argocd_namespace);
  if (!deployments || !statefulsets) return false;
  auto items = *deployments;
  items.insert(items.end(), statefulsets->begin(), statefulsets->end());
  if (!not_ready(items).empty()) return false;
  const auto service = snapshot_lookup(ctx, kubectl, "service", k_server, k_argocd_namespace);
  return service.state == Lookup::State::found && !service.object.value("status", nlohmann::json::object())
                                                       .value("loadBalancer", nlohmann::json::object())
                                                       .value("ingress", nlohmann::json::array())
                                                       .empty();
}

std::string expose_argocd(const kube::Kubectl& kubectl, util::Clock::time_point deadline) {
  kubectl.check({"patch", "service", k_server, "-n", k_argocd_namespace, "--type", "merge", "-p",
                 R"({"spec":{"type":"LoadBalancer"}})"});
  return util::wait_until(
      deadline, k_poll,
      [&]() -> std::optional<std::string> {
        const auto found = lookup(kubectl, "service", k_server, k_argocd_namespace);
        if (found.state == Lookup::State::unanswered) return std::string();
        if (found.state == Lookup::State::missing) return std::nullopt;
        const auto ingress = found.object.value("status", nlohmann::json::object())
                                 .value("loadBalancer", nlohmann::json::object())
                                 .value("ingress", nlohmann::json::array());
        for (const auto& entry : ingress) {
          const auto address = entry.value("ip", entry.value("hostname", std::string()));
          if (!address.empty()) return "https://" + address;
        }
        return std::nullopt;
      },
      fmt::format("a LoadBalancer address for service {}/{} on {}", k_argocd_namespace, k_server, kubectl.context()));
}

void add_argocd_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  const auto* host = argocd_cluster(ctx.lab);
  if (host == nullptr) return;
  for (const char* resource : {"deployment.apps", "statefulset.apps", "service"})
    expect_objects(ctx, *host, resource, k_argocd_namespace);
  builder.add(plan::Step{
      .id = ids::argocd_install(),
      .title = fmt::format("Installing Argo CD on {}", host->name),
      .needs = {ids::cluster_ready(host->name)},
      .inputs_hash = digest({host->name, ctx.lab.argocd.version, ctx.lab.argocd.manifest}),
      .run = [ctx, host](plan::StepContext& sc) { install(ctx, *host, sc); },
      .verify = [ctx, host](exec::Runner& runner) { return argocd_running(ctx, *host, runner); },
  });
  add_argocd_register_steps(builder, ctx, *host);
}

} // namespace meshlab::actions

// The kind-only parts of a cluster's bring-up: containerd mirrors in every node and MetalLB
// with a pool carved from the `kind` docker network (kind gives LoadBalancer Services no
// address of its own; the east-west gateways and Argo CD need one).
#include "actions/machines.hpp"
#include "actions/machines_detail.hpp"
#include "actions/step_ids.hpp"
#include "kube/kubectl.hpp"
#include "net/cache.hpp"
#include "net/http.hpp"
#include "providers/docker.hpp"
#include "providers/kind.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/parallel.hpp"
#include "util/strings.hpp"
#include "util/wait.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace meshlab::actions {

std::string metallb_manifest_url() {
  const char* url = std::getenv("MESHLAB_METALLB_MANIFEST_URL");
  return url != nullptr && *url != '\0' ? std::string(url) : std::string(k_metallb_manifest_url);
}

namespace detail {

namespace {

constexpr std::string_view k_metallb_namespace = "metallb-system";
constexpr std::string_view k_kind_network = "kind";
constexpr std::uint64_t k_block = 16; // addresses per cluster (a /28)

// The MetalLB manifest in state_dir/cache, downloaded the first time (steps of several kind
// clusters run in parallel; net::cached_download makes one download for all of them).
net::CachedFile metallb_manifest(const std::filesystem::path& state_dir, const std::string& url, std::ostream& log) {
  return net::cached_download(
      url, state_dir / "cache" / fmt::format("metallb-native-{}.yaml", net::sha256_hex(url).substr(0, 12)), log);
}

bool deployment_available(const kube::Kubectl& kubectl, const std::string& name, std::string_view ns) {
  const auto deployment = kubectl.get_json("deployment", name, std::string(ns));
  if (!deployment) return false;
  const auto& conditions = member(member(*deployment, "status"), "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& condition : conditions)
    if (member(condition, "type") == "Available") return member(condition, "status") == "True";
  return false;
}

std::string error_detail(const Error& e) {
  if (const auto* command = dynamic_cast<const CommandError*>(&e); command && !command->output().empty())
    return fmt::format("{}: {}", e.what(), command->output());
  return e.what();
}

} // namespace

util::Cidr carve_metallb_pool(const util::Cidr& subnet, std::string_view lab_name, std::size_t index,
                              std::size_t count) {
  if (subnet.prefix > 24)
    throw Error(fmt::format("the kind docker network {} is too small for MetalLB address pools; meshlab needs a /24 "
                            "or larger",
                            subnet.str()));
  const std::uint64_t half = subnet.size() / 2;
  const std::uint64_t blocks = half / k_block - 1; // the last block holds the broadcast address
  if (count > blocks)
    throw Error(fmt::format("the kind docker network {} has room for MetalLB pools of {} kind clusters; the lab has {}",
                            subnet.str(), blocks, count));
  std::uint32_t hash = 2166136261u; // FNV-1a: stable across platforms and runs
  for (const char c : lab_name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  const std::uint64_t block = (hash % blocks + index) % blocks;
  return util::Cidr{static_cast<std::uint32_t>(subnet.address + half + block * k_block), 28};
}

std::string metallb_pool_manifest(const util::Cidr& pool) {
  return fmt::format(R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: meshlab
  namespace: {0}
spec:
  addresses:
    - {1}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: meshlab
  namespace: {0}
spec:
  ipAddressPools:
    - meshlab
)",
                     k_metallb_namespace, pool.str());
}

plan::Step mirrors_step(const LaunchContext& ctx, const lab::Cluster& cluster) {
  const auto instance = ctx.context_for(cluster);
  std::vector<std::pair<std::string, std::filesystem::path>> files; // path in the node, rendered file
  std::vector<std::string> hashed{"mirrors", instance};
  plan::Step step;
  step.id = ids::cluster_mirrors(cluster.name);
  step.title = fmt::format("Pointing the nodes of {} at the registry caches", instance);
  step.needs = {ids::cluster_create(cluster.name)};
  for (const auto& registry : ctx.lab.registries) {
    files.emplace_back(node_hosts_toml_path(registry), hosts_toml_path(ctx, cluster, registry));
    hashed.push_back(files.back().first);
    hashed.push_back(content_or_missing(files.back().second));
    step.needs.push_back(ids::registry_kind_network(registry.name));
  }
  step.inputs_hash = inputs_hash(hashed);
  step.run = [instance, files](plan::StepContext& sc) {
    const auto nodes = providers::kind_node_names(sc.runner, instance);
    if (nodes.empty()) throw Error(fmt::format("kind cluster {} has no nodes", instance));
    for (const auto& node : nodes)
      for (const auto& [node_path, rendered] : files)
        providers::docker::write_file(sc.runner, node, node_path, util::read_file(rendered)); // no restart needed
    sc.facts["nodes"] = util::join(nodes);
  };
  // The node names come from the lab's one look at its kind clusters (cluster/<c>/create's).
  step.verify = never_throwing([instance, files, provider = ctx.provider, snapshot = ctx.snapshot](exec::Runner& runner) {
    const auto nodes = snapshot->machine(provider(lab::Provider::kind), lab::Provider::kind, instance).nodes;
    std::string expected;
    std::vector<std::string> paths;
    for (const auto& [node_path, rendered] : files) {
      expected += util::read_file(rendered);
      paths.push_back(node_path);
    }
    if (nodes.empty()) return false;
    // One docker exec per node, side by side: a relaunch of an up lab is mostly such reads.
    std::vector<char> same(nodes.size(), 0);
    util::run_tasks(nodes.size(), nodes.size(), [&](std::size_t i) {
      same[i] = providers::docker::read_files(runner, nodes[i], paths) == expected ? 1 : 0;
    });
    return std::all_of(same.begin(), same.end(), [](char node_same) { return node_same != 0; });
  });
  return step;
}

plan::Step loadbalancer_step(const LaunchContext& ctx, const lab::Cluster& cluster, std::vector<std::string> needs) {
  const auto kinds = kind_clusters(ctx.lab);
  const auto index = static_cast<std::size_t>(std::find(kinds.begin(), kinds.end(), &cluster) - kinds.begin());
  const auto count = kinds.size();
  const auto instance = ctx.context_for(cluster);
  const auto kubeconfig = ctx.kubeconfig_for(cluster);
  const auto state_dir = ctx.state_dir;
  const auto lab_name = ctx.lab.name;
  const auto url = metallb_manifest_url();

  plan::Step step;
  step.id = ids::cluster_loadbalancer(cluster.name);
  step.title = fmt::format("Installing MetalLB on {}", instance);
  step.needs = std::move(needs);
  step.inputs_hash = inputs_hash({"metallb", url, lab_name, std::to_string(index), std::to_string(count)});
  const bool dry_run = ctx.dry_run;
  step.run = [=](plan::StepContext& sc) {
    // Nothing to download from or apply to in a dry run; say what would happen instead.
    if (dry_run)
      throw Error(fmt::format("MetalLB would be downloaded from {} and the address pool of {} carved from the kind "
                              "network",
                              url, instance));
    const auto manifest = metallb_manifest(state_dir, url, sc.log);
    const kube::Kubectl kubectl(sc.runner, kubeconfig, instance);
    // Server-side: MetalLB's CRDs are too big for the last-applied annotation (kubectl.md).
    kubectl.apply(util::read_file(manifest.file), kube::ApplyMode::server_side);
    util::wait_until(
        util::Clock::now() + std::chrono::minutes(5), std::chrono::seconds(1),
        [&] {
          try {
            return deployment_available(kubectl, "controller", k_metallb_namespace);
          } catch (const CommandError&) {
            return false; // the API is busy installing MetalLB's CRDs; ask again
          }
        },
        fmt::format("MetalLB's controller on {} to be Available", instance));
    const auto pool = carve_metallb_pool(providers::docker::network_ipv4_subnet(sc.runner, std::string(k_kind_network)),
                                         lab_name, index, count);
    // The pool is checked by MetalLB's webhook, which answers a little after the controller
    // is Available: retry until it accepts.
    std::string last;
    try {
      util::wait_until(
          util::Clock::now() + std::chrono::minutes(2), std::chrono::seconds(1),
          [&] {
            try {
              kubectl.apply(metallb_pool_manifest(pool), kube::ApplyMode::server_side);
              return true;
            } catch (const Interrupted&) {
              throw;
            } catch (const Error& e) {
              last = error_detail(e);
              return false;
            }
          },
          fmt::format("MetalLB on {} to accept the address pool {}", instance, pool.str()));
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      throw Error(last.empty() ? std::string(e.what()) : fmt::format("{}; last error: {}", e.what(), last));
    }
    sc.facts["pool"] = pool.str();
    sc.facts["metallb_manifest_url"] = url;
    sc.facts["metallb_manifest_sha256"] = manifest.sha256;
  };
  ctx.snapshot->objects().expect(kubeconfig, instance, "ipaddresspool.metallb.io", std::string(k_metallb_namespace));
  step.verify = never_throwing([=, snapshot = ctx.snapshot](exec::Runner& runner) {
    const auto pools = snapshot->objects().items(kube::Kubectl(runner, kubeconfig, instance),
                                                 "ipaddresspool.metallb.io", std::string(k_metallb_namespace));
    if (!pools) return false;
    const auto pool = std::find_if(pools->begin(), pools->end(),
                                   [](const nlohmann::json& item) { return member(member(item, "metadata"), "name") == "meshlab"; });
    if (pool == pools->end()) return false;
    const auto want = carve_metallb_pool(snapshot->network_subnet(runner, std::string(k_kind_network)), lab_name,
                                         index, count);
    return member(member(*pool, "spec"), "addresses") == nlohmann::json::array({want.str()});
  });
  return step;
}

} // namespace detail

} // namespace meshlab::actions

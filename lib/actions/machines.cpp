#include "actions/machines.hpp"

#include "actions/kube_access.hpp"
#include "actions/machines_detail.hpp"
#include "actions/step_ids.hpp"
#include "kube/kubectl.hpp"
#include "net/http.hpp"
#include "providers/docker.hpp"
#include "providers/registry_cache.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

namespace meshlab::actions {

namespace {

using detail::inputs_hash;
using detail::never_throwing;

// Adds `step`; in a dry run its failure says why the commands stop there: the runner answers
// every query with success and nothing, so a step that must read an answer cannot go on.
void add(plan::PlanBuilder& plan, const LaunchContext& ctx, plan::Step step) {
  if (ctx.dry_run) {
    step.run = [run = std::move(step.run)](plan::StepContext& sc) {
      try {
        run(sc);
      } catch (const Interrupted&) {
        throw;
      } catch (const Error& e) {
        throw Error(fmt::format("the next commands depend on answers a dry run does not have ({})", e.what()));
      }
    };
  }
  plan.add(std::move(step));
}

providers::RegistryCacheSpec cache_spec(const lab::Lab& lab, const lab::Registry& registry) {
  return {lab.registry_container(registry.name), registry.port, registry.upstream};
}

std::string create_title(const LaunchContext& ctx, const lab::Cluster& cluster) {
  const auto instance = ctx.context_for(cluster);
  switch (cluster.provider) {
  case lab::Provider::multipass: return fmt::format("Creating k3s node {}", instance);
  case lab::Provider::kind: return fmt::format("Creating kind cluster {}", instance);
  case lab::Provider::external: break;
  }
  return fmt::format("Checking external cluster {} (context {})", cluster.name, cluster.context);
}

std::string machine_inputs(const providers::Machine& machine, lab::Provider provider) {
  switch (provider) {
  case lab::Provider::multipass:
    return inputs_hash({"multipass", machine.name, detail::content_or_missing(machine.config),
                        std::to_string(machine.cpus), machine.memory, machine.disk, machine.image});
  case lab::Provider::kind: return inputs_hash({"kind", machine.name, detail::content_or_missing(machine.config)});
  case lab::Provider::external: break;
  }
  return inputs_hash({"external", machine.name, machine.kubeconfig.string(), machine.context});
}

// cluster/<c>/create and vm/<vm>/create: the provider makes the machine exist and run.
plan::Step create_step(const LaunchContext& ctx, std::string id, std::string title, providers::Machine machine,
                       lab::Provider kind, std::vector<std::string> needs) {
  plan::Step step;
  step.id = std::move(id);
  step.title = std::move(title);
  step.needs = std::move(needs);
  step.inputs_hash = machine_inputs(machine, kind);
  const auto provider = ctx.provider;
  const auto marker = ctx.state_dir / "machines" / (machine.name + ".inputs");
  const auto inputs = step.inputs_hash;
  step.run = [provider, machine, kind, marker, inputs](plan::StepContext& sc) {
    auto& machines = provider(kind);
    if (kind == lab::Provider::external) {
      machines.create(machine, sc.runner);
      sc.facts["instance"] = machine.name;
      return;
    }
    // A machine is created once: its user-data or kind config is read at creation only. The
    // marker remembers what it was created from, to say so when the lab has changed since.
    const bool existed = machines.inspect(machine.name).status != providers::MachineState::Status::missing;
    machines.create(machine, sc.runner);
    std::error_code ec;
    if (!existed || !std::filesystem::exists(marker, ec)) {
      util::write_file_atomic(marker, inputs + "\n");
    } else if (util::read_file(marker) != inputs + "\n") {
      sc.status.warn(fmt::format("{} was created from an earlier version of its {}; the change applies once it is "
                                 "deleted ({}) and launched again",
                                 machine.name, kind == lab::Provider::kind ? "kind config" : "cloud-init user-data",
                                 kind == lab::Provider::kind ? "kind delete cluster --name " + machine.name
                                                             : "multipass delete --purge " + machine.name));
    }
    sc.facts["instance"] = machine.name;
    if (kind == lab::Provider::multipass) {
      const auto state = machines.inspect(machine.name);
      if (!state.ipv4.empty()) sc.facts["address"] = state.ipv4.front();
    }
  };
  if (kind != lab::Provider::external) ctx.snapshot->expect_machine(kind, machine.name);
  step.verify = never_throwing([provider, machine, kind, snapshot = ctx.snapshot](exec::Runner& runner) {
    auto& machines = provider(kind);
    if (kind == lab::Provider::external) {
      machines.create(machine, runner); // only checks: context present, API answering
      return true;
    }
    return snapshot->machine(machines, kind, machine.name).status == providers::MachineState::Status::running;
  });
  return step;
}

plan::Step kubeconfig_step(const LaunchContext& ctx, const lab::Cluster& cluster) {
  const auto machine = detail::cluster_machine(ctx, cluster);
  const auto kind = cluster.provider;
  const auto path = ctx.kubeconfig_for(cluster);
  const auto context = ctx.context_for(cluster);
  const auto provider = ctx.provider;

  plan::Step step;
  step.id = ids::cluster_kubeconfig(cluster.name);
  step.title = fmt::format("Writing the kubeconfig of {}", context);
  step.needs = {ids::cluster_create(cluster.name)};
  step.inputs_hash = inputs_hash({"kubeconfig", detail::provider_name(kind), context, path.string(),
                                  machine.kubeconfig.string(), machine.context});
  step.run = [=](plan::StepContext& sc) {
    auto& machines = provider(kind);
    const auto config = machines.kubeconfig(machine, sc.runner);
    util::write_file_atomic(path, config.dump(), std::filesystem::perms(0600)); // holds the admin key
    sc.facts["context"] = context;
    sc.facts["server"] = config.server(context).value_or("");
    // A re-created cluster has a new CA: whatever was installed on or registered for the old
    // one runs again, even when the address is the same (a VM that got its old IP back).
    sc.facts["cluster_ca_sha256"] = net::sha256_hex(config.certificate_authority_data(context).value_or(""));
    sc.facts["internal_server"] = machines.internal_server(machine, sc.runner);
    sc.facts["kubeconfig"] = path.string();
  };
  // The file is still ours and its credentials still open the API (they list the nodes, the
  // read the ready step's check makes too): a re-created cluster or an instance with a new
  // address fails here, so the step runs again.
  expect_objects(ctx, cluster, "node", "");
  step.verify = never_throwing([=, snapshot = ctx.snapshot](exec::Runner& runner) {
    const auto names = kube::Kubeconfig::load(path).context_names();
    if (std::find(names.begin(), names.end(), context) == names.end()) return false;
    return snapshot->objects().items(kube::Kubectl(runner, path, context), "node", "").has_value();
  });
  return step;
}

} // namespace

void add_registry_steps(plan::PlanBuilder& plan, const LaunchContext& ctx) {
  const auto kinds = detail::kind_clusters(ctx.lab);
  for (const auto& registry : ctx.lab.registries) {
    const auto spec = cache_spec(ctx.lab, registry);
    plan::Step step;
    step.id = ids::registry(registry.name);
    step.title = fmt::format("Starting registry cache {}", spec.container);
    step.inputs_hash = inputs_hash({"registry", spec.container, std::to_string(spec.port), spec.upstream});
    const auto readiness = ctx.dry_run ? providers::Readiness::skip : providers::Readiness::await;
    step.run = [spec, readiness](plan::StepContext& sc) {
      providers::RegistryCache(sc.runner).ensure(spec, sc.runner, std::chrono::minutes(2), readiness);
      sc.facts["container"] = spec.container;
      sc.facts["url"] = providers::registry_cache_url(spec.port);
    };
    step.verify = never_throwing([spec, snapshot = ctx.snapshot](exec::Runner& runner) {
      const auto container = snapshot->container(runner, spec.container);
      return container && container->state == "running" && providers::registry_cache_answers(spec.port);
    });
    add(plan, ctx, std::move(step));

    if (kinds.empty()) continue;
    plan::Step join;
    join.id = ids::registry_kind_network(registry.name);
    join.title = fmt::format("Joining registry cache {} to the kind network", spec.container);
    // The `kind` network exists once any kind cluster does; the lab's first one is enough.
    join.needs = {ids::registry(registry.name), ids::cluster_create(kinds.front()->name)};
    join.inputs_hash = inputs_hash({"kind-network", spec.container});
    join.run = [spec](plan::StepContext& sc) {
      const bool joined = providers::RegistryCache(sc.runner).join_network(spec.container, "kind", sc.runner);
      sc.facts["network"] = "kind";
      sc.facts["joined"] = joined ? "now" : "before";
    };
    join.verify = never_throwing([spec, snapshot = ctx.snapshot](exec::Runner& runner) {
      const auto container = snapshot->container(runner, spec.container);
      return container && std::find(container->networks.begin(), container->networks.end(), "kind") !=
                              container->networks.end();
    });
    add(plan, ctx, std::move(join));
  }
}

void add_vm_steps(plan::PlanBuilder& plan, const LaunchContext& ctx) {
  for (const auto& vm : ctx.lab.vms) {
    auto machine = detail::vm_machine(ctx, vm);
    auto title = fmt::format("Creating VM {}", machine.name);
    add(plan, ctx,
        create_step(ctx, ids::vm(vm.name), std::move(title), std::move(machine), lab::Provider::multipass, {}));
  }
}

void add_cluster_steps(plan::PlanBuilder& plan, const LaunchContext& ctx) {
  for (const auto& cluster : ctx.lab.clusters) {
    std::vector<std::string> create_needs;
    // k3s pulls its images through the caches (registries.yaml), so they come first.
    if (cluster.provider == lab::Provider::multipass)
      for (const auto& registry : ctx.lab.registries) create_needs.push_back(ids::registry(registry.name));
    add(plan, ctx,
        create_step(ctx, ids::cluster_create(cluster.name), create_title(ctx, cluster),
                    detail::cluster_machine(ctx, cluster), cluster.provider, std::move(create_needs)));
    add(plan, ctx, kubeconfig_step(ctx, cluster));

    std::vector<std::string> ready_needs{ids::cluster_kubeconfig(cluster.name)};
    if (cluster.provider == lab::Provider::kind) {
      std::vector<std::string> lb_needs{ids::cluster_kubeconfig(cluster.name)};
      if (!ctx.lab.registries.empty()) {
        add(plan, ctx, detail::mirrors_step(ctx, cluster));
        lb_needs.push_back(ids::cluster_mirrors(cluster.name)); // MetalLB's images come through the caches
        ready_needs.push_back(ids::cluster_mirrors(cluster.name));
      }
      add(plan, ctx, detail::loadbalancer_step(ctx, cluster, std::move(lb_needs)));
      ready_needs.push_back(ids::cluster_loadbalancer(cluster.name));
    }
    add(plan, ctx, detail::ready_step(ctx, cluster, std::move(ready_needs)));
  }
}

void check_machine_tools(const LaunchContext& ctx, exec::Runner& runner) {
  std::set<lab::Provider> used;
  for (const auto& cluster : ctx.lab.clusters) used.insert(cluster.provider);
  if (!ctx.lab.vms.empty()) used.insert(lab::Provider::multipass);
  std::vector<std::function<void()>> checks;
  for (const auto provider : used) checks.emplace_back([&ctx, provider] { ctx.provider(provider).check_available(); });
  // kind runs on Docker, and so do the registry caches.
  if (!ctx.lab.registries.empty() || used.count(lab::Provider::kind))
    checks.emplace_back([&runner] { providers::RegistryCache(runner).check_available(); });
  // Side by side: each waits on its tool, and a relaunch waits on them before anything else.
  // A missing tool is still reported the same way whatever the timing (run_tasks rethrows the
  // first check's error).
  util::run_tasks(checks.size(), checks.size(), [&](std::size_t i) { checks[i](); });
}

} // namespace meshlab::actions

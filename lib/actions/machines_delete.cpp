// delete_machines: what `meshlab delete` removes of the machine layer. It asks each provider
// which of the lab's own names exist, removes those, and asks again, so the report says what
// is really gone — also when a tool fails half-way.
#include "actions/machines.hpp"

#include "actions/machines_detail.hpp"
#include "providers/registry_cache.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace meshlab::actions {

namespace {

struct Sweep {
  std::string what;               // "kind cluster", "multipass instance", "registry cache"
  std::vector<std::string> names; // the lab's names for them
  std::function<std::vector<std::string>(const std::vector<std::string>&)> existing;
  std::function<void(const std::vector<std::string>&)> destroy;
};

void sweep(const Sweep& sweep, MachinesDeleted& result) {
  if (sweep.names.empty()) return;
  std::vector<std::string> before;
  try {
    before = sweep.existing(sweep.names);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    result.problems.push_back(fmt::format("cannot tell which {}s of the lab exist: {}", sweep.what, e.what()));
    return;
  }
  if (before.empty()) return;
  std::string failure;
  try {
    sweep.destroy(before);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  std::vector<std::string> after = before; // when we cannot look again, assume nothing went
  try {
    after = sweep.existing(before);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception&) {}
  for (const auto& name : before) {
    if (std::find(after.begin(), after.end(), name) == after.end())
      result.removed.push_back(fmt::format("{} {}", sweep.what, name));
    else
      result.problems.push_back(
          fmt::format("could not delete {} {}{}", sweep.what, name, failure.empty() ? "" : ": " + failure));
  }
}

} // namespace

MachinesDeleted delete_machines(const LaunchContext& ctx, exec::Runner& runner, DeleteRegistries registries) {
  std::vector<std::string> kind_names, multipass_names, cache_names;
  for (const auto& cluster : ctx.lab.clusters) {
    if (cluster.provider == lab::Provider::kind) kind_names.push_back(ctx.context_for(cluster));
    if (cluster.provider == lab::Provider::multipass) multipass_names.push_back(ctx.context_for(cluster));
    // external clusters: never deleted
  }
  for (const auto& vm : ctx.lab.vms) multipass_names.push_back(ctx.lab.instance_name(vm.name));
  if (registries == DeleteRegistries::yes)
    for (const auto& registry : ctx.lab.registries) cache_names.push_back(ctx.lab.registry_container(registry.name));

  MachinesDeleted result;
  auto provider_sweep = [&](lab::Provider kind, std::string what, std::vector<std::string> names) {
    if (names.empty()) return; // a lab without such machines needs no such tool
    Sweep s{std::move(what), std::move(names), {}, {}};
    try {
      auto& provider = ctx.provider(kind);
      s.existing = [&provider](const std::vector<std::string>& n) { return provider.existing(n); };
      s.destroy = [&provider](const std::vector<std::string>& n) { provider.destroy(n); };
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      result.problems.push_back(fmt::format("cannot delete the lab's {}s: {}", s.what, e.what()));
      return;
    }
    sweep(s, result);
  };
  provider_sweep(lab::Provider::kind, "kind cluster", kind_names);
  provider_sweep(lab::Provider::multipass, "multipass instance", multipass_names);

  providers::RegistryCache caches(runner);
  sweep(Sweep{"registry cache", cache_names, [&](const std::vector<std::string>& n) { return caches.existing(n); },
              [&](const std::vector<std::string>& n) { caches.destroy(n); }},
        result);
  return result;
}

} // namespace meshlab::actions

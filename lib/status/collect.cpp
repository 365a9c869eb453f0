#include "status/collect.hpp"

#include "actions/argocd.hpp"
#include "actions/launch_context.hpp"
#include "exec/check.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/kubectl.hpp"
#include "providers/docker.hpp"
#include "providers/provider.hpp"
#include "status/probes.hpp"
#include "util/error.hpp"
#include "util/parallel.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>

namespace meshlab::status {

namespace {

namespace fs = std::filesystem;

constexpr const char* k_vm_has_no_api = "not applicable: a VM has no Kubernetes API";

// Caps every command's timeout: status must stay fast when a machine does not answer.
class CappedRunner : public exec::Runner {
public:
  CappedRunner(exec::Runner& inner, std::chrono::milliseconds cap) : m_inner(inner), m_cap(cap) {}
  exec::Completed run(const exec::Command& cmd) override {
    auto capped = cmd;
    capped.timeout = std::min(cmd.timeout, m_cap);
    return m_inner.run(capped);
  }

private:
  exec::Runner& m_inner;
  std::chrono::milliseconds m_cap;
};

// One line saying why a probe failed; for a failed command, with the tool's last words
// ("Cannot connect to the Docker daemon ...") rather than only its exit status.
std::string reason_of(const std::exception& e) {
  const auto* failed = dynamic_cast<const CommandError*>(&e);
  if (failed == nullptr || failed->output().empty()) return e.what();
  return fmt::format("{}: {}", e.what(), exec::last_lines(failed->output(), 1));
}

// Runs `probe`; its failure becomes the reason of an unknown value.
template <class T>
Probed<T> probe(const std::function<T()>& read) {
  try {
    return Probed<T>::known(read());
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    return Probed<T>::unknown(reason_of(e));
  }
}

// How kubectl reaches a cluster: meshlab's own kubeconfig once launched; an external cluster
// also before, through the lab's kubeconfig and context.
struct Access {
  fs::path kubeconfig;
  std::string context;
  std::string missing; // why there is no access; empty when there is
};

Access access_for(const actions::LaunchContext& ctx, const lab::Cluster& cluster) {
  std::error_code ec;
  const auto ours = ctx.kubeconfig_for(cluster);
  if (fs::is_regular_file(ours, ec)) return {ours, ctx.context_for(cluster), {}};
  if (cluster.provider == lab::Provider::external) return {cluster.kubeconfig, cluster.context, {}};
  return {{}, {}, fmt::format("not launched: no kubeconfig {}", ours.string())};
}

// multipass's own word ("Running", "Stopped", "Suspended"); for kind running or stopped
// (which node containers are down is in `detail`); "absent" when there is no such machine.
std::string machine_state_word(const providers::MachineState& state, lab::Provider kind) {
  using Status = providers::MachineState::Status;
  if (state.status == Status::missing) return "absent";
  if (kind == lab::Provider::multipass && !state.detail.empty()) return state.detail;
  if (state.status == Status::running) return "running";
  if (state.status == Status::stopped) return "stopped";
  return state.detail.empty() ? "unknown" : state.detail;
}

struct Collector {
  const lab::Lab& lab;
  exec::Runner& runner;
  const StatusOptions& options;
  actions::LaunchContext ctx;
  std::map<lab::Provider, std::unique_ptr<providers::Provider>> made;
  LabReport report;
  std::vector<std::function<void()>> tasks;

  providers::Provider& provider(lab::Provider kind) {
    auto& slot = made[kind];
    if (!slot) slot = providers::make(lab::to_string(kind), runner, lab.state_dir);
    return *slot;
  }

  // The rows whose state (and, for multipass, address) each provider is asked for.
  std::map<lab::Provider, std::vector<MachineRow*>> state_rows;

  void add_state_probe(MachineRow& row, lab::Provider kind) { state_rows[kind].push_back(&row); }

  // One task per provider asking for all its machines at once: `multipass list` and `kind
  // get clusters` list every machine, so each runs once per status run, not once per row.
  void add_state_tasks() {
    for (const auto& [kind, rows] : state_rows) {
      auto& machines = provider(kind);
      tasks.push_back([&machines, kind, rows] {
        std::vector<std::string> names;
        for (const auto* row : rows) names.push_back(row->instance);
        try {
          const auto states = machines.inspect_all(names);
          for (auto* row : rows) fill_state(*row, kind, states.at(row->instance));
        } catch (const Interrupted&) {
          throw;
        } catch (const std::exception& e) {
          for (auto* row : rows) {
            row->state = Probed<std::string>::unknown(reason_of(e));
            if (kind == lab::Provider::multipass) row->address = Probed<std::string>::unknown(reason_of(e));
          }
        }
      });
    }
  }

  static void fill_state(MachineRow& row, lab::Provider kind, const providers::MachineState& state) {
    row.state = Probed<std::string>::known(machine_state_word(state, kind));
    if (kind != lab::Provider::multipass) return;
    if (!state.ipv4.empty())
      row.address = Probed<std::string>::known(state.ipv4.front());
    else
      row.address = Probed<std::string>::unknown(state.status == providers::MachineState::Status::missing
                                                     ? "no such instance"
                                                     : "multipass lists no IPv4 address");
  }

  void add_cluster(const lab::Cluster& cluster, MachineRow& row) {
    const auto access = access_for(ctx, cluster);
    if (cluster.provider != lab::Provider::external) add_state_probe(row, cluster.provider);
    if (!access.missing.empty()) {
      row.context = Probed<std::string>::known(ctx.context_for(cluster));
      for (auto* field : {&row.nodes.reason, &row.istio.reason}) *field = access.missing;
      if (cluster.provider != lab::Provider::multipass) row.address = Probed<std::string>::unknown(access.missing);
      return;
    }
    row.context = Probed<std::string>::known(access.context);
    if (cluster.provider != lab::Provider::multipass) {
      row.address = probe<std::string>([&] {
        const auto server = kube::Kubeconfig::load(access.kubeconfig).server(access.context);
        if (!server || server->empty())
          throw Error(fmt::format("no server for context {} in {}", access.context, access.kubeconfig.string()));
        return *server;
      });
    }
    const bool external = cluster.provider == lab::Provider::external;
    if (external) row.state = Probed<std::string>::unknown("not asked");
    tasks.push_back([this, &row, access, external] {
      const kube::Kubectl kubectl(runner, access.kubeconfig, access.context);
      row.nodes = probe<NodeCount>([&] { return count_nodes(list_items(kubectl, {"nodes"}, options.timeout)); });
      if (external)
        row.state = row.nodes.value ? Probed<std::string>::known("reachable")
                                    : Probed<std::string>::known("unreachable");
    });
    if (cluster.cell.empty()) {
      row.istio.reason = "not applicable: not in a cell, so no Istio";
    } else if (!lab.istio.has("istiod")) {
      row.istio.reason = "not applicable: the lab installs no istiod";
    } else {
      tasks.push_back([this, &row, access] {
        const kube::Kubectl kubectl(runner, access.kubeconfig, access.context);
        row.istio = probe<IstioState>([&] {
          const auto found = find_istiod(
              list_items(kubectl, {"deployments", "-n", "istio-system", "-l", "app=istiod"}, options.timeout),
              lab.istio.revision);
          if (!found) throw Error("no istiod: no Deployment labelled app=istiod in istio-system");
          return *found;
        });
      });
    }
  }

  void add_apps_probe() {
    if (!lab.argocd.enabled) {
      for (auto& row : report.machines)
        if (row.type == MachineRow::Type::cluster) row.apps.reason = "not applicable: the lab has no Argo CD";
      return;
    }
    const lab::Cluster* host = nullptr;
    std::string why = "the lab names no Argo CD cluster";
    try {
      host = actions::argocd_cluster(lab);
    } catch (const Error& e) {
      why = e.what();
    }
    const auto access = host ? access_for(ctx, *host) : Access{{}, {}, why};
    if (!access.missing.empty()) {
      const auto reason = host ? fmt::format("Argo CD cluster {}: {}", host->name, access.missing) : access.missing;
      for (auto& row : report.machines)
        if (row.type == MachineRow::Type::cluster) row.apps.reason = reason;
      return;
    }
    tasks.push_back([this, access, host_name = host->name] {
      const kube::Kubectl kubectl(runner, access.kubeconfig, access.context);
      Probed<std::map<std::string, AppCounts>> counts = probe<std::map<std::string, AppCounts>>([&] {
        try {
          return count_apps(list_items(kubectl, {"applications.argoproj.io", "-n", "argocd"}, options.timeout), lab,
                            host_name);
        } catch (const Interrupted&) {
          throw;
        } catch (const std::exception& e) {
          throw Error(fmt::format("Argo CD cluster {} does not answer: {}", host_name, e.what()));
        }
      });
      for (auto& row : report.machines) {
        if (row.type != MachineRow::Type::cluster) continue;
        if (!counts.value) {
          row.apps.reason = counts.reason;
          continue;
        }
        const auto found = counts.value->find(row.name);
        row.apps = Probed<AppCounts>::known(found == counts.value->end() ? AppCounts{} : found->second);
      }
    });
  }

  void add_registry(RegistryRow& row) {
    tasks.push_back([this, &row] {
      row.state = probe<std::string>(
          [&] { return providers::docker::container_state(runner, row.container).value_or("absent"); });
    });
  }
};

} // namespace

LabReport collect_status(const lab::Lab& lab, exec::Runner& runner, const StatusOptions& options) {
  CappedRunner capped(runner, options.timeout);
  Collector c{lab, capped, options, actions::LaunchContext{.lab = lab, .state_dir = lab.state_dir, .provider = {}},
              {}, {}, {}, {}};
  c.report.lab = lab.name;
  // Rows first, so the tasks can hold references to them.
  for (const auto& cluster : lab.clusters)
    c.report.machines.push_back(MachineRow{.name = cluster.name,
                                           .type = MachineRow::Type::cluster,
                                           .provider = std::string(lab::to_string(cluster.provider)),
                                           .instance = c.ctx.context_for(cluster)});
  for (const auto& vm : lab.vms)
    c.report.machines.push_back(MachineRow{.name = vm.name,
                                           .type = MachineRow::Type::vm,
                                           .provider = std::string(lab::to_string(vm.provider)),
                                           .instance = lab.instance_name(vm.name)});
  for (const auto& registry : lab.registries)
    c.report.registries.push_back(
        RegistryRow{.upstream = registry.name, .container = lab.registry_container(registry.name), .port = registry.port});

  for (std::size_t i = 0; i < lab.clusters.size(); ++i) c.add_cluster(lab.clusters[i], c.report.machines[i]);
  for (std::size_t i = 0; i < lab.vms.size(); ++i) {
    auto& row = c.report.machines[lab.clusters.size() + i];
    for (auto* field : {&row.context.reason, &row.nodes.reason, &row.istio.reason, &row.apps.reason})
      *field = k_vm_has_no_api;
    c.add_state_probe(row, lab::Provider::multipass);
  }
  c.add_state_tasks();
  c.add_apps_probe();
  for (auto& row : c.report.registries) c.add_registry(row);
  // Probes wait on tools, not cores: util::run_tasks runs `workers` of them at once.
  util::run_tasks(c.tasks.size(), options.workers, [&](std::size_t i) { c.tasks[i](); });
  return std::move(c.report);
}

std::string_view to_string(MachineRow::Type type) { return type == MachineRow::Type::cluster ? "cluster" : "vm"; }

} // namespace meshlab::status

#include "actions/snapshot.hpp"

namespace meshlab::actions {

void Snapshot::expect_machine(lab::Provider provider, const std::string& name) {
  const std::lock_guard lock(m_mutex);
  m_machines[provider].insert(name);
}

providers::MachineState Snapshot::machine(providers::Provider& tool, lab::Provider provider,
                                          const std::string& name) {
  std::vector<std::string> names;
  {
    const std::lock_guard lock(m_mutex);
    const auto& declared = m_machines[provider];
    if (declared.count(name) == 0) return tool.inspect(name);
    names.assign(declared.begin(), declared.end());
  }
  const auto states = m_machine_states.get(std::string(lab::to_string(provider)), [&] {
    return std::make_shared<const std::map<std::string, providers::MachineState>>(tool.inspect_all(names));
  });
  const auto found = states->find(name);
  return found != states->end() ? found->second : tool.inspect(name);
}

std::optional<providers::docker::ContainerSummary> Snapshot::container(exec::Runner& runner,
                                                                        const std::string& name) {
  const auto containers = m_containers.get("docker ps", [&] {
    return std::make_shared<const std::vector<providers::docker::ContainerSummary>>(
        providers::docker::list_containers(runner));
  });
  for (const auto& container : *containers)
    if (container.name == name) return container;
  return std::nullopt;
}

util::Cidr Snapshot::network_subnet(exec::Runner& runner, const std::string& network) {
  return m_networks.get(network, [&] { return providers::docker::network_ipv4_subnet(runner, network); });
}

void Snapshot::forget() {
  m_machine_states.forget();
  m_containers.forget();
  m_networks.forget();
  m_objects.forget();
}

plan::Plan forgetting_at_each_step(const plan::Plan& plan, const std::shared_ptr<Snapshot>& snapshot) {
  plan::PlanBuilder builder;
  for (auto step : plan.steps()) {
    step.run = [run = std::move(step.run), snapshot](plan::StepContext& sc) {
      struct ForgetAtEnd {
        Snapshot& snapshot;
        ~ForgetAtEnd() { snapshot.forget(); }
      } const at_end{*snapshot};
      snapshot->forget();
      run(sc);
    };
    builder.add(std::move(step));
  }
  return builder.build();
}

} // namespace meshlab::actions

// What the resume checks of one launch read of the world — the lab's machines, the
// containers on the host, the objects on its clusters — read once and shared by every check
// that looks at it. A relaunch of an up lab then costs one `multipass list`, one `docker ps`
// and a few `kubectl get` per cluster, not one command per step.
//
// Thread-safe: checks run side by side, and a read under way makes the others wait for its
// answer. Every answer is forgotten when a step starts or ends (build_plan wraps each step's
// run so): a step changes the world, and a check asked after it must see the change.
#pragma once

#include "kube/object_snapshot.hpp"
#include "lab/model.hpp"
#include "plan/plan.hpp"
#include "providers/docker.hpp"
#include "providers/provider.hpp"
#include "util/memo.hpp"
#include "util/net.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace meshlab::actions {

class Snapshot {
public:
  // Declares that checks will ask for machine `name` of `provider`, so one inspect_all
  // answers them all.
  void expect_machine(lab::Provider provider, const std::string& name);
  // The state of machine `name`, from one `tool.inspect_all` of every machine declared for
  // `provider` (tool's own inspect for one that was not). Throws what the provider throws.
  providers::MachineState machine(providers::Provider& tool, lab::Provider provider, const std::string& name);

  // Container `name` as `docker ps -a` lists it (one call for every container asked for);
  // nullopt when there is none. Throws what docker::list_containers throws.
  std::optional<providers::docker::ContainerSummary> container(exec::Runner& runner, const std::string& name);
  // The IPv4 subnet of docker network `network` (docker::network_ipv4_subnet, once).
  util::Cidr network_subnet(exec::Runner& runner, const std::string& network);

  // The objects on the lab's clusters (declared with expect_objects, kube_access.hpp).
  kube::ObjectSnapshot& objects() { return m_objects; }

  // Forgets every answer; the next question reads the world again.
  void forget();

private:
  using MachineStates = std::shared_ptr<const std::map<std::string, providers::MachineState>>;
  using Containers = std::shared_ptr<const std::vector<providers::docker::ContainerSummary>>;
  std::mutex m_mutex;
  std::map<lab::Provider, std::set<std::string>> m_machines; // declared, by provider
  util::Memo<MachineStates> m_machine_states;
  util::Memo<Containers> m_containers;
  util::Memo<util::Cidr> m_networks;
  kube::ObjectSnapshot m_objects;
};

// `plan` with every step's run wrapped to make `snapshot` forget what it read as the step
// starts and when it ends (also when it fails): what a step does may change anything a later
// check reads. build_plan applies it to the launch plan.
plan::Plan forgetting_at_each_step(const plan::Plan& plan, const std::shared_ptr<Snapshot>& snapshot);

} // namespace meshlab::actions

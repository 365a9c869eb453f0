// One interface for everything that creates machines (multipass instances, kind clusters)
// or stands for clusters that already exist (external). A provider is the only code that
// knows its tool's command line.
#pragma once

#include "exec/runner.hpp"
#include "kube/kubeconfig.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::providers {

// Something a provider creates: a cluster (kind: a whole cluster; multipass: the one k3s
// node) or a plain VM. Built by the actions from the lab and the rendered files.
struct Machine {
  enum class Kind { cluster, vm };
  Kind kind = Kind::cluster;
  std::string name;                 // instance or cluster name, prefix included ("mesh-east")
  std::filesystem::path config;     // rendered cloud-init (multipass) or kind Cluster config (kind)
  int cpus = 0;                     // multipass only
  std::string memory, disk, image;  // multipass only
  std::string kind_image;           // kind only; empty = kind's default
  std::filesystem::path kubeconfig; // external only: the user's kubeconfig file
  std::string context;              // external only: context in that file
};

// What a running machine looks like from outside.
struct MachineState {
  enum class Status { missing, stopped, running, other };
  Status status = Status::missing;
  std::string detail;               // the provider's own word ("Suspended", "Deleted", ...)
  std::vector<std::string> ipv4;    // multipass: instance addresses, first is the one to use
  std::vector<std::string> nodes;   // kind: its node containers, sorted (what `kind get nodes` lists)
};

class Provider {
public:
  virtual ~Provider() = default;
  virtual std::string_view name() const = 0; // "multipass", "kind", "external"
  // Throws meshlab::Error with an install hint when the tool is missing or too old.
  virtual void check_available() = 0;
  // The state of `name`; one cheap call (used by resume checks and `status`).
  virtual MachineState inspect(const std::string& name) = 0;
  // The states of `names`, by name. A provider whose tool lists every machine in one call
  // (multipass list, kind get clusters) makes that call once, so `status` asks each
  // provider once however many machines the lab has; by default inspect() per name.
  virtual std::map<std::string, MachineState> inspect_all(const std::vector<std::string>& names) {
    std::map<std::string, MachineState> states;
    for (const auto& name : names) states[name] = inspect(name);
    return states;
  }
  // Creates `machine` if missing, starts it if stopped, leaves it if running; returns when
  // it is up (multipass: cloud-init finished). Throws on failure.
  virtual void create(const Machine& machine, exec::Runner& runner) = 0;
  // A kubeconfig for a cluster machine with one context named `machine.name` whose server
  // is reachable from this host. Throws for VMs.
  virtual kube::Kubeconfig kubeconfig(const Machine& machine, exec::Runner& runner) = 0;
  // The API server URL other clusters (Argo CD, istiod remote secrets) must use.
  virtual std::string internal_server(const Machine& machine, exec::Runner& runner) = 0;
  // Which of `names` exist (in any state); the lab decides the names, so a provider never
  // lists or touches a machine that is not the lab's.
  virtual std::vector<std::string> existing(const std::vector<std::string>& names) = 0;
  // Deletes `names`; idempotent (missing names are fine). Throws naming what could not be removed.
  virtual void destroy(const std::vector<std::string>& names) = 0;
};

// The provider called `name` driving its tool through `runner` (for the calls that take
// no runner of their own). `state_dir` is the lab's state directory: kind keeps each
// cluster's own kubeconfig under state_dir/kind/ so it never writes the user's. An explicit
// list; an unknown name throws meshlab::Error listing the known ones.
std::unique_ptr<Provider> make(std::string_view name, exec::Runner& runner, const std::filesystem::path& state_dir);

// The names make() knows, sorted.
std::vector<std::string> known_providers();

} // namespace meshlab::providers

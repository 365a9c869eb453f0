// The multipass provider: k3s cluster nodes and plain VMs as multipass instances, driven
// through the CLI exactly as ../shared/contracts/multipass.md describes it.
#pragma once

#include "providers/provider.hpp"

#include <chrono>

namespace meshlab::providers {

// One entry of `multipass list --format json`.
struct MultipassInstance {
  std::string name;
  std::string state; // "Running", "Stopped", "Deleted", ...
  std::vector<std::string> ipv4;
};

// Parses `multipass list --format json` output; throws meshlab::Error naming the command and
// what was wrong when it does not have the contract's shape.
std::vector<MultipassInstance> parse_multipass_list(const std::string& json);

// The first address of `name` in `multipass info NAME --format json` output; nullopt when
// the instance has none. Throws meshlab::Error on a shape other than the contract's.
std::optional<std::string> parse_multipass_address(const std::string& json, const std::string& name);

class Multipass : public Provider {
public:
  explicit Multipass(exec::Runner& runner) : m_runner(runner) {}

  std::string_view name() const override { return "multipass"; }
  void check_available() override;
  MachineState inspect(const std::string& name) override;
  // One `multipass list` for all of `names`.
  std::map<std::string, MachineState> inspect_all(const std::vector<std::string>& names) override;
  // Missing: `multipass launch` with the user-data on stdin; Stopped/Suspended: `start`;
  // Deleted (not purged): `recover` then `start`; Starting and the like: waited for; Running:
  // left alone. In every case then waits for cloud-init (`cloud-init status --wait`), so an
  // instance whose first boot an interrupted launch left half-done is finished too.
  void create(const Machine& machine, exec::Runner& runner) override;
  // k3s's admin kubeconfig read from the node, renamed to the instance and pointed at
  // https://<instance address>:<k3s port>.
  kube::Kubeconfig kubeconfig(const Machine& machine, exec::Runner& runner) override;
  std::string internal_server(const Machine& machine, exec::Runner& runner) override;
  std::vector<std::string> existing(const std::vector<std::string>& names) override;
  // One `multipass delete --purge` for those of `names` that exist (Deleted ones included).
  void destroy(const std::vector<std::string>& names) override;

  // Limits, public for tests and documentation.
  static constexpr std::chrono::minutes k_launch_timeout{20};     // image download + first boot
  static constexpr std::chrono::minutes k_cloud_init_timeout{30}; // packages + k3s install
  static constexpr std::chrono::minutes k_state_wait{10};         // Starting -> Running, ...

private:
  std::vector<MultipassInstance> list(exec::Runner& runner);
  std::optional<MultipassInstance> find(exec::Runner& runner, const std::string& name);
  std::string address(exec::Runner& runner, const std::string& name);
  void wait_cloud_init(exec::Runner& runner, const std::string& name);
  exec::Runner& m_runner;
};

} // namespace meshlab::providers

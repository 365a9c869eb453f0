// The kind provider: whole clusters as kind clusters (Docker containers as nodes), driven
// through the CLI as ../shared/contracts/kind.md describes it.
#pragma once

#include "providers/provider.hpp"

#include <chrono>
#include <filesystem>

namespace meshlab::providers {

// Parses `kind get clusters` output (one name a line; nothing when there are none).
// Throws meshlab::Error on a line that is not a kind cluster name.
std::vector<std::string> parse_kind_clusters(const std::string& out);

// The node containers of kind cluster `name` (`kind get nodes --name N`), sorted; empty when
// it has none. Throws CommandError when kind fails.
std::vector<std::string> kind_node_names(exec::Runner& runner, const std::string& name);

class Kind : public Provider {
public:
  // `state_dir`: kind writes each cluster's kubeconfig to state_dir/kind/<name>.kubeconfig
  // (never the user's kubeconfig).
  Kind(exec::Runner& runner, std::filesystem::path state_dir) : m_runner(runner), m_state_dir(std::move(state_dir)) {}

  std::string_view name() const override { return "kind"; }
  void check_available() override;
  // Listed by `kind get clusters` = running (kind has no stopped state of its own).
  MachineState inspect(const std::string& name) override;
  // `kind create cluster --name --config --kubeconfig` unless `kind get clusters` lists it
  // (kind fails on an existing name). No --wait: it may time out with exit 0 (contract);
  // readiness is the cluster/<c>/ready step's.
  void create(const Machine& machine, exec::Runner& runner) override;
  // `kind get kubeconfig`, kind-<name> renamed to <name>.
  kube::Kubeconfig kubeconfig(const Machine& machine, exec::Runner& runner) override;
  // From `kind get kubeconfig --internal`: https://<name>-control-plane:6443 (or the HA load balancer).
  std::string internal_server(const Machine& machine, exec::Runner& runner) override;
  std::vector<std::string> existing(const std::vector<std::string>& names) override;
  // `kind delete cluster --name N --kubeconfig <ours>` for each of `names` that exists.
  void destroy(const std::vector<std::string>& names) override;

  // Where kind keeps the kubeconfig of cluster `name`.
  std::filesystem::path kubeconfig_path(const std::string& name) const;

  static constexpr std::chrono::minutes k_create_timeout{15};

private:
  std::vector<std::string> clusters(exec::Runner& runner);
  kube::Kubeconfig fetch(exec::Runner& runner, const std::string& name, bool internal);
  exec::Runner& m_runner;
  std::filesystem::path m_state_dir;
};

} // namespace meshlab::providers

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

// One node container of a kind cluster with docker's word for its state ("running",
// "exited", "created", "paused", ...).
struct KindNodeContainer {
  std::string name;
  std::string state;
  bool operator==(const KindNodeContainer&) const = default;
};

// The node containers of kind cluster `name`, running or not, sorted by name: `docker ps -a
// --filter label=io.x-k8s.kind.cluster=NAME --format '{{.Names}}\t{{.State}}'` (kind labels
// every node container so; contracts/kind.md). Throws CommandError when docker fails,
// meshlab::Error on a line without a name and a state.
std::vector<KindNodeContainer> kind_node_containers(exec::Runner& runner, const std::string& name,
                                                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The node containers of every kind cluster on the host, by cluster, each sorted by name, in
// one call: `docker ps -a --filter label=io.x-k8s.kind.cluster --format
// '{{.Names}}\t{{.State}}\t{{.Label "io.x-k8s.kind.cluster"}}'`. Throws like kind_node_containers.
std::map<std::string, std::vector<KindNodeContainer>> kind_node_containers_by_cluster(exec::Runner& runner);

class Kind : public Provider {
public:
  // `state_dir`: kind writes each cluster's kubeconfig to state_dir/kind/<name>.kubeconfig
  // (never the user's kubeconfig).
  Kind(exec::Runner& runner, std::filesystem::path state_dir) : m_runner(runner), m_state_dir(std::move(state_dir)) {}

  std::string_view name() const override { return "kind"; }
  void check_available() override;
  // Not listed by `kind get clusters` = missing. Listed: running when every node container
  // runs, stopped when one does not (a host reboot stops them: kind's restart policy does not
  // bring them back), other when it has no node container at all.
  MachineState inspect(const std::string& name) override;
  // One `kind get clusters` for all of `names`, then one docker call for the node containers
  // of every cluster (kind_node_containers_by_cluster).
  std::map<std::string, MachineState> inspect_all(const std::vector<std::string>& names) override;
  // `kind create cluster --name --config --kubeconfig` unless `kind get clusters` lists it
  // (kind fails on an existing name); a listed cluster whose node containers are stopped gets
  // them started (`docker start`). A listed cluster kind cannot give a kubeconfig for is what
  // an interrupted create leaves (node containers, no control plane): it is deleted and
  // created again. No --wait: it may time out with exit 0 (contract); readiness is the
  // cluster/<c>/ready step's.
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

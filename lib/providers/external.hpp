// The external provider: clusters that already exist anywhere (cloud, Cluster API, a
// colleague's kind), addressed by a kubeconfig file and context from the lab. meshlab only
// installs onto them: it never creates and never deletes one.
#pragma once

#include "providers/provider.hpp"

namespace meshlab::providers {

class External : public Provider {
public:
  explicit External(exec::Runner& runner) : m_runner(runner) {}

  std::string_view name() const override { return "external"; }
  // kubectl on PATH (the only tool an external cluster needs).
  void check_available() override;
  // Always running: nothing to ask without the kubeconfig (create's check does the asking).
  MachineState inspect(const std::string& name) override;
  // Never creates: checks that the kubeconfig file and context exist and the API answers
  // (`kubectl --kubeconfig F --context C version -o json`). Throws meshlab::Error otherwise.
  void create(const Machine& machine, exec::Runner& runner) override;
  // The lab's context, renamed to `machine.name`, server unchanged.
  kube::Kubeconfig kubeconfig(const Machine& machine, exec::Runner& runner) override;
  // The context's server: an external cluster is reached the same way from everywhere.
  std::string internal_server(const Machine& machine, exec::Runner& runner) override;
  // All of `names`: an external cluster exists by definition.
  std::vector<std::string> existing(const std::vector<std::string>& names) override { return names; }
  // Nothing: meshlab never deletes an external cluster.
  void destroy(const std::vector<std::string>&) override {}

private:
  kube::Kubeconfig load(const Machine& machine) const;
  exec::Runner& m_runner;
};

} // namespace meshlab::providers

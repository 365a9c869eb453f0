// Runs kubectl against one context of one kubeconfig file through a Runner: the single
// place that knows kubectl's command line (flags per ../shared/contracts/kubectl.md).
#pragma once

#include "exec/runner.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::kube {

enum class ApplyMode { client_side, server_side };

class Kubectl {
public:
  Kubectl(exec::Runner& runner, std::filesystem::path kubeconfig, std::string context, std::ostream* log = nullptr);

  // `kubectl --kubeconfig K --context C <args...>`, returned whatever the exit status.
  exec::Completed run(const std::vector<std::string>& args, const std::optional<std::string>& input = std::nullopt,
                      bool secret = false) const;
  // What run(args) executes: `kubectl --kubeconfig K --context C <args...>` (for messages and evidence).
  exec::Argv argv(const std::vector<std::string>& args) const;
  // Like run, but throws CommandError unless kubectl exits 0.
  exec::Completed check(const std::vector<std::string>& args, const std::optional<std::string>& input = std::nullopt,
                        bool secret = false) const;

  // Applies the manifests in `yaml` (through stdin; `secret` keeps it out of logs).
  void apply(const std::string& yaml, ApplyMode mode = ApplyMode::client_side, bool secret = false) const;
  // `get KIND [NAME] -n NS -o json`; nullopt when the object does not exist
  // (--ignore-not-found). `secret` keeps the output out of logs.
  std::optional<nlohmann::json> get_json(const std::string& kind, const std::string& name,
                                         const std::string& ns = "", bool secret = false) const;
  // `get KIND -n NS -o json` (all namespaces when ns is "*"): the items list.
  nlohmann::json list_json(const std::string& kind, const std::string& ns = "") const;

  const std::filesystem::path& kubeconfig() const { return m_kubeconfig; }
  const std::string& context() const { return m_context; }

private:
  exec::Command command(const std::vector<std::string>& args, const std::optional<std::string>& input,
                        bool secret) const;
  exec::Runner& m_runner;
  std::filesystem::path m_kubeconfig;
  std::string m_context;
  std::ostream* m_log;
};

} // namespace meshlab::kube

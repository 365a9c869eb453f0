// Commands inside a running multipass instance and files copied into it: `multipass exec`
// and `multipass transfer` as ../shared/contracts/multipass.md describes them. Used by the
// VM join (actions/vm_join.cpp); the only code that knows those command lines.
#pragma once

#include "exec/runner.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::providers {

// Whether a command's stdin carries a secret (a token): logs then show only its size.
enum class Stdin { plain, secret };

class MultipassVm {
public:
  MultipassVm(exec::Runner& runner, std::string instance) : m_runner(runner), m_instance(std::move(instance)) {}

  // `multipass exec -n <instance> -- <argv...>` (-n: never map the caller's directory);
  // returns whatever the exit status. Throws only when multipass cannot be started.
  exec::Completed run(const std::vector<std::string>& argv, std::optional<std::string> input = std::nullopt,
                      Stdin stdin_kind = Stdin::plain) const;
  // Like run, but throws CommandError unless the command exits 0.
  exec::Completed check(const std::vector<std::string>& argv, std::optional<std::string> input = std::nullopt,
                        Stdin stdin_kind = Stdin::plain) const;

  // `multipass transfer <files...> <instance>:<dir>/`: copies host files into an existing
  // directory of the instance (as user ubuntu). Throws CommandError on failure.
  void copy_in(const std::vector<std::filesystem::path>& files, const std::string& dir) const;
  // `multipass transfer - <instance>:<path>` with `content` on stdin, so a secret never
  // touches the host's disk nor argv. Throws CommandError on failure.
  void write(const std::string& path, const std::string& content, Stdin stdin_kind = Stdin::plain) const;

  const std::string& instance() const { return m_instance; }

  static constexpr std::chrono::minutes k_exec_timeout{5};     // dpkg -i, systemctl restart
  static constexpr std::chrono::minutes k_transfer_timeout{5}; // the sidecar package: ~30 MB

private:
  exec::Command command(exec::Argv argv, std::optional<std::string> input, Stdin stdin_kind,
                        std::chrono::minutes timeout) const;
  exec::Runner& m_runner;
  std::string m_instance;
};

} // namespace meshlab::providers

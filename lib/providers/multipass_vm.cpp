#include "providers/multipass_vm.hpp"

#include "exec/check.hpp"

namespace meshlab::providers {

exec::Command MultipassVm::command(exec::Argv argv, std::optional<std::string> input, Stdin stdin_kind,
                                   std::chrono::minutes timeout) const {
  exec::Command cmd;
  cmd.argv = std::move(argv);
  cmd.input = std::move(input);
  cmd.secret_input = stdin_kind == Stdin::secret && cmd.input.has_value();
  cmd.timeout = timeout;
  return cmd;
}

exec::Completed MultipassVm::run(const std::vector<std::string>& argv, std::optional<std::string> input,
                                 Stdin stdin_kind) const {
  exec::Argv full{"multipass", "exec", "-n", m_instance, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return m_runner.run(command(std::move(full), std::move(input), stdin_kind, k_exec_timeout));
}

exec::Completed MultipassVm::check(const std::vector<std::string>& argv, std::optional<std::string> input,
                                   Stdin stdin_kind) const {
  exec::Argv full{"multipass", "exec", "-n", m_instance, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return exec::check(m_runner, command(std::move(full), std::move(input), stdin_kind, k_exec_timeout));
}

void MultipassVm::copy_in(const std::vector<std::filesystem::path>& files, const std::string& dir) const {
  exec::Argv argv{"multipass", "transfer"};
  for (const auto& file : files) argv.push_back(file.string());
  argv.push_back(m_instance + ":" + dir + (dir.ends_with('/') ? "" : "/"));
  exec::check(m_runner, command(std::move(argv), std::nullopt, Stdin::plain, k_transfer_timeout));
}

void MultipassVm::write(const std::string& path, const std::string& content, Stdin stdin_kind) const {
  exec::check(m_runner, command({"multipass", "transfer", "-", m_instance + ":" + path}, content, stdin_kind,
                                k_transfer_timeout));
}

} // namespace meshlab::providers

#include "providers/external.hpp"

#include "exec/check.hpp"
#include "providers/tool.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::providers {

namespace {

constexpr std::string_view k_install_hint = "install kubectl (https://kubernetes.io/docs/tasks/tools/)";

} // namespace

void External::check_available() {
  const auto cmd = command({"kubectl", "version", "--client", "-o", "json"}, std::chrono::seconds(30));
  const auto done = run_tool(m_runner, cmd, k_install_hint);
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
}

MachineState External::inspect(const std::string&) {
  return MachineState{MachineState::Status::running, "external", {}};
}

kube::Kubeconfig External::load(const Machine& machine) const {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(machine.kubeconfig, ec))
    throw Error(fmt::format("external cluster {}: kubeconfig file \"{}\" does not exist", machine.name,
                            machine.kubeconfig.string()));
  auto config = kube::Kubeconfig::load(machine.kubeconfig);
  const auto contexts = config.context_names();
  if (std::find(contexts.begin(), contexts.end(), machine.context) == contexts.end())
    throw Error(fmt::format("external cluster {}: context \"{}\" is not in {}; its contexts: {}", machine.name,
                            machine.context, machine.kubeconfig.string(),
                            contexts.empty() ? std::string("none") : util::join(contexts)));
  return config;
}

void External::create(const Machine& machine, exec::Runner& runner) {
  load(machine);
  const auto cmd = command(
      {"kubectl", "--kubeconfig", machine.kubeconfig.string(), "--context", machine.context, "version", "-o", "json"},
      std::chrono::seconds(30));
  const auto done = run_tool(runner, cmd, k_install_hint);
  if (done.exit_code != 0 || done.timed_out)
    throw Error(fmt::format("external cluster {}: the API server of context \"{}\" in {} does not answer{}",
                            machine.name, machine.context, machine.kubeconfig.string(),
                            done.timed_out ? std::string(" (timed out)")
                                           : ": " + exec::last_lines(done.err.empty() ? done.out : done.err, 3)));
}

kube::Kubeconfig External::kubeconfig(const Machine& machine, exec::Runner&) {
  return load(machine).extract(machine.context, machine.name);
}

std::string External::internal_server(const Machine& machine, exec::Runner&) {
  return load(machine).server(machine.context).value_or("");
}

} // namespace meshlab::providers

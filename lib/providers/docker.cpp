#include "providers/docker.hpp"

#include "exec/check.hpp"
#include "providers/tool.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace meshlab::providers::docker {

namespace {

bool no_such(const exec::Completed& done) {
  return done.err.find("No such container") != std::string::npos ||
         done.err.find("No such object") != std::string::npos;
}

// A name that may stand in a Go template field chain (.Networks.<name>).
bool template_safe(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

} // namespace

std::optional<bool> container_running(exec::Runner& runner, const std::string& name) {
  const auto cmd = command({"docker", "inspect", "--type", "container", "-f", "{{.State.Running}}", name});
  const auto done = run_tool(runner, cmd, k_install_hint);
  if (done.exit_code != 0 && no_such(done)) return std::nullopt;
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
  const auto lines = output_lines(done.out);
  if (lines.size() != 1 || (lines[0] != "true" && lines[0] != "false"))
    unexpected_output(cmd.argv, "expected true or false");
  return lines[0] == "true";
}

std::optional<std::string> container_state(exec::Runner& runner, const std::string& name) {
  const auto cmd = command({"docker", "inspect", "--type", "container", "-f", "{{.State.Status}}", name});
  const auto done = run_tool(runner, cmd, k_install_hint);
  if (done.exit_code != 0 && no_such(done)) return std::nullopt;
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
  const auto lines = output_lines(done.out);
  const bool word = lines.size() == 1 && !lines[0].empty() &&
                    std::all_of(lines[0].begin(), lines[0].end(), [](char c) { return c >= 'a' && c <= 'z'; });
  if (!word) unexpected_output(cmd.argv, "expected one state word such as running or exited");
  return lines[0];
}

std::vector<ContainerSummary> list_containers(exec::Runner& runner) {
  const auto cmd = command({"docker", "ps", "-a", "--format", "{{.Names}}\t{{.State}}\t{{.Networks}}"});
  const auto done = run_tool(runner, cmd, k_install_hint);
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
  std::vector<ContainerSummary> containers;
  for (const auto& line : output_lines(done.out)) {
    const auto fields = util::split(line, '\t');
    if (fields.size() < 2 || fields.size() > 3 || fields[0].empty() || fields[1].empty())
      unexpected_output(cmd.argv, fmt::format("\"{}\" is not a container name, state and networks", line));
    ContainerSummary container{std::string(fields[0]), std::string(fields[1]), {}};
    if (fields.size() == 3)
      for (const auto& network : util::split(fields[2], ','))
        if (!network.empty()) container.networks.emplace_back(network);
    containers.push_back(std::move(container));
  }
  return containers;
}

bool on_network(exec::Runner& runner, const std::string& container, const std::string& network) {
  if (!template_safe(network)) throw Error(fmt::format("docker network name \"{}\" cannot be inspected", network));
  const auto cmd = command({"docker", "inspect", "--type", "container", "-f",
                            fmt::format("{{{{json .NetworkSettings.Networks.{}}}}}", network), container});
  const auto done = exec::check(runner, cmd);
  const auto value = parse_json_output(done.out, cmd.argv);
  if (!value.is_null() && !value.is_object()) unexpected_output(cmd.argv, "expected null or an endpoint object");
  return value.is_object();
}

void connect(exec::Runner& runner, const std::string& network, const std::string& container) {
  const auto cmd = command({"docker", "network", "connect", network, container});
  const auto done = runner.run(cmd);
  if (done.exit_code == 0 && !done.timed_out) return;
  // A parallel run (or a user) may have connected it since we looked.
  if (done.err.find("already exists in network") != std::string::npos) return;
  throw_command_error(cmd, done);
}

util::Cidr network_ipv4_subnet(exec::Runner& runner, const std::string& network) {
  const auto cmd = command({"docker", "network", "inspect", "-f", "{{json .IPAM.Config}}", network});
  const auto done = exec::check(runner, cmd);
  const auto config = parse_json_output(done.out, cmd.argv);
  if (!config.is_array()) unexpected_output(cmd.argv, "expected a list of IPAM configs");
  for (const auto& entry : config) {
    if (!entry.is_object() || !entry.contains("Subnet") || !entry["Subnet"].is_string()) continue;
    if (const auto parsed = util::parse_cidr(entry["Subnet"].get<std::string>()); parsed.block) return *parsed.block;
  }
  throw Error(fmt::format("docker network \"{}\" has no IPv4 subnet (`{}` printed {})", network,
                          fmt::format("docker network inspect {}", network), done.out));
}

void write_file(exec::Runner& runner, const std::string& container, const std::string& path,
                const std::string& content) {
  const auto dir = std::filesystem::path(path).parent_path().string();
  exec::check(runner, command({"docker", "exec", container, "mkdir", "-p", dir}));
  auto cmd = command({"docker", "exec", "-i", container, "cp", "/dev/stdin", path});
  cmd.input = content;
  exec::check(runner, cmd);
}

std::optional<std::string> read_files(exec::Runner& runner, const std::string& container,
                                      const std::vector<std::string>& paths) {
  exec::Argv argv{"docker", "exec", container, "cat"};
  argv.insert(argv.end(), paths.begin(), paths.end());
  const auto done = runner.run(command(std::move(argv)));
  if (done.exit_code != 0 || done.timed_out) return std::nullopt;
  return done.out;
}

void remove_container(exec::Runner& runner, const std::string& name) {
  const auto cmd = command({"docker", "rm", "-f", "-v", name});
  const auto done = run_tool(runner, cmd, k_install_hint);
  if ((done.exit_code == 0 && !done.timed_out) || no_such(done)) return;
  throw_command_error(cmd, done);
}

} // namespace meshlab::providers::docker

#include "providers/multipass.hpp"

#include "exec/check.hpp"
#include "providers/tool.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/wait.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::providers {

namespace {

constexpr std::string_view k_install_hint =
    "install it from https://canonical.com/multipass/install (Linux: `sudo snap install multipass`; "
    "macOS: `brew install --cask multipass`)";
constexpr std::string_view k_k3s_kubeconfig = "/etc/rancher/k3s/k3s.yaml";

const exec::Argv k_list{"multipass", "list", "--format", "json"};

// How meshlab reads multipass's state words (contract: format_utils.cpp).
MachineState::Status status_of(const std::string& state) {
  if (state == "Running" || state == "Delayed Shutdown") return MachineState::Status::running;
  if (state == "Stopped" || state == "Suspended") return MachineState::Status::stopped;
  return MachineState::Status::other; // Starting, Restarting, Suspending, Deleted, Unknown, ...
}

// States that end by themselves; create waits them out instead of acting.
bool transitional(const std::string& state) {
  return state == "Starting" || state == "Restarting" || state == "Suspending";
}

std::vector<std::string> string_list(const nlohmann::json& value, const exec::Argv& argv, const std::string& where) {
  if (!value.is_array()) unexpected_output(argv, where + " is not a list");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) unexpected_output(argv, where + " holds something other than strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// "https://127.0.0.1:6443/x" -> "6443"; "" when the URL names no port.
std::string port_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto start = scheme == std::string::npos ? 0 : scheme + 3;
  const auto authority = url.substr(start, url.find('/', start) - start);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos || authority.find(']', colon) != std::string::npos) return {};
  return authority.substr(colon + 1);
}

} // namespace

std::vector<MultipassInstance> parse_multipass_list(const std::string& json) {
  const auto doc = parse_json_output(json, k_list);
  if (!doc.is_object() || !doc.contains("list") || !doc["list"].is_array())
    unexpected_output(k_list, "no \"list\" array");
  std::vector<MultipassInstance> out;
  for (const auto& entry : doc["list"]) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("state") ||
        !entry["state"].is_string())
      unexpected_output(k_list, "an instance without a \"name\" and \"state\" string");
    MultipassInstance instance{entry["name"].get<std::string>(), entry["state"].get<std::string>(), {}};
    if (entry.contains("ipv4"))
      instance.ipv4 = string_list(entry["ipv4"], k_list, fmt::format("\"ipv4\" of \"{}\"", instance.name));
    // A running instance without an address yet lists "N/A" (contract).
    std::erase(instance.ipv4, "N/A");
    out.push_back(std::move(instance));
  }
  return out;
}

std::optional<std::string> parse_multipass_address(const std::string& json, const std::string& name) {
  const exec::Argv argv{"multipass", "info", name, "--format", "json"};
  const auto doc = parse_json_output(json, argv);
  if (!doc.is_object() || !doc.contains("info") || !doc["info"].is_object())
    unexpected_output(argv, "no \"info\" object");
  const auto& info = doc["info"];
  if (!info.contains(name) || !info[name].is_object())
    unexpected_output(argv, fmt::format("no entry for \"{}\"", name));
  const auto& entry = info[name];
  if (!entry.contains("ipv4")) return std::nullopt;
  auto addresses = string_list(entry["ipv4"], argv, "\"ipv4\"");
  std::erase(addresses, "N/A");
  if (addresses.empty()) return std::nullopt;
  return addresses.front(); // the management address comes first (contract)
}

void Multipass::check_available() {
  const auto cmd = command({"multipass", "version"}, std::chrono::seconds(30));
  const auto done = run_tool(m_runner, cmd, k_install_hint);
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
  // `multipass version` never fails; without a daemon it prints only the client line.
  const auto lines = output_lines(done.out);
  const bool daemon =
      std::any_of(lines.begin(), lines.end(), [](const std::string& line) { return line.rfind("multipassd", 0) == 0; });
  if (!daemon)
    throw Error("the multipass daemon (multipassd) does not answer: `multipass version` shows only the client; "
                "start it (Linux: `sudo snap start multipass`) and try again");
}

std::vector<MultipassInstance> Multipass::list(exec::Runner& runner) {
  const auto cmd = command(k_list);
  const auto done = run_tool(runner, cmd, k_install_hint);
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
  return parse_multipass_list(done.out);
}

std::optional<MultipassInstance> Multipass::find(exec::Runner& runner, const std::string& name) {
  for (auto& instance : list(runner))
    if (instance.name == name) return std::move(instance);
  return std::nullopt;
}

MachineState Multipass::inspect(const std::string& name) { return inspect_all({name}).at(name); }

std::map<std::string, MachineState> Multipass::inspect_all(const std::vector<std::string>& names) {
  std::map<std::string, MachineState> states;
  for (const auto& name : names) states[name] = {};
  for (const auto& instance : list(m_runner))
    if (const auto found = states.find(instance.name); found != states.end())
      found->second = MachineState{status_of(instance.state), instance.state, instance.ipv4};
  return states;
}

void Multipass::create(const Machine& machine, exec::Runner& runner) {
  const auto& name = machine.name;
  auto instance = find(runner, name);
  if (!instance) {
    exec::Argv argv{"multipass", "launch", "--name", name};
    if (machine.cpus > 0) argv.insert(argv.end(), {"--cpus", std::to_string(machine.cpus)});
    if (!machine.memory.empty()) argv.insert(argv.end(), {"--memory", machine.memory});
    if (!machine.disk.empty()) argv.insert(argv.end(), {"--disk", machine.disk});
    argv.insert(argv.end(), {"--cloud-init", "-"});
    if (!machine.image.empty()) argv.push_back(machine.image);
    auto cmd = command(std::move(argv), k_launch_timeout);
    cmd.input = util::read_file(machine.config); // user-data through stdin, never a temp file
    const auto done = run_tool(runner, cmd, k_install_hint);
    // Exit 5: multipass's own --timeout (5 min by default) expired, but the daemon keeps
    // launching (contract); wait for the instance below instead of failing.
    if (done.exit_code != 0 && done.exit_code != 5) throw_command_error(cmd, done);
    if (done.timed_out) throw_command_error(cmd, done);
    instance = find(runner, name);
    if (!instance) throw Error(fmt::format("`multipass launch` finished but instance \"{}\" is not listed", name));
  }

  if (transitional(instance->state)) {
    const auto what = fmt::format("multipass instance {} to leave state {}", name, instance->state);
    instance = util::wait_until(
        util::Clock::now() + k_state_wait, std::chrono::seconds(1),
        [&]() -> std::optional<MultipassInstance> {
          auto now = find(runner, name);
          if (!now) throw Error(fmt::format("multipass instance \"{}\" disappeared while starting", name));
          if (transitional(now->state)) return std::nullopt;
          return now;
        },
        what);
  }
  if (instance->state == "Deleted") {
    // Deleted but not purged: the lab's own instance in multipass's trash; bring it back.
    exec::check(runner, command({"multipass", "recover", name}));
    instance->state = "Stopped";
  }
  if (status_of(instance->state) != MachineState::Status::running)
    exec::check(runner, command({"multipass", "start", name}, k_state_wait));
  wait_cloud_init(runner, name);
}

void Multipass::wait_cloud_init(exec::Runner& runner, const std::string& name) {
  // -n: never map the caller's working directory into the instance (contract).
  const auto cmd =
      command({"multipass", "exec", "-n", name, "--", "cloud-init", "status", "--wait"}, k_cloud_init_timeout);
  const auto done = runner.run(cmd);
  // cloud-init >= 23.4: 0 done, 1 error, 2 degraded (done, with recoverable errors such as
  // deprecated keys); older versions: 1 on error, else 0 (contract cloud-init.md). multipass
  // itself also exits 2 when exec fails, so 2 counts as done only when cloud-init answered.
  const bool degraded = done.exit_code == 2 && done.out.find("status:") != std::string::npos;
  if (done.timed_out || (done.exit_code != 0 && !degraded)) {
    const auto status = exec::last_lines(done.out.empty() ? done.err : done.out, 3);
    throw Error(fmt::format("cloud-init did not finish on multipass instance {} (`cloud-init status --wait` {}){}; "
                            "its log: `multipass exec {} -- sudo cat /var/log/cloud-init-output.log`",
                            name,
                            done.timed_out ? fmt::format("timed out after {} min", k_cloud_init_timeout.count())
                                           : fmt::format("exited with status {}", done.exit_code),
                            status.empty() ? "" : ": " + status, name));
  }
}

std::string Multipass::address(exec::Runner& runner, const std::string& name) {
  const auto cmd = command({"multipass", "info", name, "--format", "json"});
  const auto done = exec::check(runner, cmd);
  const auto address = parse_multipass_address(done.out, name);
  if (!address) throw Error(fmt::format("multipass instance {} has no IPv4 address (is it running?)", name));
  return *address;
}

kube::Kubeconfig Multipass::kubeconfig(const Machine& machine, exec::Runner& runner) {
  if (machine.kind != Machine::Kind::cluster)
    throw Error(fmt::format("multipass instance {} is a VM, not a cluster: it has no kubeconfig", machine.name));
  auto cmd = command({"multipass", "exec", "-n", machine.name, "--", "sudo", "cat", std::string(k_k3s_kubeconfig)});
  cmd.secret_output = true; // the admin client key
  const auto done = exec::check(runner, cmd);
  const auto k3s = kube::Kubeconfig::parse(done.out, fmt::format("{} on {}", k_k3s_kubeconfig, machine.name));
  // k3s names everything "default"; read the name from the file rather than assume it (contract).
  auto context = k3s.current_context();
  const auto contexts = k3s.context_names();
  if (!context && contexts.size() == 1) context = contexts.front();
  if (!context)
    throw Error(fmt::format("{} on {} names no current context and has {} contexts", k_k3s_kubeconfig, machine.name,
                            contexts.size()));
  // The file points at the node's loopback; the host reaches the API at the instance address.
  auto port = port_of(k3s.server(*context).value_or(""));
  if (port.empty()) port = "6443";
  return k3s.extract(*context, machine.name, fmt::format("https://{}:{}", address(runner, machine.name), port));
}

std::string Multipass::internal_server(const Machine& machine, exec::Runner& runner) {
  // Clusters reach each other the way the host does: through the instance address (k3s's
  // default https-listen-port; the rendered config keeps it).
  return fmt::format("https://{}:6443", address(runner, machine.name));
}

std::vector<std::string> Multipass::existing(const std::vector<std::string>& names) {
  const auto instances = list(m_runner);
  std::vector<std::string> out;
  for (const auto& name : names) {
    const bool found = std::any_of(instances.begin(), instances.end(),
                                   [&](const MultipassInstance& instance) { return instance.name == name; });
    if (found && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

void Multipass::destroy(const std::vector<std::string>& names) {
  const auto present = existing(names);
  if (present.empty()) return;
  exec::Argv argv{"multipass", "delete", "--purge"};
  argv.insert(argv.end(), present.begin(), present.end());
  const auto cmd = command(std::move(argv), std::chrono::minutes(5));
  const auto done = m_runner.run(cmd);
  if (done.exit_code == 0 && !done.timed_out) return;
  // Judge by what is left, not by the exit status: a partial failure names only some.
  const auto left = existing(present);
  if (left.empty()) return;
  std::string names_left;
  for (const auto& name : left) names_left += (names_left.empty() ? "" : ", ") + name;
  throw Error(fmt::format("could not delete multipass instance{} {}: {}", left.size() == 1 ? "" : "s", names_left,
                          exec::last_lines(done.err.empty() ? done.out : done.err, 5)));
}

} // namespace meshlab::providers

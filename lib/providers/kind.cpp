#include "providers/kind.hpp"

#include "exec/check.hpp"
#include "providers/tool.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace meshlab::providers {

namespace {

constexpr std::string_view k_install_hint =
    "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation) and Docker, which kind needs";

bool is_cluster_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}

constexpr std::string_view k_cluster_label = "io.x-k8s.kind.cluster";

// The state of a cluster `kind get clusters` lists, from its node containers.
MachineState listed_state(const std::vector<KindNodeContainer>& nodes) {
  if (nodes.empty()) return MachineState{MachineState::Status::other, "listed by kind without node containers", {}, {}};
  std::vector<std::string> down, names;
  for (const auto& node : nodes) {
    names.push_back(node.name);
    if (node.state != "running") down.push_back(fmt::format("{} {}", node.name, node.state));
  }
  if (down.empty()) return MachineState{MachineState::Status::running, "running", {}, std::move(names)};
  return MachineState{MachineState::Status::stopped, fmt::format("{}", fmt::join(down, ", ")), {}, std::move(names)};
}

bool by_name(const KindNodeContainer& a, const KindNodeContainer& b) { return a.name < b.name; }

} // namespace

std::vector<std::string> parse_kind_clusters(const std::string& out) {
  auto names = output_lines(out);
  for (const auto& name : names)
    if (!is_cluster_name(name))
      unexpected_output({"kind", "get", "clusters"}, fmt::format("\"{}\" is not a kind cluster name", name));
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> kind_node_names(exec::Runner& runner, const std::string& name) {
  // "No kind nodes found ..." goes to stderr with exit 0; stdout is then empty.
  const auto done = exec::check(runner, command({"kind", "get", "nodes", "--name", name}));
  auto nodes = output_lines(done.out);
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

std::vector<KindNodeContainer> kind_node_containers(exec::Runner& runner, const std::string& name,
                                                    std::chrono::milliseconds timeout) {
  const exec::Argv argv{"docker", "ps", "-a", "--filter", fmt::format("label={}={}", k_cluster_label, name),
                        "--format", "{{.Names}}\t{{.State}}"};
  const auto done = exec::check(runner, command(argv, timeout));
  std::vector<KindNodeContainer> nodes;
  for (const auto& line : output_lines(done.out)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size())
      unexpected_output(argv, fmt::format("\"{}\" is not a container name and state", line));
    nodes.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  std::sort(nodes.begin(), nodes.end(), by_name);
  return nodes;
}

std::map<std::string, std::vector<KindNodeContainer>> kind_node_containers_by_cluster(exec::Runner& runner) {
  const exec::Argv argv{"docker", "ps", "-a", "--filter", fmt::format("label={}", k_cluster_label), "--format",
                        fmt::format("{{{{.Names}}}}\t{{{{.State}}}}\t{{{{.Label \"{}\"}}}}", k_cluster_label)};
  const auto done = exec::check(runner, command(argv));
  std::map<std::string, std::vector<KindNodeContainer>> clusters;
  for (const auto& line : output_lines(done.out)) {
    const auto fields = util::split(line, '\t');
    if (fields.size() != 3 || fields[0].empty() || fields[1].empty() || fields[2].empty())
      unexpected_output(argv, fmt::format("\"{}\" is not a container name, state and kind cluster", line));
    clusters[fields[2]].push_back({fields[0], fields[1]});
  }
  for (auto& [cluster, nodes] : clusters) std::sort(nodes.begin(), nodes.end(), by_name);
  return clusters;
}

std::filesystem::path Kind::kubeconfig_path(const std::string& name) const {
  return m_state_dir / "kind" / (name + ".kubeconfig");
}

void Kind::check_available() {
  const auto cmd = command({"kind", "version"}, std::chrono::seconds(30));
  const auto done = run_tool(m_runner, cmd, k_install_hint);
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
}

std::vector<std::string> Kind::clusters(exec::Runner& runner) {
  // None: "No kind clusters found." on stderr, empty stdout, exit 0 (contract).
  const auto cmd = command({"kind", "get", "clusters"});
  const auto done = run_tool(runner, cmd, k_install_hint);
  if (done.exit_code != 0 || done.timed_out) throw_command_error(cmd, done);
  return parse_kind_clusters(done.out);
}

MachineState Kind::inspect(const std::string& name) { return inspect_all({name}).at(name); }

std::map<std::string, MachineState> Kind::inspect_all(const std::vector<std::string>& names) {
  const auto listed = clusters(m_runner);
  std::map<std::string, MachineState> states;
  std::vector<std::string> found;
  for (const auto& name : names) {
    states[name] = {};
    if (std::binary_search(listed.begin(), listed.end(), name)) found.push_back(name);
  }
  if (found.empty()) return states;
  const auto nodes = kind_node_containers_by_cluster(m_runner);
  for (const auto& name : found) {
    const auto of = nodes.find(name);
    states[name] = listed_state(of != nodes.end() ? of->second : std::vector<KindNodeContainer>{});
  }
  return states;
}

void Kind::create(const Machine& machine, exec::Runner& runner) {
  const auto names = clusters(runner);
  if (std::binary_search(names.begin(), names.end(), machine.name)) {
    // After a host reboot the node containers exist but are stopped; they keep everything,
    // so starting them is all it takes (the ready step then waits for the nodes).
    exec::Argv start{"docker", "start"};
    for (const auto& node : kind_node_containers(runner, machine.name))
      if (node.state != "running") start.push_back(node.name);
    if (start.size() > 2) exec::check(runner, command(std::move(start), std::chrono::minutes(2)));
    // kind names a cluster by its node containers' label, so a create interrupted after
    // making them (Ctrl-C, a timeout) leaves one listed that never got a control plane.
    // kind reads the kubeconfig from the control plane, so that tells the two apart.
    auto probe = command({"kind", "get", "kubeconfig", "--name", machine.name});
    probe.secret_output = true; // the admin client key
    const auto done = runner.run(probe);
    if (done.exit_code == 0 && !done.timed_out) return;
    exec::check(runner, command({"kind", "delete", "cluster", "--name", machine.name, "--kubeconfig",
                                 kubeconfig_path(machine.name).string()},
                                std::chrono::minutes(5)));
  }
  const auto kubeconfig = kubeconfig_path(machine.name);
  std::error_code ec;
  std::filesystem::create_directories(kubeconfig.parent_path(), ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", kubeconfig.parent_path().string(), ec.message()));
  exec::Argv argv{
      "kind",         "create",           "cluster", "--name", machine.name, "--config", machine.config.string(),
      "--kubeconfig", kubeconfig.string()};
  exec::check(runner, command(std::move(argv), k_create_timeout));
}

kube::Kubeconfig Kind::fetch(exec::Runner& runner, const std::string& name, bool internal) {
  exec::Argv argv{"kind", "get", "kubeconfig", "--name", name};
  if (internal) argv.push_back("--internal");
  auto cmd = command(argv);
  cmd.secret_output = true; // the admin client key
  const auto done = exec::check(runner, cmd);
  return kube::Kubeconfig::parse(done.out, fmt::format("`{}`", fmt::join(argv, " ")));
}

kube::Kubeconfig Kind::kubeconfig(const Machine& machine, exec::Runner& runner) {
  return fetch(runner, machine.name, false).extract("kind-" + machine.name, machine.name);
}

std::string Kind::internal_server(const Machine& machine, exec::Runner& runner) {
  const auto server = fetch(runner, machine.name, true).server("kind-" + machine.name);
  if (!server || server->empty())
    unexpected_output({"kind", "get", "kubeconfig", "--name", machine.name, "--internal"},
                      fmt::format("no server for context \"kind-{}\"", machine.name));
  return *server;
}

std::vector<std::string> Kind::existing(const std::vector<std::string>& names) {
  const auto listed = clusters(m_runner);
  std::vector<std::string> out;
  for (const auto& name : names)
    if (std::binary_search(listed.begin(), listed.end(), name) && std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(name);
  return out;
}

void Kind::destroy(const std::vector<std::string>& names) {
  std::vector<std::string> failures;
  for (const auto& name : existing(names)) {
    const auto cmd =
        command({"kind", "delete", "cluster", "--name", name, "--kubeconfig", kubeconfig_path(name).string()},
                std::chrono::minutes(5));
    const auto done = m_runner.run(cmd);
    if (done.exit_code != 0 || done.timed_out)
      failures.push_back(fmt::format("{} ({})", name, exec::last_lines(done.err.empty() ? done.out : done.err, 3)));
  }
  if (failures.empty()) return;
  throw Error(
      fmt::format("could not delete kind cluster{} {}", failures.size() == 1 ? "" : "s", fmt::join(failures, "; ")));
}

} // namespace meshlab::providers

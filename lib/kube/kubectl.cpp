#include "kube/kubectl.hpp"

#include "exec/check.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::kube {

Kubectl::Kubectl(exec::Runner& runner, std::filesystem::path kubeconfig, std::string context, std::ostream* log)
    : m_runner(runner), m_kubeconfig(std::move(kubeconfig)), m_context(std::move(context)), m_log(log) {}

exec::Argv Kubectl::argv(const std::vector<std::string>& args) const {
  exec::Argv argv{"kubectl", "--kubeconfig", m_kubeconfig.string(), "--context", m_context};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

exec::Command Kubectl::command(const std::vector<std::string>& args, const std::optional<std::string>& input,
                               bool secret) const {
  exec::Command cmd;
  cmd.argv = argv(args);
  cmd.input = input;
  cmd.secret_input = secret && input.has_value();
  cmd.secret_output = secret;
  cmd.timeout = std::chrono::seconds(120);
  cmd.log = m_log;
  return cmd;
}

exec::Completed Kubectl::run(const std::vector<std::string>& args, const std::optional<std::string>& input,
                             bool secret) const {
  return m_runner.run(command(args, input, secret));
}

exec::Completed Kubectl::check(const std::vector<std::string>& args, const std::optional<std::string>& input,
                               bool secret) const {
  return exec::check(m_runner, command(args, input, secret));
}

void Kubectl::apply(const std::string& yaml, ApplyMode mode, bool secret) const {
  std::vector<std::string> args{"apply"};
  if (mode == ApplyMode::server_side) args.insert(args.end(), {"--server-side", "--field-manager=meshlab", "--force-conflicts"});
  args.insert(args.end(), {"-f", "-"});
  check(args, yaml, secret);
}

static nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("kubectl printed something that is not JSON for {}", what));
  }
}

std::optional<nlohmann::json> Kubectl::get_json(const std::string& kind, const std::string& name,
                                                const std::string& ns, bool secret) const {
  std::vector<std::string> args{"get", kind, name, "--ignore-not-found", "-o", "json"};
  if (!ns.empty()) args.insert(args.end(), {"-n", ns});
  const auto done = check(args, std::nullopt, secret);
  if (done.out.find_first_not_of(" \n\t") == std::string::npos) return std::nullopt;
  return parse_json(done.out, fmt::format("{} {} on {}", kind, name, m_context));
}

nlohmann::json Kubectl::list_json(const std::string& kind, const std::string& ns) const {
  std::vector<std::string> args{"get", kind, "-o", "json"};
  if (ns == "*") args.push_back("-A");
  else if (!ns.empty()) args.insert(args.end(), {"-n", ns});
  const auto done = check(args);
  auto doc = parse_json(done.out, fmt::format("{} on {}", kind, m_context));
  if (!doc.contains("items") || !doc["items"].is_array())
    throw Error(fmt::format("kubectl get {} on {} returned no items list", kind, m_context));
  return doc["items"];
}

} // namespace meshlab::kube

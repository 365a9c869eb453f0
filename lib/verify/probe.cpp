#include "verify/probe.hpp"

#include "exec/quote.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

kube::Kubectl kubectl_for(const VerifyContext& ctx, const lab::Cluster& cluster) {
  return kube::Kubectl(ctx.runner, ctx.state_dir / "kubeconfigs" / (cluster.name + ".yaml"),
                       ctx.lab.instance_name(cluster.name));
}

namespace {

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  const auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

} // namespace

std::string Probe::failure() const {
  if (done.timed_out) return fmt::format("{} timed out", evidence.command.substr(0, evidence.command.find(' ')));
  const auto why = last_line(done.err.empty() ? done.out : done.err);
  const auto tool = evidence.command.substr(0, evidence.command.find(' '));
  return why.empty() ? fmt::format("{} exited with status {}", tool, done.exit_code)
                     : fmt::format("{} exited with status {}: {}", tool, done.exit_code, why);
}

Probe probe(const kube::Kubectl& kubectl, const std::vector<std::string>& args, bool secret) {
  exec::Argv argv{"kubectl", "--kubeconfig", kubectl.kubeconfig().string(), "--context", kubectl.context()};
  argv.insert(argv.end(), args.begin(), args.end());
  Probe p;
  p.done = kubectl.run(args, std::nullopt, secret);
  p.evidence.command = exec::quote(argv);
  if (!p.ok()) {
    const auto why = last_line(p.done.err);
    if (!why.empty()) p.evidence.lines.push_back(why);
  }
  return p;
}

Probe probe(const VerifyContext& ctx, exec::Command cmd) {
  Probe p;
  p.evidence.command = exec::quote(cmd.argv);
  p.done = ctx.runner.run(cmd);
  if (!p.ok()) {
    const auto why = last_line(p.done.err);
    if (!why.empty()) p.evidence.lines.push_back(why);
  }
  return p;
}

std::optional<nlohmann::json> parse_json(Probe& p) {
  try {
    return nlohmann::json::parse(p.done.out);
  } catch (const nlohmann::json::exception&) {
    p.evidence.lines.push_back("(output is not JSON)");
    return std::nullopt;
  }
}

CheckResult result(std::string check, std::string subject, Outcome outcome, std::string message,
                   std::vector<Evidence> evidence) {
  CheckResult r;
  r.check = std::move(check);
  r.subject = std::move(subject);
  r.outcome = outcome;
  r.message = std::move(message);
  r.evidence = std::move(evidence);
  return r;
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const auto line = text.substr(start, end - start);
    if (line.find(needle) != std::string::npos) out.push_back(line);
    start = end + 1;
  }
  return out;
}

std::string subject(std::string_view kind, std::string_view name) { return fmt::format("{}/{}", kind, name); }

} // namespace meshlab::verify

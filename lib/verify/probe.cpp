#include "verify/probe.hpp"

#include "actions/kube_access.hpp"
#include "exec/quote.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

kube::Kubectl kubectl_for(const VerifyContext& ctx, const lab::Cluster& cluster) {
  return actions::kubectl_for(actions::LaunchContext{.lab = ctx.lab, .state_dir = ctx.state_dir, .provider = {}},
                              cluster, ctx.runner);
}

std::string command_text(const kube::Kubectl& kubectl, const std::vector<std::string>& args) {
  return exec::quote(kubectl.argv(args));
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

namespace {

// The probe of `done`: the command, and for a failure kubectl's or multipass's last words.
Probe probe_of(std::string command, exec::Completed done) {
  Probe p;
  p.evidence.command = std::move(command);
  p.done = std::move(done);
  if (!p.ok()) {
    const auto why = last_line(p.done.err);
    if (!why.empty()) p.evidence.lines.push_back(why);
  }
  return p;
}

} // namespace

Probe probe(const kube::Kubectl& kubectl, const std::vector<std::string>& args, bool secret) {
  return probe_of(command_text(kubectl, args), kubectl.run(args, std::nullopt, secret));
}

Probe probe(const VerifyContext& ctx, exec::Command cmd) { return probe_of(exec::quote(cmd.argv), ctx.runner.run(cmd)); }

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

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

std::optional<std::string> failure_of(const std::function<void()>& work) {
  try {
    work();
  } catch (const Interrupted&) {
    throw;
  } catch (const Error& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

CheckResult guarded(CheckResult result, const std::function<void(CheckResult&)>& judge) {
  const auto start = std::chrono::steady_clock::now();
  if (const auto failure = failure_of([&] { judge(result); })) {
    result.outcome = Outcome::fail;
    result.message = *failure;
  }
  result.elapsed = since(start);
  return result;
}

} // namespace meshlab::verify

// What the checks share: kubectl for a lab cluster as meshlab set it up, commands whose
// line and deciding output become Evidence, and results built in one expression.
#pragma once

#include "kube/kubectl.hpp"
#include "verify/check.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::verify {

// kubectl with the lab's own kubeconfig and context for `cluster`, as launch writes them
// (actions::kubectl_for).
kube::Kubectl kubectl_for(const VerifyContext& ctx, const lab::Cluster& cluster);

// The command line `kubectl.run(args)` executes, as a person would type it (for evidence).
std::string command_text(const kube::Kubectl& kubectl, const std::vector<std::string>& args);

// One command a check ran, its answer, and the evidence it becomes.
struct Probe {
  exec::Completed done;
  Evidence evidence; // command filled in; lines added by the check as it decides
  bool ok() const { return done.exit_code == 0 && !done.timed_out; }
  // Why the command failed, for a result message: "kubectl exited with status 1: <last stderr line>".
  std::string failure() const;
};

// Runs `kubectl ... <args>` (stdout kept out of logs when `secret`); never throws for a
// non-zero exit: a failing probe is a failed check, not an error of verify.
Probe probe(const kube::Kubectl& kubectl, const std::vector<std::string>& args, bool secret = false);
// Runs any command through the context's runner (multipass).
Probe probe(const VerifyContext& ctx, exec::Command cmd);

// The probe's stdout as JSON; nullopt (and a line in the evidence saying so) when it is not.
std::optional<nlohmann::json> parse_json(Probe& p);

// A result of `check` about `subject`.
CheckResult result(std::string check, std::string subject, Outcome outcome, std::string message,
                   std::vector<Evidence> evidence = {});

// The lines of `text` that contain `needle` (for evidence from plain-text output).
std::vector<std::string> lines_with(const std::string& text, const std::string& needle);

// "cluster/<name>", "cell/<name>", "vm/<name>": subjects as CheckResult documents them.
std::string subject(std::string_view kind, std::string_view name);

// Time elapsed since `start`, for CheckResult::elapsed.
std::chrono::milliseconds since(std::chrono::steady_clock::time_point start);

// Calls `work`; returns the message of the meshlab::Error it throws, nullopt when it throws
// none: a probe that cannot run fails the check it serves, it is not an error of verify.
// Interrupted passes through (Ctrl-C ends verify; it is not a failed check).
std::optional<std::string> failure_of(const std::function<void()>& work);

// `result` after `judge` filled it in, timed: a meshlab::Error from `judge` fails it with the
// error's message, keeping the evidence gathered so far (see failure_of).
CheckResult guarded(CheckResult result, const std::function<void(CheckResult&)>& judge);

} // namespace meshlab::verify

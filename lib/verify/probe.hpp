// What the checks share: kubectl for a lab cluster as meshlab set it up, commands whose
// line and deciding output become Evidence, and results built in one expression.
#pragma once

#include "kube/kubectl.hpp"
#include "verify/check.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace meshlab::verify {

// kubectl with the lab's own kubeconfig for `cluster` (state_dir/kubeconfigs/<cluster>.yaml,
// context lab.instance_name(cluster)), as launch writes it (actions::LaunchContext).
kube::Kubectl kubectl_for(const VerifyContext& ctx, const lab::Cluster& cluster);

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

} // namespace meshlab::verify

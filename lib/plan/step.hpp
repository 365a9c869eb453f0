// One unit of work in a plan: a named step, the steps it needs, and the function that does
// it. Generic on purpose: plan knows nothing about labs, actions fill in the steps.
#pragma once

#include "exec/runner.hpp"
#include "ui/status.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace meshlab::plan {

// What a step learned and later steps (or the next run, through the journal) may need:
// addresses, context names, ... Keys are the step's own business.
using Facts = std::map<std::string, std::string>;

// What a step may touch while it runs.
struct StepContext {
  // Every command goes through this runner; it writes each command and its output to
  // `log` unless the Command names another sink.
  exec::Runner& runner;
  ui::Status& status;
  // This step's log (also what a failure summary quotes), and its path when it is a file.
  std::ostream& log;
  std::optional<std::filesystem::path> log_path;
  // The facts of every step that had finished when this one started, by step id; a step's
  // needs are always among them.
  const std::map<std::string, Facts>& earlier;
  // What this step learned; the executor keeps it in the step's result when it succeeds.
  Facts facts;
};

struct Step {
  std::string id;                 // "istio/east": <what>/<subject>
  std::string title;              // "Installing Istio on east"
  std::vector<std::string> needs; // ids of steps that must finish first
  // A digest of everything the step's effect depends on (rendered files, lab entries), so
  // a resumed run redoes a step whose inputs changed. Empty: none recorded.
  std::string inputs_hash;
  // Does the work; throws to fail (meshlab::Error with a complete message).
  std::function<void(StepContext&)> run;
  // A cheap check that the world still matches what the step did (instance running,
  // cluster listed, container up, file still answering), asked on resume before a step the
  // journal says is done with the same inputs is skipped: true = still done. One or two
  // quick commands through `runner`, never a change. Empty: the journal alone decides. An
  // exception counts as false (the step runs again).
  std::function<bool(exec::Runner&)> verify;
};

} // namespace meshlab::plan

// Runs a plan: up to `jobs` ready steps at a time, each step after its needs, a failure
// skipping only what depends on it, Ctrl-C stopping the scheduling.
#pragma once

#include "exec/runner.hpp"
#include "plan/plan.hpp"
#include "ui/status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::plan {

enum class StepStatus {
  done,                      // ran and succeeded
  skipped_done,              // not run: should_skip said an earlier run did it (resume)
  failed,                    // ran and threw
  interrupted,               // was running when Ctrl-C came
  skipped_dependency_failed, // not run: a step it needs (directly or not) failed
  not_run_interrupted,       // not run: Ctrl-C came first
};

// "done", "skipped_done", ... as in report.json.
std::string_view to_string(StepStatus status);

struct StepResult {
  std::string id;
  std::string title;
  StepStatus status = StepStatus::not_run_interrupted;
  std::chrono::milliseconds duration{};
  // failed: "step istio/east failed: helm exited with status 1 after 41s";
  // skipped_dependency_failed: "skipped: needs cluster/east, which failed".
  std::string error;
  // failed with a CommandError: its command line and last lines of output (exec::describe),
  // and "  full log: <path>" when the step had a log file.
  std::string detail;
  Facts facts;                       // done: what it learned; skipped_done: what should_skip gave
  std::vector<std::string> commands; // each command it ran, quoted for people
  std::optional<std::filesystem::path> log_path;
};

struct ExecuteResult {
  std::vector<StepResult> steps; // in plan order
  bool interrupted = false;
  // True when every step is done or skipped_done.
  bool ok() const;
  const StepResult* find(std::string_view id) const;
};

struct ExecuteOptions {
  int jobs = 4; // steps running at once; at least 1
  // Each step's log goes to <log_dir>/<step id>.log (an id's "/" makes subdirectories);
  // without a log_dir logs are discarded.
  std::optional<std::filesystem::path> log_dir;
  // Asked (from the step's worker thread, so checks run in parallel) before running a
  // step: facts of an earlier run when the journal says the step is done with the same
  // inputs and a cheap check confirms the world still matches; nullopt to run it.
  std::function<std::optional<Facts>(const Step&)> should_skip;
  // Called on the executor's thread, one at a time, as each step ends (done, skipped_done,
  // failed, interrupted): the place to save the journal, so a crash loses nothing.
  std::function<void(const StepResult&)> on_step_finished;
};

// Runs `plan` with `runner`, reporting through `status`. Returns how each step ended; a
// step's exception never escapes (it fails the step). Throws meshlab::Error only for bad
// options (jobs < 1).
ExecuteResult execute(const Plan& plan, exec::Runner& runner, ui::Status& status, const ExecuteOptions& options);

// Each step's commands, for plan_text / plan_json after a --dry-run execution.
CommandsByStep commands_by_step(const ExecuteResult& result);

// The result as report.json shows it: {"interrupted", "ok", "steps": [{"id", "title",
// "status", "duration_ms", "error", "commands", "log"}]}. Facts are left out: they may
// name things a report should not (the journal keeps them).
nlohmann::json to_json(const ExecuteResult& result);

} // namespace meshlab::plan

// `meshlab launch` as one library call: load the lab, render it into its state directory,
// lock it, build the plan and run it (or, with --dry-run, only show it), resuming from the
// journal, and end with a summary. The pieces are exposed for tests with stand-in plans.
#pragma once

#include "actions/launch_context.hpp"
#include "exec/runner.hpp"
#include "lab/model.hpp"
#include "plan/executor.hpp"
#include "plan/plan.hpp"
#include "ui/status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

namespace meshlab::actions {

enum class RunKind { real, dry_run };
enum class OutputFormat { text, json };

// The time a step may take before its commands are stopped; commands keep their own shorter
// timeouts. MESHLAB_STEP_TIMEOUT (seconds) overrides it, so a test of a hanging command is short.
inline constexpr std::chrono::minutes k_default_step_timeout{30};
inline constexpr int k_default_jobs = 4;

struct LaunchOptions {
  std::string lab_file;                               // empty: the built-in default lab
  std::optional<std::filesystem::path> templates_dir; // --templates DIR
  RunKind run = RunKind::real;
  int jobs = k_default_jobs;
  OutputFormat output = OutputFormat::text;
  int verbosity = 0; // > 0: each command line on stderr as it starts
};

// Runs `meshlab launch`. Progress and the summary go to `err`; `out` gets only what was
// asked for (the plan under --dry-run, report.json with --output json).
// Throws LabError for an invalid lab, meshlab::Error when the lab is busy, the user's
// kubeconfig is not valid, or (after the summary) a step failed: "launch of lab "x" did not
// finish: ...", and meshlab::Interrupted after Ctrl-C once the journal is saved.
void launch(const LaunchOptions& options, std::ostream& out, std::ostream& err);

// MESHLAB_STEP_TIMEOUT as a duration, else k_default_step_timeout. Throws meshlab::Error
// when it is set to something other than a positive number of seconds.
std::chrono::milliseconds step_timeout_from_env();

// A copy of `plan` whose steps each get `timeout`: once it has passed, every command the
// step runs through this runner (which must be under the one the plan is executed with, and
// the one providers are made with) fails at once, and a running one is stopped at the limit.
// Verify checks get it per command. A command without a log sink that runs on a step's
// thread (a provider's own runner) goes to that step's log.
class StepDeadlines : public exec::Runner {
public:
  StepDeadlines(exec::Runner& inner, std::chrono::milliseconds timeout) : m_inner(inner), m_timeout(timeout) {}
  plan::Plan apply(const plan::Plan& plan) const;
  exec::Completed run(const exec::Command& cmd) override;

private:
  exec::Runner& m_inner;
  std::chrono::milliseconds m_timeout;
};

// -v: each command line, as it starts, through the status display.
class VerboseRunner : public exec::Runner {
public:
  VerboseRunner(exec::Runner& inner, ui::Status& status) : m_inner(inner), m_status(status) {}
  exec::Completed run(const exec::Command& cmd) override;

private:
  exec::Runner& m_inner;
  ui::Status& m_status;
};

// The providers of one launch or delete: one object per lab provider, made on first use
// with `runner` and shared by every step (LaunchContext::provider).
class ProviderSet {
public:
  ProviderSet(exec::Runner& runner, std::filesystem::path state_dir)
      : m_runner(runner), m_state_dir(std::move(state_dir)) {}
  // Throws meshlab::Error for a provider this meshlab does not have.
  providers::Provider& get(lab::Provider kind);
  // A context for `lab` whose files are in this set's state directory; valid while both live.
  LaunchContext context(const lab::Lab& lab);

private:
  exec::Runner& m_runner;
  std::filesystem::path m_state_dir;
  std::mutex m_mutex;
  std::map<lab::Provider, std::unique_ptr<providers::Provider>> m_providers;
};

struct RunSettings {
  std::filesystem::path state_dir; // logs/, journal.json, report.json go here
  std::string lab_name;
  int jobs = k_default_jobs;
};

struct RunOutcome {
  plan::ExecuteResult result;
  nlohmann::json report; // as written to report.json
};

// Executes `plan` for real with `runner`: resumes from state_dir/journal.json (saved after
// every step), logs each step to state_dir/logs/<step>.log (checks to logs/checks.log), and
// writes state_dir/report.json, also after a failure or Ctrl-C. The caller holds the lock.
// Throws meshlab::Error when the journal or report cannot be written.
RunOutcome run_plan(const plan::Plan& plan, exec::Runner& runner, ui::Status& status, const RunSettings& settings);

} // namespace meshlab::actions

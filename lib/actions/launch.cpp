#include "actions/launch.hpp"

#include "actions/build_plan.hpp"
#include "actions/kubeconfig.hpp"
#include "actions/launch_summary.hpp"
#include "exec/dry_run_runner.hpp"
#include "exec/posix_runner.hpp"
#include "exec/quote.hpp"
#include "lab/load.hpp"
#include "render/render.hpp"
#include "state/journal.hpp"
#include "state/lock.hpp"
#include "state/report.hpp"
#include "state/resume.hpp"
#include "ui/make_status.hpp"
#include "ui/plain_status.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>


#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace meshlab::actions {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int k_precheck_parallelism = 8;

// The deadline of the step running on this thread (the executor gives each step a thread).
thread_local std::optional<Clock::time_point> t_step_deadline;
// And its runner (or the check's, in a verify): commands a provider runs through the runner
// it was made with belong to the step, in its log and its list of commands.
thread_local exec::Runner* t_step_runner = nullptr;

// Sets the step's thread-locals for one call and always clears them again.
class StepScope {
public:
  StepScope(exec::Runner& runner, std::optional<Clock::time_point> deadline) {
    t_step_runner = &runner;
    t_step_deadline = deadline;
  }
  ~StepScope() {
    t_step_runner = nullptr;
    t_step_deadline.reset();
  }
  StepScope(const StepScope&) = delete;
  StepScope& operator=(const StepScope&) = delete;
};

void render_lab(const lab::Lab& lab, const fs::path& dir, const std::optional<fs::path>& templates) {
  render::render_all(lab, render::RenderOptions{dir, templates});
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// A directory removed when the dry run ends, whatever happens.
class ScratchDir {
public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "meshlab-plan-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a temporary directory for the dry run");
    m_path = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
};

// --dry-run: renders into a scratch directory (with the lab's CA copied in, so nothing is
// generated that the real run would not reuse), runs the plan through DryRunRunner, one
// step at a time, and prints it with the commands each step would run, under the state
// directory's real paths. Nothing outside the scratch directory is written, no tool runs.
void dry_run(const lab::Lab& lab, const LaunchOptions& options, std::ostream& out, std::ostream& err) {
  const fs::path state_dir = lab.state_dir;
  ScratchDir scratch;
  lab::Lab planned = lab;
  if (fs::exists(state_dir / "ca")) {
    fs::copy(state_dir / "ca", scratch.path() / "ca", fs::copy_options::recursive);
  } else if (planned.ca.root_cert_file.empty()) {
    // A throwaway CA, thrown away with the scratch directory: P-256 keys take microseconds
    // where the RSA 4096 a launch generates takes seconds, and no command shows the keys.
    planned.ca.key_type = "ecdsa";
    planned.ca.key_size = 256;
  }
  render_lab(planned, scratch.path(), options.templates_dir);

  std::ostringstream ignored;
  exec::DryRunRunner runner(options.verbosity > 0 ? err : ignored);
  ProviderSet providers(runner, scratch.path());
  auto ctx = providers.context(planned);
  ctx.dry_run = true; // steps skip readiness waits and downloads a dry run cannot answer
  const auto plan = StepDeadlines(runner, k_default_step_timeout).apply(build_plan(ctx));
  ui::PlainStatus quiet(ignored);
  plan::ExecuteOptions execute_options;
  execute_options.jobs = 1;
  const auto result = plan::execute(plan, runner, quiet, execute_options);

  plan::CommandsByStep commands;
  for (const auto& [id, lines] : plan::commands_by_step(result))
    for (const auto& line : lines) commands[id].push_back(replace_all(line, scratch.path().string(), state_dir.string()));
  if (options.output == OutputFormat::json) {
    out << plan::plan_json(plan, commands).dump(2) << '\n';
  } else {
    out << plan::plan_text(plan, commands);
  }
  for (const auto& step : result.steps) {
    if (step.status != plan::StepStatus::failed) continue;
    err << fmt::format("note: the dry run of {} stopped early, so later commands of it are not shown: {}\n", step.id,
                       replace_all(step.error, scratch.path().string(), state_dir.string()));
  }
  if (result.interrupted) throw Interrupted();
}

} // namespace

exec::Completed ProviderRunner::run(const exec::Command& cmd) {
  return t_step_runner != nullptr ? t_step_runner->run(cmd) : m_inner.run(cmd);
}

exec::Completed VerboseRunner::run(const exec::Command& cmd) {
  m_status.info("$ " + exec::quote(cmd.argv));
  return m_inner.run(cmd);
}

providers::Provider& ProviderSet::get(lab::Provider kind) {
  const std::lock_guard lock(m_mutex);
  auto& slot = m_providers[kind];
  if (!slot) slot = providers::make(lab::to_string(kind), m_runner, m_state_dir);
  return *slot;
}

LaunchContext ProviderSet::context(const lab::Lab& lab) {
  return LaunchContext{lab, m_state_dir, [this](lab::Provider kind) -> providers::Provider& { return get(kind); }};
}

milliseconds step_timeout_from_env() {
  const char* text = std::getenv("MESHLAB_STEP_TIMEOUT");
  if (text == nullptr || *text == '\0') return k_default_step_timeout;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (end == text || *end != '\0' || !std::isfinite(seconds) || seconds <= 0)
    throw Error(fmt::format("MESHLAB_STEP_TIMEOUT: \"{}\" is not a positive number of seconds", text));
  return milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
}

plan::Plan StepDeadlines::apply(const plan::Plan& plan) const {
  plan::PlanBuilder builder;
  for (auto step : plan.steps()) {
    step.run = [run = std::move(step.run), timeout = m_timeout](plan::StepContext& ctx) {
      const StepScope scope(ctx.runner, Clock::now() + timeout);
      run(ctx);
    };
    if (step.verify) {
      step.verify = [verify = std::move(step.verify)](exec::Runner& runner) {
        const StepScope scope(runner, std::nullopt);
        return verify(runner);
      };
    }
    builder.add(std::move(step));
  }
  return builder.build();
}

exec::Completed StepDeadlines::run(const exec::Command& cmd) {
  exec::Command capped = cmd;
  if (t_step_deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(*t_step_deadline - Clock::now());
    if (left <= milliseconds(0))
      throw Error(fmt::format("the step ran out of its time limit ({}) before {} could start",
                              ui::format_duration(m_timeout),
                              cmd.argv.empty() ? std::string("a command") : cmd.argv.front()));
    capped.timeout = std::min(capped.timeout, left);
  } else {
    capped.timeout = std::min(capped.timeout, m_timeout);
  }
  return m_inner.run(capped);
}

RunOutcome run_plan(const plan::Plan& plan, exec::Runner& runner, ui::Status& status, const RunSettings& settings) {
  const auto logs = settings.state_dir / "logs";
  fs::create_directories(logs);
  auto journal = state::Journal::load(settings.state_dir / state::k_journal_file);
  if (!journal.warning().empty()) status.warn(journal.warning());
  std::ofstream check_log(logs / "checks.log", std::ios::out | std::ios::trunc);
  check_log << "# The resume checks share what they read (actions/snapshot.hpp): each command appears under\n"
               "# the first check that needed its answer.\n";
  state::Resume resume(journal, plan, runner, &check_log);
  const auto started_at = state::utc_now();

  // Checks are cheap reads; an up lab should not wait for them one level at a time.
  const auto checks_begin = Clock::now();
  resume.precheck(std::max(settings.jobs, k_precheck_parallelism));
  const auto checks = std::chrono::duration_cast<milliseconds>(Clock::now() - checks_begin);
  plan::ExecuteOptions options;
  options.jobs = settings.jobs;
  options.log_dir = logs;
  resume.attach(options);
  state::StepClock clock(status);
  RunOutcome outcome;
  outcome.result = plan::execute(plan, runner, clock, options);
  outcome.report = state::make_report(settings.lab_name, started_at, plan, outcome.result, clock, checks);
  util::write_file_atomic(settings.state_dir / state::k_report_file, outcome.report.dump(2) + "\n");
  return outcome;
}

void launch(const LaunchOptions& options, std::ostream& out, std::ostream& err) {
  const lab::Lab lab = lab::load_valid_lab(options.lab_file);
  if (options.jobs < 1) throw UsageError(fmt::format("--jobs must be at least 1, not {}", options.jobs));
  if (options.run == RunKind::dry_run) return dry_run(lab, options, out, err);

  const auto step_timeout = step_timeout_from_env();
  check_user_kubeconfig(); // a broken kubeconfig stops the launch before anything is created
  const fs::path state_dir = lab.state_dir;
  const auto lock = state::LabLock::acquire(state_dir, lab.name);
  render_lab(lab, state_dir, options.templates_dir);

  auto status = ui::make_status(err, 2);
  exec::PosixRunner posix;
  StepDeadlines deadlines(posix, step_timeout);
  VerboseRunner verbose(deadlines, *status);
  exec::Runner& runner = options.verbosity > 0 ? static_cast<exec::Runner&>(verbose) : deadlines;
  ProviderSet providers(runner, state_dir);
  const auto ctx = providers.context(lab);
  check_tools(ctx, runner);
  const auto plan = deadlines.apply(build_plan(ctx));

  const auto outcome = run_plan(plan, runner, *status, {state_dir, lab.name, options.jobs});
  if (options.output == OutputFormat::json) out << outcome.report.dump(2) << '\n';
  if (outcome.result.interrupted) throw Interrupted();
  if (!outcome.result.ok()) {
    err << failure_summary(outcome.result);
    throw Error(failure_headline(lab.name, outcome.result));
  }
  err << success_summary(ctx, outcome.result, outcome.report);
}

} // namespace meshlab::actions

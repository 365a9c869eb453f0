#include "plan/executor.hpp"

#include "exec/check.hpp"
#include "exec/quote.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace meshlab::plan {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often the scheduler looks at the interrupt flag while no step finishes.
constexpr milliseconds k_interrupt_poll{100};

// The runner a step sees: logs each command to the step's log (unless the command names
// its own sink) and remembers its command line for the report.
class StepRunner : public exec::Runner {
public:
  StepRunner(exec::Runner& inner, std::ostream& log) : m_inner(inner), m_log(log) {}

  exec::Completed run(const exec::Command& cmd) override {
    {
      const std::lock_guard lock(m_mutex);
      m_commands.push_back(exec::quote(cmd.argv));
    }
    if (cmd.log != nullptr) return m_inner.run(cmd);
    exec::Command logged = cmd;
    logged.log = &m_log;
    return m_inner.run(logged);
  }

  std::vector<std::string> commands() const {
    const std::lock_guard lock(m_mutex);
    return m_commands;
  }

private:
  exec::Runner& m_inner;
  std::ostream& m_log;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_commands;
};

// <log_dir>/<id>.log, with anything but [A-Za-z0-9._@-] in a path segment replaced, so
// an id built from lab names can never point outside log_dir.
std::filesystem::path log_file_for(const std::filesystem::path& log_dir, std::string_view id) {
  std::filesystem::path path = log_dir;
  std::size_t start = 0;
  while (start <= id.size()) {
    const auto end = std::min(id.find('/', start), id.size());
    std::string segment(id.substr(start, end - start));
    for (auto& c : segment) {
      const bool safe = std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("._@-").find(c) != std::string_view::npos;
      if (!safe) c = '_';
    }
    if (segment.empty() || segment == "." || segment == "..") segment = "_";
    start = end + 1;
    path /= end == id.size() ? segment + ".log" : segment;
  }
  return path;
}

ui::Outcome outcome_of(StepStatus status) {
  switch (status) {
  case StepStatus::done: return ui::Outcome::done;
  case StepStatus::skipped_done: return ui::Outcome::already_done;
  case StepStatus::interrupted: return ui::Outcome::interrupted;
  default: return ui::Outcome::failed;
  }
}

// Everything one execute() call shares between its scheduler and its workers.
class Execution {
public:
  Execution(const Plan& plan, exec::Runner& runner, ui::Status& status, const ExecuteOptions& options)
      : m_plan(plan), m_runner(runner), m_status(status), m_options(options), m_results(plan.size()),
        m_waiting(plan.size()), m_dependents(plan.size()) {
    std::map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < plan.size(); ++i) index.emplace(plan.steps()[i].id, i);
    for (std::size_t i = 0; i < plan.size(); ++i) {
      std::set<std::size_t> needs;
      for (const auto& need : plan.steps()[i].needs) needs.insert(index.at(need));
      m_waiting[i] = needs.size();
      for (const auto need : needs) m_dependents[need].push_back(i);
      if (needs.empty()) m_ready.insert(i);
    }
  }

  ExecuteResult run();

private:
  void start(std::size_t i);
  StepResult run_step(std::size_t i, const std::map<std::string, Facts>& earlier);
  void record(std::size_t i, StepResult result);
  ExecuteResult collect();

  const Plan& m_plan;
  exec::Runner& m_runner;
  ui::Status& m_status;
  const ExecuteOptions& m_options;

  std::mutex m_mutex;
  std::condition_variable m_step_ended;
  std::deque<std::pair<std::size_t, StepResult>> m_ended; // by workers, for the scheduler
  std::map<std::size_t, std::thread> m_workers;

  // The scheduler's alone.
  std::vector<std::optional<StepResult>> m_results;
  std::vector<std::size_t> m_waiting;                // unfinished needs per step
  std::vector<std::vector<std::size_t>> m_dependents;
  std::set<std::size_t> m_ready;                     // by plan position: plan order first
  std::map<std::string, Facts> m_facts;              // of finished steps, by id
};

ExecuteResult Execution::run() {
  m_status.begin(m_plan.size());
  std::exception_ptr callback_error;
  std::unique_lock lock(m_mutex);
  for (;;) {
    while (!m_ended.empty()) {
      auto [i, result] = std::move(m_ended.front());
      m_ended.pop_front();
      auto worker = std::move(m_workers.at(i));
      m_workers.erase(i);
      lock.unlock();
      worker.join();
      try {
        if (m_options.on_step_finished) m_options.on_step_finished(result);
      } catch (...) {
        if (!callback_error) callback_error = std::current_exception();
      }
      record(i, std::move(result));
      lock.lock();
    }
    const bool stop = util::interrupted() || callback_error != nullptr;
    while (!stop && m_workers.size() < static_cast<std::size_t>(m_options.jobs) && !m_ready.empty()) {
      const auto next = *m_ready.begin();
      m_ready.erase(m_ready.begin());
      start(next);
    }
    if (m_workers.empty() && m_ended.empty() && (m_ready.empty() || stop)) break;
    m_step_ended.wait_for(lock, k_interrupt_poll, [this] { return !m_ended.empty(); });
  }
  lock.unlock();
  m_status.end();
  if (callback_error) std::rethrow_exception(callback_error);
  return collect();
}

// With m_mutex held.
void Execution::start(std::size_t i) {
  m_workers.emplace(i, std::thread([this, i, earlier = m_facts] {
    auto result = run_step(i, earlier);
    const std::lock_guard lock(m_mutex);
    m_ended.emplace_back(i, std::move(result));
    m_step_ended.notify_one();
  }));
}

StepResult Execution::run_step(std::size_t i, const std::map<std::string, Facts>& earlier) {
  const Step& step = m_plan.steps()[i];
  StepResult result{step.id, step.title};
  const auto begin = Clock::now();
  std::ofstream file;
  std::ostream discard(nullptr);
  std::ostream* log = &discard;
  std::optional<StepRunner> runner;
  try {
    if (m_options.should_skip) {
      if (auto facts = m_options.should_skip(step)) {
        result.status = StepStatus::skipped_done;
        result.facts = std::move(*facts);
        m_status.step_finished(step.id, step.title, ui::Outcome::already_done, milliseconds(0));
        return result;
      }
    }
    if (m_options.log_dir) {
      result.log_path = log_file_for(*m_options.log_dir, step.id);
      std::filesystem::create_directories(result.log_path->parent_path());
      file.open(*result.log_path, std::ios::out | std::ios::trunc);
      if (!file) throw Error(fmt::format("cannot write the log file {}", result.log_path->string()));
      log = &file;
    }
    *log << "# step " << step.id << ": " << step.title << '\n';
    m_status.step_started(step.id, step.title);
    runner.emplace(m_runner, *log);
    StepContext context{*runner, m_status, *log, result.log_path, earlier, {}};
    step.run(context);
    result.status = StepStatus::done;
    result.facts = std::move(context.facts);
  } catch (const Interrupted&) {
    result.status = StepStatus::interrupted;
    result.error = fmt::format("step {} was interrupted", step.id);
  } catch (const CommandError& e) {
    result.status = StepStatus::failed;
    result.error = fmt::format("step {} failed: {}", step.id, e.what());
    result.detail = exec::describe(e);
  } catch (const std::exception& e) {
    result.status = StepStatus::failed;
    result.error = fmt::format("step {} failed: {}", step.id, e.what());
  } catch (...) {
    result.status = StepStatus::failed;
    result.error = fmt::format("step {} failed: unknown error", step.id);
  }
  result.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - begin);
  if (runner) result.commands = runner->commands();
  if (result.status != StepStatus::done) {
    *log << result.error << '\n' << result.detail;
    if (result.log_path) result.detail += "  full log: " + result.log_path->string() + "\n";
  }
  log->flush();
  m_status.step_finished(step.id, step.title, outcome_of(result.status), result.duration);
  return result;
}

// The scheduler's bookkeeping when step `i` ended.
void Execution::record(std::size_t i, StepResult result) {
  const bool succeeded = result.status == StepStatus::done || result.status == StepStatus::skipped_done;
  if (succeeded) {
    m_facts[result.id] = result.facts;
    for (const auto dependent : m_dependents[i]) {
      if (--m_waiting[dependent] == 0) m_ready.insert(dependent);
    }
  }
  m_results[i] = std::move(result);
}

// Every step's result, giving the steps that never started their reason.
ExecuteResult Execution::collect() {
  ExecuteResult result;
  std::vector<std::string> failed_root(m_plan.size()); // the failed step behind a skip
  for (std::size_t i = 0; i < m_plan.size(); ++i) {
    const Step& step = m_plan.steps()[i];
    if (!m_results[i]) {
      StepResult skipped{step.id, step.title, StepStatus::not_run_interrupted};
      for (const auto& need : step.needs) {
        const auto* need_result = result.find(need);
        if (need_result->status == StepStatus::failed) failed_root[i] = need;
        if (need_result->status == StepStatus::skipped_dependency_failed) {
          const auto position = static_cast<std::size_t>(need_result - result.steps.data());
          failed_root[i] = failed_root[position];
        }
        if (!failed_root[i].empty()) break;
      }
      if (!failed_root[i].empty()) {
        skipped.status = StepStatus::skipped_dependency_failed;
        skipped.error = fmt::format("skipped: {} failed", failed_root[i]);
      }
      m_results[i] = std::move(skipped);
    }
    if (m_results[i]->status == StepStatus::interrupted) result.interrupted = true;
    result.steps.push_back(std::move(*m_results[i]));
  }
  result.interrupted = result.interrupted || util::interrupted();
  return result;
}

} // namespace

std::string_view to_string(StepStatus status) {
  switch (status) {
  case StepStatus::done: return "done";
  case StepStatus::skipped_done: return "skipped_done";
  case StepStatus::failed: return "failed";
  case StepStatus::interrupted: return "interrupted";
  case StepStatus::skipped_dependency_failed: return "skipped_dependency_failed";
  case StepStatus::not_run_interrupted: return "not_run_interrupted";
  }
  return "unknown";
}

bool ExecuteResult::ok() const {
  return std::all_of(steps.begin(), steps.end(), [](const StepResult& s) {
    return s.status == StepStatus::done || s.status == StepStatus::skipped_done;
  });
}

const StepResult* ExecuteResult::find(std::string_view id) const {
  const auto found = std::find_if(steps.begin(), steps.end(), [&](const StepResult& s) { return s.id == id; });
  return found == steps.end() ? nullptr : &*found;
}

ExecuteResult execute(const Plan& plan, exec::Runner& runner, ui::Status& status, const ExecuteOptions& options) {
  if (options.jobs < 1) throw Error(fmt::format("--jobs must be at least 1, not {}", options.jobs));
  return Execution(plan, runner, status, options).run();
}

CommandsByStep commands_by_step(const ExecuteResult& result) {
  CommandsByStep commands;
  for (const auto& step : result.steps) {
    if (!step.commands.empty()) commands[step.id] = step.commands;
  }
  return commands;
}

nlohmann::json to_json(const ExecuteResult& result) {
  auto steps = nlohmann::json::array();
  for (const auto& step : result.steps) {
    steps.push_back({{"id", step.id},
                     {"title", step.title},
                     {"status", to_string(step.status)},
                     {"duration_ms", step.duration.count()},
                     {"error", step.error},
                     {"commands", step.commands},
                     {"log", step.log_path ? nlohmann::json(step.log_path->string()) : nlohmann::json(nullptr)}});
  }
  return nlohmann::json{{"interrupted", result.interrupted}, {"ok", result.ok()}, {"steps", std::move(steps)}};
}

} // namespace meshlab::plan

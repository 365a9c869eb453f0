// report.json: how a launch went, step by step (status, duration, commands, log, start
// and end), with totals, per-phase times and meshlab's own CPU time and memory, written
// after every run for people, CI and bench/launch.
#pragma once

#include "plan/executor.hpp"
#include "plan/plan.hpp"
#include "ui/status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::state {

using std::chrono::milliseconds;

// Name of the report in the state directory.
inline constexpr std::string_view k_report_file = "report.json";

// A Status that passes everything on to another one and notes when each step started and
// ended, since begin(): the executor reports durations only, a timeline needs both ends.
class StepClock : public ui::Status {
public:
  struct Span {
    milliseconds start{};
    milliseconds end{};
  };

  explicit StepClock(ui::Status& inner) : m_inner(inner) {}

  void begin(std::size_t total_steps) override;
  void step_started(std::string_view id, std::string_view title) override;
  void step_finished(std::string_view id, std::string_view title, ui::Outcome outcome,
                     milliseconds duration) override;
  void info(std::string_view message) override { m_inner.info(message); }
  void warn(std::string_view message) override { m_inner.warn(message); }
  void end() override;

  // By step id; a step skipped without starting has start == end.
  std::map<std::string, Span> spans() const;
  // From begin() to end() (or to now while running).
  milliseconds elapsed() const;

private:
  using Clock = std::chrono::steady_clock;
  milliseconds since_begin() const;

  ui::Status& m_inner;
  mutable std::mutex m_mutex;
  Clock::time_point m_begin = Clock::now();
  std::optional<Clock::time_point> m_end;
  std::map<std::string, Span> m_spans;
};

// The longest chain of needs, by the sum of its steps' durations: what the run would take
// with unlimited parallelism and no overhead. Steps that did not run count as 0.
milliseconds critical_path(const plan::Plan& plan, const plan::ExecuteResult& result);

// Wall time per phase (a step id's first segment: "cluster", "argocd", ...), from the first
// start to the last end among the phase's steps that ran, in plan order of first appearance.
std::vector<std::pair<std::string, milliseconds>> phase_times(const plan::Plan& plan,
                                                              const std::map<std::string, StepClock::Span>& spans,
                                                              const plan::ExecuteResult& result);

// This process's CPU time and peak resident memory so far (getrusage RUSAGE_SELF: the
// tools it ran are not counted).
struct Usage {
  milliseconds user_cpu{};
  milliseconds system_cpu{};
  long max_rss_kb = 0;
};
Usage self_usage();

// The report: plan::to_json(result) with each step's needs, start_ms and end_ms added, and
//   "lab", "started_at", "totals": {"wall_ms", "checks_ms", "critical_path_ms", "steps", <status>: n...},
//   "phases": [{"phase", "wall_ms"}], "meshlab": {"user_cpu_ms", "system_cpu_ms", "max_rss_kb"}.
// wall_ms is `checks` (the resume checks before the plan started) plus the clock's time.
nlohmann::json make_report(std::string_view lab_name, std::string_view started_at, const plan::Plan& plan,
                           const plan::ExecuteResult& result, const StepClock& clock,
                           milliseconds checks = milliseconds{});

} // namespace meshlab::state

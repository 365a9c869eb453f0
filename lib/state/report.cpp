#include "state/report.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace meshlab::state {

void StepClock::begin(std::size_t total_steps) {
  {
    const std::lock_guard lock(m_mutex);
    m_begin = Clock::now();
    m_end.reset();
    m_spans.clear();
  }
  m_inner.begin(total_steps);
}

void StepClock::step_started(std::string_view id, std::string_view title) {
  {
    const std::lock_guard lock(m_mutex);
    const auto now = since_begin();
    m_spans[std::string(id)] = Span{now, now};
  }
  m_inner.step_started(id, title);
}

void StepClock::step_finished(std::string_view id, std::string_view title, ui::Outcome outcome,
                              milliseconds duration) {
  {
    const std::lock_guard lock(m_mutex);
    const auto now = since_begin();
    auto [span, inserted] = m_spans.try_emplace(std::string(id), Span{now, now});
    span->second.end = now;
  }
  m_inner.step_finished(id, title, outcome, duration);
}

void StepClock::end() {
  {
    const std::lock_guard lock(m_mutex);
    m_end = Clock::now();
  }
  m_inner.end();
}

std::map<std::string, StepClock::Span> StepClock::spans() const {
  const std::lock_guard lock(m_mutex);
  return m_spans;
}

milliseconds StepClock::elapsed() const {
  const std::lock_guard lock(m_mutex);
  return std::chrono::duration_cast<milliseconds>(m_end.value_or(Clock::now()) - m_begin);
}

// With m_mutex held.
milliseconds StepClock::since_begin() const {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - m_begin);
}

milliseconds critical_path(const plan::Plan& plan, const plan::ExecuteResult& result) {
  std::map<std::string, milliseconds> finish; // longest chain ending with each step
  milliseconds longest{};
  for (const auto& step : plan.steps()) { // needs come first in plan order
    milliseconds start{};
    for (const auto& need : step.needs) start = std::max(start, finish.at(need));
    const auto* step_result = result.find(step.id);
    const auto duration = step_result == nullptr ? milliseconds{} : step_result->duration;
    finish[step.id] = start + duration;
    longest = std::max(longest, finish[step.id]);
  }
  return longest;
}

std::vector<std::pair<std::string, milliseconds>> phase_times(const plan::Plan& plan,
                                                              const std::map<std::string, StepClock::Span>& spans,
                                                              const plan::ExecuteResult& result) {
  std::vector<std::pair<std::string, StepClock::Span>> phases;
  for (const auto& step : plan.steps()) {
    const auto* step_result = result.find(step.id);
    const auto span = spans.find(step.id);
    if (step_result == nullptr || span == spans.end() || step_result->status == plan::StepStatus::skipped_done) continue;
    const std::string phase = step.id.substr(0, step.id.find('/'));
    auto found = std::find_if(phases.begin(), phases.end(), [&](const auto& p) { return p.first == phase; });
    if (found == phases.end()) {
      phases.emplace_back(phase, span->second);
    } else {
      found->second.start = std::min(found->second.start, span->second.start);
      found->second.end = std::max(found->second.end, span->second.end);
    }
  }
  std::vector<std::pair<std::string, milliseconds>> times;
  for (const auto& [phase, span] : phases) times.emplace_back(phase, span.end - span.start);
  return times;
}

Usage self_usage() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& tv) { return milliseconds(tv.tv_sec * 1000 + tv.tv_usec / 1000); };
  return Usage{ms(usage.ru_utime), ms(usage.ru_stime), usage.ru_maxrss};
}

nlohmann::json make_report(std::string_view lab_name, std::string_view started_at, const plan::Plan& plan,
                           const plan::ExecuteResult& result, const StepClock& clock, milliseconds checks) {
  auto report = plan::to_json(result);
  const auto spans = clock.spans();
  for (auto& step : report["steps"]) {
    const auto id = step["id"].get<std::string>();
    const auto* planned = plan.find(id);
    step["needs"] = planned == nullptr ? std::vector<std::string>{} : planned->needs;
    const auto span = spans.find(id);
    step["start_ms"] = span == spans.end() ? nlohmann::json(nullptr) : nlohmann::json(span->second.start.count());
    step["end_ms"] = span == spans.end() ? nlohmann::json(nullptr) : nlohmann::json(span->second.end.count());
  }
  nlohmann::json totals{{"wall_ms", (checks + clock.elapsed()).count()},
                        {"checks_ms", checks.count()},
                        {"critical_path_ms", critical_path(plan, result).count()},
                        {"steps", result.steps.size()}};
  for (const auto& step : result.steps) {
    const std::string status(plan::to_string(step.status));
    totals[status] = totals.value(status, 0) + 1;
  }
  auto phases = nlohmann::json::array();
  for (const auto& [phase, wall] : phase_times(plan, spans, result))
    phases.push_back({{"phase", phase}, {"wall_ms", wall.count()}});
  const auto usage = self_usage();
  report["lab"] = lab_name;
  report["started_at"] = started_at;
  report["totals"] = std::move(totals);
  report["phases"] = std::move(phases);
  report["meshlab"] = {{"user_cpu_ms", usage.user_cpu.count()},
                       {"system_cpu_ms", usage.system_cpu.count()},
                       {"max_rss_kb", usage.max_rss_kb}};
  return report;
}

} // namespace meshlab::state

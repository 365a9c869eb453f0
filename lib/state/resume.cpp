#include "state/resume.hpp"

#include "net/http.hpp"
#include "util/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace meshlab::state {

namespace {

// Runs checks with their output kept for the check log rather than a step log. A check may
// run its commands side by side (a read per kind node): each command logs into a buffer of
// its own, appended whole when it ends.
class CheckRunner : public exec::Runner {
public:
  CheckRunner(exec::Runner& inner, std::ostream& log) : m_inner(inner), m_log(log) {}
  exec::Completed run(const exec::Command& cmd) override {
    std::ostringstream own;
    exec::Command logged = cmd;
    logged.log = &own;
    try {
      auto done = m_inner.run(logged);
      append(own.str());
      return done;
    } catch (...) {
      append(own.str());
      throw;
    }
  }

private:
  void append(const std::string& text) {
    const std::lock_guard lock(m_mutex);
    m_log << text;
  }
  exec::Runner& m_inner;
  std::ostream& m_log;
  std::mutex m_mutex;
};

} // namespace

std::map<std::string, std::string> chained_hashes(const plan::Plan& plan) {
  std::map<std::string, std::string> chained;
  // Plan order puts every step after its needs, so their hashes are known here.
  for (const auto& step : plan.steps()) {
    nlohmann::json needs = nlohmann::json::object();
    for (const auto& need : step.needs) needs[need] = chained.at(need);
    const nlohmann::json input{{"id", step.id}, {"inputs", step.inputs_hash}, {"needs", std::move(needs)}};
    chained[step.id] = net::sha256_hex(input.dump());
  }
  return chained;
}

Resume::Resume(Journal& journal, const plan::Plan& plan, exec::Runner& checks, std::ostream* check_log)
    : m_journal(journal), m_plan(plan), m_checks(checks), m_check_log(check_log), m_chained(chained_hashes(plan)) {}

std::string Resume::effective_hash(const std::string& id) const {
  const std::lock_guard lock(m_mutex);
  return effective_hash_locked(id, m_facts);
}

std::string Resume::effective_hash_locked(const std::string& id,
                                          const std::map<std::string, plan::Facts>& known) const {
  const plan::Step* step = m_plan.find(id);
  if (step == nullptr) throw Error("internal error: no step \"" + id + "\" in the plan");
  nlohmann::json facts = nlohmann::json::object();
  for (const auto& need : step->needs) {
    const auto found = known.find(need);
    facts[need] = found == known.end() ? plan::Facts{} : found->second;
  }
  const nlohmann::json input{{"chained", m_chained.at(id)}, {"needs_facts", std::move(facts)}};
  return net::sha256_hex(input.dump());
}

void Resume::precheck(int parallelism) {
  std::vector<const plan::Step*> candidates;
  {
    const std::lock_guard lock(m_mutex);
    std::map<std::string, plan::Facts> recorded; // the facts every step has if it is skipped
    for (const auto& entry : m_journal.entries()) recorded[entry.id] = entry.facts;
    for (const auto& step : m_plan.steps()) {
      const JournalEntry* entry = m_journal.find(step.id);
      if (step.verify && entry != nullptr && entry->inputs_hash == effective_hash_locked(step.id, recorded))
        candidates.push_back(&step);
    }
  }
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (auto i = next++; i < candidates.size(); i = next++) {
      bool ok = false;
      try {
        ok = verified(*candidates[i]);
      } catch (const Interrupted&) { // the executor sees the flag and stops
      }
      const std::lock_guard lock(m_mutex);
      m_prechecked[candidates[i]->id] = ok;
    }
  };
  std::vector<std::thread> threads;
  const auto count = std::min(candidates.size(), static_cast<std::size_t>(std::max(parallelism, 1)));
  for (std::size_t t = 0; t < count; ++t) threads.emplace_back(work);
  for (auto& thread : threads) thread.join();
}

std::optional<plan::Facts> Resume::should_skip(const plan::Step& step) {
  plan::Facts facts;
  std::optional<bool> prechecked;
  {
    const std::lock_guard lock(m_mutex);
    const JournalEntry* entry = m_journal.find(step.id);
    if (entry == nullptr || entry->inputs_hash != effective_hash_locked(step.id, m_facts)) return std::nullopt;
    facts = entry->facts;
    const bool world_unchanged = std::all_of(step.needs.begin(), step.needs.end(),
                                             [&](const std::string& need) { return m_skipped.count(need) > 0; });
    if (const auto found = m_prechecked.find(step.id); found != m_prechecked.end() && world_unchanged)
      prechecked = found->second;
  }
  if (step.verify && !(prechecked ? *prechecked : verified(step))) return std::nullopt;
  return facts;
}

bool Resume::verified(const plan::Step& step) {
  std::ostringstream log;
  log << "# check " << step.id << '\n';
  bool ok = false;
  try {
    CheckRunner runner(m_checks, log);
    ok = step.verify(runner);
    log << "# " << (ok ? "still done" : "needs to run again") << "\n";
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    log << "# the check failed, so the step runs again: " << e.what() << '\n';
  }
  if (m_check_log != nullptr) {
    const std::lock_guard lock(m_log_mutex);
    *m_check_log << log.str() << std::flush;
  }
  return ok;
}

void Resume::on_step_finished(const plan::StepResult& result) {
  const std::lock_guard lock(m_mutex);
  switch (result.status) {
  case plan::StepStatus::done:
    m_facts[result.id] = result.facts;
    m_journal.record({result.id, effective_hash_locked(result.id, m_facts), result.facts, utc_now()});
    m_journal.save();
    break;
  case plan::StepStatus::skipped_done:
    m_facts[result.id] = result.facts; // the journal already says so
    m_skipped.insert(result.id);
    break;
  case plan::StepStatus::failed:
  case plan::StepStatus::interrupted:
    if (m_journal.find(result.id) != nullptr) {
      m_journal.forget(result.id);
      m_journal.save();
    }
    break;
  default: break;
  }
}

void Resume::attach(plan::ExecuteOptions& options) {
  options.should_skip = [this](const plan::Step& step) { return should_skip(step); };
  options.on_step_finished = [this](const plan::StepResult& result) { on_step_finished(result); };
}

} // namespace meshlab::state

#include "state/resume.hpp"

#include "net/http.hpp"
#include "util/error.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

namespace meshlab::state {

namespace {

// Runs checks with their output kept for the check log rather than a step log.
class CheckRunner : public exec::Runner {
public:
  CheckRunner(exec::Runner& inner, std::ostream& log) : m_inner(inner), m_log(log) {}
  exec::Completed run(const exec::Command& cmd) override {
    exec::Command logged = cmd;
    logged.log = &m_log;
    return m_inner.run(logged);
  }

private:
  exec::Runner& m_inner;
  std::ostream& m_log;
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
  return effective_hash_locked(id);
}

std::string Resume::effective_hash_locked(const std::string& id) const {
  const plan::Step* step = m_plan.find(id);
  if (step == nullptr) throw Error("internal error: no step \"" + id + "\" in the plan");
  nlohmann::json facts = nlohmann::json::object();
  for (const auto& need : step->needs) {
    const auto found = m_facts.find(need);
    facts[need] = found == m_facts.end() ? plan::Facts{} : found->second;
  }
  const nlohmann::json input{{"chained", m_chained.at(id)}, {"needs_facts", std::move(facts)}};
  return net::sha256_hex(input.dump());
}

std::optional<plan::Facts> Resume::should_skip(const plan::Step& step) {
  plan::Facts facts;
  {
    const std::lock_guard lock(m_mutex);
    const JournalEntry* entry = m_journal.find(step.id);
    if (entry == nullptr || entry->inputs_hash != effective_hash_locked(step.id)) return std::nullopt;
    facts = entry->facts;
  }
  if (step.verify && !verified(step)) return std::nullopt;
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
    m_journal.record({result.id, effective_hash_locked(result.id), result.facts, utc_now()});
    m_journal.save();
    break;
  case plan::StepStatus::skipped_done:
    m_facts[result.id] = result.facts; // the journal already says so
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

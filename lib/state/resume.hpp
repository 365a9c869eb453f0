// Resuming a launch: which steps an earlier run already did (journal says done with the
// same inputs, and the step's cheap check confirms the world still matches), and keeping
// the journal current as steps end, so an interrupted or failed run loses nothing.
#pragma once

#include "exec/runner.hpp"
#include "plan/executor.hpp"
#include "plan/plan.hpp"
#include "state/journal.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>

namespace meshlab::state {

// Each step's inputs_hash with its needs' chained hashes folded in (by id), so a change to
// one step's inputs changes the hash of every step that comes after it.
std::map<std::string, std::string> chained_hashes(const plan::Plan& plan);

class Resume {
public:
  // `journal` is saved after every step that ran. `checks` runs the steps' verify functions;
  // each check's commands and output go to `check_log` (nullptr: nowhere).
  Resume(Journal& journal, const plan::Plan& plan, exec::Runner& checks, std::ostream* check_log = nullptr);

  // Runs, `parallelism` at a time, the verify check of every step the journal has as done
  // with the inputs it would have if everything before it is skipped too, before the plan
  // starts: on an up lab every check then runs at once instead of one dependency level
  // after another. should_skip uses a step's answer only when all its needs were skipped
  // (the world it checked has not changed since); otherwise it checks again.
  void precheck(int parallelism);

  // For ExecuteOptions::should_skip (thread-safe): the recorded facts when the journal has
  // the step with the same effective hash and its verify (if any) returns true; nullopt to
  // run it. A check that throws counts as "no" (it is logged), except on Ctrl-C.
  std::optional<plan::Facts> should_skip(const plan::Step& step);

  // For ExecuteOptions::on_step_finished: records a done step (and saves the journal),
  // forgets a failed or interrupted one (its effect is unknown now). Throws meshlab::Error
  // when the journal cannot be written.
  void on_step_finished(const plan::StepResult& result);

  // Sets both hooks of `options` to this object.
  void attach(plan::ExecuteOptions& options);

  // What the journal records for step `id` in this run: its chained hash together with the
  // facts its needs produced in this run (so a need that re-ran and learned something new,
  // e.g. a recreated VM's address, re-runs its dependents). Valid once the needs finished.
  std::string effective_hash(const std::string& id) const;

private:
  // `facts`: the facts of the step's needs, by id.
  std::string effective_hash_locked(const std::string& id, const std::map<std::string, plan::Facts>& facts) const;
  bool verified(const plan::Step& step);

  Journal& m_journal;
  const plan::Plan& m_plan;
  exec::Runner& m_checks;
  std::ostream* m_check_log;
  std::map<std::string, std::string> m_chained;
  mutable std::mutex m_mutex;                  // m_journal, m_facts
  std::map<std::string, plan::Facts> m_facts;  // of steps done in this run, by id
  std::set<std::string> m_skipped;             // steps skipped in this run
  std::map<std::string, bool> m_prechecked;    // verify answers from precheck()
  std::mutex m_log_mutex;
};

} // namespace meshlab::state

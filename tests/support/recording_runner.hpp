// A Runner for unit tests: records every Command and answers with scripted results, so
// step and provider logic is tested without starting processes.
#pragma once

#include "exec/runner.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <mutex>
#include <variant>
#include <vector>

namespace meshlab::test {

using exec::Argv;

// Usage:
//   RecordingRunner runner;
//   runner.on({"multipass", "list", "--format", "json"}, {.out = R"({"list": []})"});
//   runner.on_prefix({"kubectl", "--context", "mesh-east"}, {.exit_code = 1, .err = "..."});
//   runner.on({"kind", "get", "clusters"}, [](const exec::Command& cmd) { ...; return exec::Completed{}; });
//   ... code under test ...
//   CHECK(runner.argvs().back() == Argv{"multipass", "launch", ...});
//   CHECK(runner.calls().back().input == cloud_init);
// A command matches the rule with exactly its argv first, else the rule with the longest
// matching prefix; among equals the latest added. Unmatched commands succeed with no
// output. Scripting the same rule again queues results: each call takes the next one and
// the last one repeats ("not ready", "not ready", "ready"). Thread-safe; handlers run
// without the lock held, so they may block (to prove steps overlap).
class RecordingRunner : public exec::Runner {
public:
  using Handler = std::function<exec::Completed(const exec::Command&)>;

  void on(Argv argv, exec::Completed result) { add(std::move(argv), Match::exact, Answer(std::move(result))); }
  void on(Argv argv, Handler handler) { add(std::move(argv), Match::exact, Answer(std::move(handler))); }
  void on_prefix(Argv prefix, exec::Completed result) {
    add(std::move(prefix), Match::prefix, Answer(std::move(result)));
  }
  void on_prefix(Argv prefix, Handler handler) { add(std::move(prefix), Match::prefix, Answer(std::move(handler))); }

  exec::Completed run(const exec::Command& cmd) override {
    Answer answer;
    {
      const std::lock_guard lock(m_mutex);
      m_calls.push_back(cmd);
      if (Rule* rule = find(cmd.argv)) {
        answer = rule->answers.front();
        if (rule->answers.size() > 1) rule->answers.pop_front();
      }
    }
    if (const auto* handler = std::get_if<Handler>(&answer)) return (*handler)(cmd);
    return std::get<exec::Completed>(answer);
  }

  std::vector<exec::Command> calls() const {
    const std::lock_guard lock(m_mutex);
    return m_calls;
  }

  std::vector<Argv> argvs() const {
    const std::lock_guard lock(m_mutex);
    std::vector<Argv> result;
    for (const auto& call : m_calls) result.push_back(call.argv);
    return result;
  }

  // How many recorded commands start with `prefix` (all of them for an empty prefix).
  std::size_t count(const Argv& prefix) const {
    const std::lock_guard lock(m_mutex);
    return static_cast<std::size_t>(std::count_if(m_calls.begin(), m_calls.end(), [&](const exec::Command& call) {
      return starts_with(call.argv, prefix);
    }));
  }

private:
  enum class Match { exact, prefix };
  using Answer = std::variant<exec::Completed, Handler>;
  struct Rule {
    Argv argv;
    Match match;
    std::deque<Answer> answers;
  };

  static bool starts_with(const Argv& argv, const Argv& prefix) {
    return argv.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), argv.begin());
  }

  void add(Argv argv, Match match, Answer answer) {
    const std::lock_guard lock(m_mutex);
    for (auto& rule : m_rules) {
      if (rule.argv == argv && rule.match == match) {
        rule.answers.push_back(std::move(answer));
        return;
      }
    }
    m_rules.push_back(Rule{std::move(argv), match, {std::move(answer)}});
  }

  // With m_mutex held.
  Rule* find(const Argv& argv) {
    Rule* best = nullptr;
    for (auto& rule : m_rules) {
      if (rule.match == Match::exact && rule.argv == argv) return &rule;
      if (rule.match == Match::prefix && starts_with(argv, rule.argv) &&
          (best == nullptr || rule.argv.size() >= best->argv.size()))
        best = &rule;
    }
    return best;
  }

  mutable std::mutex m_mutex;
  std::vector<Rule> m_rules;
  std::vector<exec::Command> m_calls;
};

} // namespace meshlab::test

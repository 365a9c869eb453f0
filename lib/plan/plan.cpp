#include "plan/plan.hpp"

#include "util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>
#include <queue>

namespace meshlab::plan {

namespace {

// needs[i]: indexes of the steps step i needs, without duplicates.
using Edges = std::vector<std::vector<std::size_t>>;

Edges resolve_needs(const std::vector<Step>& steps) {
  std::map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < steps.size(); ++i) index.emplace(steps[i].id, i);
  Edges needs(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (const auto& need : steps[i].needs) {
      const auto found = index.find(need);
      if (found == index.end())
        throw Error(fmt::format("step \"{}\" needs \"{}\", which is not in the plan", steps[i].id, need));
      if (std::find(needs[i].begin(), needs[i].end(), found->second) == needs[i].end())
        needs[i].push_back(found->second);
    }
  }
  return needs;
}

// Throws naming the first cycle found (searching from the steps in insertion order).
void reject_cycles(const std::vector<Step>& steps, const Edges& needs) {
  enum class Mark { unvisited, on_path, finished };
  std::vector<Mark> marks(steps.size(), Mark::unvisited);
  std::vector<std::size_t> path;
  const std::function<void(std::size_t)> visit = [&](std::size_t i) {
    marks[i] = Mark::on_path;
    path.push_back(i);
    for (const auto need : needs[i]) {
      if (marks[need] == Mark::on_path) {
        std::string text;
        for (auto it = std::find(path.begin(), path.end(), need); it != path.end(); ++it) text += steps[*it].id + " -> ";
        throw Error("plan has a cycle: " + text + steps[need].id);
      }
      if (marks[need] == Mark::unvisited) visit(need);
    }
    path.pop_back();
    marks[i] = Mark::finished;
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (marks[i] == Mark::unvisited) visit(i);
  }
}

// Kahn's algorithm, always taking the earliest-added ready step: insertion order wherever
// the needs allow it.
std::vector<std::size_t> stable_order(const Edges& needs) {
  std::vector<std::size_t> waiting(needs.size());
  Edges dependents(needs.size());
  for (std::size_t i = 0; i < needs.size(); ++i) {
    waiting[i] = needs[i].size();
    for (const auto need : needs[i]) dependents[need].push_back(i);
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < needs.size(); ++i) {
    if (waiting[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    const auto next = ready.top();
    ready.pop();
    order.push_back(next);
    for (const auto dependent : dependents[next]) {
      if (--waiting[dependent] == 0) ready.push(dependent);
    }
  }
  return order;
}

} // namespace

const Step* Plan::find(std::string_view id) const {
  const auto found = std::find_if(m_steps.begin(), m_steps.end(), [&](const Step& s) { return s.id == id; });
  return found == m_steps.end() ? nullptr : &*found;
}

bool PlanBuilder::contains(std::string_view id) const {
  return std::any_of(m_steps.begin(), m_steps.end(), [&](const Step& s) { return s.id == id; });
}

PlanBuilder& PlanBuilder::add(Step step) {
  if (step.id.empty()) throw Error(fmt::format("a step titled \"{}\" has no id", step.title));
  if (contains(step.id)) throw Error(fmt::format("the plan already has a step \"{}\"", step.id));
  if (!step.run) throw Error(fmt::format("step \"{}\" has nothing to run", step.id));
  m_steps.push_back(std::move(step));
  return *this;
}

Plan PlanBuilder::build() const {
  const auto needs = resolve_needs(m_steps);
  reject_cycles(m_steps, needs);
  std::vector<Step> ordered;
  ordered.reserve(m_steps.size());
  for (const auto i : stable_order(needs)) ordered.push_back(m_steps[i]);
  return Plan(std::move(ordered));
}

std::string plan_text(const Plan& plan, const CommandsByStep& commands) {
  std::string text;
  for (const auto& step : plan.steps()) {
    text += fmt::format("{}: {}\n", step.id, step.title);
    if (!step.needs.empty()) text += fmt::format("  needs: {}\n", fmt::join(step.needs, ", "));
    if (const auto found = commands.find(step.id); found != commands.end()) {
      for (const auto& command : found->second) text += fmt::format("  $ {}\n", command);
    }
  }
  return text;
}

nlohmann::json plan_json(const Plan& plan, const CommandsByStep& commands) {
  auto steps = nlohmann::json::array();
  for (const auto& step : plan.steps()) {
    nlohmann::json entry{{"id", step.id}, {"title", step.title}, {"needs", step.needs},
                         {"inputs_hash", step.inputs_hash}};
    const auto found = commands.find(step.id);
    entry["commands"] = found == commands.end() ? nlohmann::json::array() : nlohmann::json(found->second);
    steps.push_back(std::move(entry));
  }
  return nlohmann::json{{"steps", std::move(steps)}};
}

} // namespace meshlab::plan

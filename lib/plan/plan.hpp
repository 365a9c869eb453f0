// A plan: steps in an order that respects their needs, checked once when it is built, so
// the executor can trust it (every need exists, there are no cycles).
#pragma once

#include "plan/step.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::plan {

class Plan {
public:
  Plan() = default; // empty; PlanBuilder::build makes the real ones
  // In dependency order: every step comes after its needs, and otherwise in the order the
  // steps were added.
  const std::vector<Step>& steps() const { return m_steps; }
  std::size_t size() const { return m_steps.size(); }
  // The step with `id`; nullptr when the plan has none.
  const Step* find(std::string_view id) const;

private:
  friend class PlanBuilder;
  explicit Plan(std::vector<Step> steps) : m_steps(std::move(steps)) {}
  std::vector<Step> m_steps;
};

class PlanBuilder {
public:
  // Adds `step`. Throws meshlab::Error when its id is empty or already taken, or it has
  // no run function.
  PlanBuilder& add(Step step);
  bool contains(std::string_view id) const;

  // The plan, in dependency order (see Plan::steps). Throws meshlab::Error when a step
  // needs a step that is not in the plan ("step "istio/east" needs "cluster/east", which
  // is not in the plan") or the needs form a cycle ("plan has a cycle: istio/east ->
  // eastwest/east -> istio/east", each arrow reading "needs").
  Plan build() const;

private:
  std::vector<Step> m_steps;
};

// The plan for people (--dry-run): each step's id and title, the ids it needs, and, when
// `commands` has an entry for the step, its command lines.
//   istio/east: Installing Istio on east
//     needs: cluster/east, cacerts/east
//     $ helm upgrade --install ...
using CommandsByStep = std::map<std::string, std::vector<std::string>>;
std::string plan_text(const Plan& plan, const CommandsByStep& commands = {});

// The same as JSON: {"steps": [{"id", "title", "needs": [...], "inputs_hash", "commands": [...]}]}.
nlohmann::json plan_json(const Plan& plan, const CommandsByStep& commands = {});

} // namespace meshlab::plan

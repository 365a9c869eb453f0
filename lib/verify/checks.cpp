#include "verify/checks.hpp"
#include "verify/traffic_checks.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"
#include "verify/core_checks.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::verify {

std::vector<Check> all_checks() {
  std::vector<Check> checks{nodes_check(), cacerts_check(), istiod_check(), eastwest_check(), argocd_apps_check()};
  // Checks 6–9 send traffic through the mesh the checks above judge, so they come after them.
  for (auto& check : traffic_checks()) checks.push_back(std::move(check));
  return checks;
}

std::vector<std::string> check_ids(const std::vector<Check>& checks) {
  std::vector<std::string> ids;
  for (const auto& check : checks) ids.push_back(check.id);
  return ids;
}

std::vector<Check> select_checks(const std::vector<Check>& checks, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    const bool known = std::any_of(checks.begin(), checks.end(), [&](const Check& c) { return c.id == id; });
    if (known) continue;
    throw UsageError(fmt::format("--check: unknown check \"{}\"; known checks: {}", id, util::join(check_ids(checks))));
  }
  if (ids.empty()) return checks;
  std::vector<Check> out;
  for (const auto& c : checks)
    if (std::find(ids.begin(), ids.end(), c.id) != ids.end()) out.push_back(c);
  return out;
}

} // namespace meshlab::verify

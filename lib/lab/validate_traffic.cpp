// Validation of locality load-balancing policies: hosts, namespaces, and failover and
// distribute rules whose localities must exist somewhere in the lab.
#include "lab/syntax.hpp"
#include "lab/validate_checks.hpp"

#include "util/net.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <set>

namespace meshlab::lab::detail {

namespace {

// Every locality a workload can have: clusters, kind nodes and VMs.
std::vector<Locality> lab_localities(const Lab& lab) {
  std::vector<Locality> out;
  const auto add = [&](const Locality& l) {
    if (!l.empty() && std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  };
  for (const auto& cluster : lab.clusters) {
    add(cluster.locality);
    for (const auto& node : cluster.nodes) add(node.locality);
  }
  for (const auto& vm : lab.vms) add(vm.locality);
  return out;
}

std::vector<std::string> regions_of(const std::vector<Locality>& localities) {
  std::vector<std::string> out;
  for (const auto& l : localities)
    if (std::find(out.begin(), out.end(), l.region) == out.end()) out.push_back(l.region);
  return out;
}

std::vector<std::string> strings_of(const std::vector<Locality>& localities) {
  std::vector<std::string> out;
  for (const auto& l : localities) out.push_back(l.str());
  return out;
}

std::string known_list(const std::vector<std::string>& items) { return items.empty() ? "none" : util::join(items); }

// Whether every locality written in the lab was read; when one was rejected, a policy
// naming it would be reported as matching nothing, which is only a consequence.
bool all_localities_read(const Lab& lab) {
  const std::string suffix = ".locality#invalid";
  for (const auto& [path, at] : lab.positions)
    if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      return false;
  return true;
}

// What the policies' localities are checked against, gathered once per lab (a lab has
// a position for each of thousands of values, and hundreds of localities).
struct Known {
  explicit Known(const Lab& lab)
      : localities(lab_localities(lab)), regions(regions_of(localities)), all_read(all_localities_read(lab)) {}
  std::vector<Locality> localities;
  std::vector<std::string> regions;
  bool all_read; // see all_localities_read
};

void check_region(Checker& checker, const std::string& path, const std::string& region, const Known& known) {
  const auto& regions = known.regions;
  if (region.empty()) return; // missing: reported by the loader
  if (!is_label_value(region)) {
    checker.error(path, fmt::format("\"{}\" is not a region", region),
                  "failover is between regions; write only the region, such as east");
    return;
  }
  if (!known.all_read) return;
  if (std::find(regions.begin(), regions.end(), region) != regions.end()) return;
  const auto suggestion = util::did_you_mean(region, regions);
  checker.error(path,
                fmt::format("region \"{}\" matches no cluster, node or VM; known regions: {}", region,
                            known_list(regions)),
                suggestion ? fmt::format("did you mean \"{}\"?", *suggestion)
                           : std::string("set this region as the locality of a cluster, node or VM"));
}

// Checks a locality pattern at `path` (reported at the key when `at_key`).
void check_pattern(Checker& checker, const std::string& path, const std::string& pattern, const Known& known,
                   bool at_key) {
  const auto& localities = known.localities;
  const auto report = [&](std::string message, std::string hint) {
    if (at_key) checker.error_at_key(path, message, std::move(hint));
    else checker.error(path, message, std::move(hint));
  };
  if (auto problem = locality_pattern_problem(pattern); !problem.empty()) {
    report(fmt::format("locality \"{}\" {}", pattern, problem),
           "write region[/zone[/subzone]], where the last part may be *, such as east/zone1/*");
    return;
  }
  if (!known.all_read) return;
  for (const auto& l : localities)
    if (locality_matches(pattern, l)) return;
  report(fmt::format("locality \"{}\" matches no cluster, node or VM; known localities: {}", pattern,
                     known_list(strings_of(localities))),
         "use a locality some cluster, node or VM has (\"*\" may end it)");
}

void check_distribute(Checker& checker, const std::string& path, const Distribute& rule, const Known& known) {
  if (!rule.from.empty()) check_pattern(checker, path + ".from", rule.from, known, false);
  if (!checker.written(path + ".to") || checker.rejected(path + ".to")) return;
  int sum = 0;
  bool weights_ok = true;
  for (const auto& key : rule.to_order) {
    const std::string weight_path = path + ".to." + key;
    check_pattern(checker, weight_path, key, known, true);
    const int weight = rule.to.at(key);
    if (weight < 0 || weight > 100) {
      checker.error(weight_path, fmt::format("percentage {} is out of range; expected 0..100", weight),
                    "write the share of the traffic this locality gets, from 0 to 100");
      weights_ok = false;
    }
    sum += weight;
  }
  if (weights_ok && sum != 100 && !rule.to_order.empty())
    checker.error(path + ".to", fmt::format("percentages sum to {}, not 100", sum),
                  "make the percentages of one distribute rule add up to 100");
  if (rule.to_order.empty())
    checker.error(path + ".to", "no localities to distribute to", "map each locality to a percentage");
}

void check_policy(Checker& checker, const TrafficPolicy& policy, const Known& known) {
  const std::string path = "traffic." + policy.name;
  if (!policy.host.empty()) {
    const std::string name = policy.host.rfind("*.", 0) == 0 ? policy.host.substr(2) : policy.host;
    if (!util::is_dns_name(name))
      checker.error(path + ".host", fmt::format("\"{}\" is not a DNS name", policy.host),
                    "write the service host, such as helloworld.sample.svc.cluster.local");
  }
  if (checker.written(path + ".namespace")) check_label(checker, path + ".namespace", policy.namespace_);
  else if (policy.namespace_.empty() && !policy.host.empty())
    checker.error_at_key(path, fmt::format("no namespace, and host \"{}\" does not name one", policy.host),
                         "add namespace: NAME, or use a <service>.<namespace>.svc.<domain> host");
  check_targets(checker, path + ".targets", policy.targets);
  const bool failover = checker.written(path + ".failover");
  const bool distribute = checker.written(path + ".distribute");
  if (failover && distribute)
    checker.error_at_key(path, "has both failover and distribute; a policy has exactly one",
                         "split it into two policies, one per kind of rule");
  if (!failover && !distribute)
    checker.error_at_key(path, "has neither failover nor distribute",
                         "add failover: [{from: REGION, to: REGION}] or distribute: [{from: LOCALITY, to: {...}}]");
  if (failover && policy.failover.empty())
    checker.error(path + ".failover", "the list is empty", "add {from: REGION, to: REGION} rules");
  if (distribute && policy.distribute.empty())
    checker.error(path + ".distribute", "the list is empty", "add {from: LOCALITY, to: {LOCALITY: PERCENT}} rules");

  for (std::size_t i = 0; i < policy.failover.size(); ++i) {
    const auto& rule = policy.failover[i];
    const std::string item = fmt::format("{}.failover[{}]", path, i);
    check_region(checker, item + ".from", rule.from, known);
    check_region(checker, item + ".to", rule.to, known);
    if (!rule.from.empty() && rule.from == rule.to)
      checker.error(item + ".to", fmt::format("region \"{}\" fails over to itself", rule.to),
                    "fail over to a different region");
  }
  for (std::size_t i = 0; i < policy.distribute.size(); ++i)
    check_distribute(checker, fmt::format("{}.distribute[{}]", path, i), policy.distribute[i], known);
}

} // namespace

void check_traffic(Checker& checker) {
  if (checker.lab().traffic.empty()) return;
  const Known known(checker.lab());
  for (const auto& policy : checker.lab().traffic) check_policy(checker, policy, known);
}

} // namespace meshlab::lab::detail

// cluster/<c>/ready: waits for the API and every node to be Ready, then makes the nodes'
// locality labels match the lab (kind and k3s already set them at registration; this
// verifies, and repairs what a user or a re-created node changed).
#include "actions/machines_detail.hpp"
#include "actions/step_ids.hpp"
#include "exec/check.hpp"
#include "kube/kubectl.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/wait.hpp"

#include <fmt/format.h>

namespace meshlab::actions::detail {

namespace {

constexpr std::chrono::minutes k_ready_timeout{10};

// One look at the nodes: nullopt (and `problem` set) while kubectl fails (the API is not up
// yet) or a node is missing or not Ready. Output that kubectl gave with success but that is
// not a node list throws at once: waiting would not make it readable.
std::optional<std::vector<NodeView>> ready_nodes(const kube::Kubectl& kubectl,
                                                 const std::vector<ExpectedNode>& expected, std::string& problem) {
  try {
    auto nodes = parse_nodes(kubectl.list_json("nodes"));
    problem = nodes_not_ready(nodes, expected);
    if (problem.empty()) return nodes;
  } catch (const CommandError& e) {
    problem = e.output().empty() ? std::string(e.what()) : exec::last_lines(e.output(), 1);
  }
  return std::nullopt;
}

} // namespace

plan::Step ready_step(const LaunchContext& ctx, const lab::Cluster& cluster, std::vector<std::string> needs) {
  const auto instance = ctx.context_for(cluster);
  const auto kubeconfig = ctx.kubeconfig_for(cluster);
  const auto expected = expected_nodes(ctx.lab, cluster);
  const auto locality = cluster.locality;
  const bool external = cluster.provider == lab::Provider::external;
  const auto policy = external ? LabelPolicy::add_missing : LabelPolicy::overwrite;

  std::vector<std::string> hashed{"ready", instance, locality.str()};
  for (const auto& node : expected) {
    hashed.push_back(node.name);
    hashed.push_back(node.locality.str());
  }

  plan::Step step;
  step.id = ids::cluster_ready(cluster.name);
  step.title = fmt::format("Waiting for {} to be ready", instance);
  step.needs = std::move(needs);
  step.inputs_hash = inputs_hash(hashed);
  step.run = [=](plan::StepContext& sc) {
    const kube::Kubectl kubectl(sc.runner, kubeconfig, instance);
    std::string problem = "no answer yet";
    std::vector<NodeView> nodes;
    bool probe_failed = false; // a probe's own error (unreadable output) ends the wait as it is
    try {
      nodes = util::wait_until(
          util::Clock::now() + k_ready_timeout, std::chrono::milliseconds(500),
          [&] {
            probe_failed = true;
            auto seen = ready_nodes(kubectl, expected, problem);
            probe_failed = false;
            return seen;
          },
          fmt::format("the nodes of {} to be Ready", instance));
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      if (probe_failed) throw;
      throw Error(fmt::format("{}; last seen: {}", e.what(), problem));
    }
    const auto fixes = label_fixes(nodes, expected, locality, policy, external);
    for (const auto& [node, labels] : fixes) {
      std::vector<std::string> args{"label"};
      if (policy == LabelPolicy::overwrite) args.push_back("--overwrite");
      args.insert(args.end(), {"node", node});
      for (const auto& [key, value] : labels) args.push_back(key + "=" + value);
      kubectl.check(args);
    }
    std::vector<std::string> names;
    for (const auto& node : nodes) names.push_back(node.name);
    sc.facts["nodes"] = util::join(names);
    sc.facts["labels_fixed"] = std::to_string(fixes.size());
  };
  ctx.snapshot->objects().expect(kubeconfig, instance, "node", "");
  step.verify = never_throwing([=, snapshot = ctx.snapshot](exec::Runner& runner) {
    const auto items = snapshot->objects().items(kube::Kubectl(runner, kubeconfig, instance), "node", "");
    if (!items) return false;
    const auto nodes = parse_nodes(*items);
    return nodes_not_ready(nodes, expected).empty() &&
           label_fixes(nodes, expected, locality, policy, external).empty();
  });
  return step;
}

} // namespace meshlab::actions::detail

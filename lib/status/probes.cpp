#include "status/probes.hpp"

#include "exec/check.hpp"
#include "kube/object.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::status {

namespace {

using kube::member;

std::string text(const nlohmann::json& object, const char* key) {
  const auto& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

int number(const nlohmann::json& object, const char* key) {
  const auto& value = member(object, key);
  return value.is_number_integer() ? value.get<int>() : 0;
}

// The last non-empty line of `text`: kubectl's error ("The connection to the server ... was refused").
std::string last_line(const std::string& text) {
  const auto lines = exec::last_lines(text, 1);
  return lines.empty() ? std::string("no output") : lines;
}

} // namespace

nlohmann::json list_items(const kube::Kubectl& kubectl, std::vector<std::string> args,
                          std::chrono::milliseconds timeout) {
  const auto seconds = std::max<long long>(std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), 1);
  args.insert(args.begin(), "get");
  args.insert(args.end(), {"-o", "json", fmt::format("--request-timeout={}s", seconds)});
  const auto done = kubectl.run(args);
  if (done.timed_out) throw Error(fmt::format("kubectl did not answer within {}s", seconds));
  if (done.exit_code != 0) throw Error(last_line(done.err.empty() ? done.out : done.err));
  const auto doc = nlohmann::json::parse(done.out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("items") || !doc["items"].is_array())
    throw Error(fmt::format("kubectl printed something that is not a {} list", args[1]));
  return doc["items"];
}

NodeCount count_nodes(const nlohmann::json& items) {
  NodeCount count;
  for (const auto& node : items) {
    ++count.total;
    if (kube::condition_status(node, "Ready") == "True") ++count.ready;
  }
  return count;
}

std::optional<IstioState> find_istiod(const nlohmann::json& items, const std::string& revision) {
  std::optional<IstioState> first;
  for (const auto& deployment : items) {
    auto rev = text(member(member(deployment, "metadata"), "labels"), "istio.io/rev");
    IstioState state{rev.empty() ? "default" : rev, number(member(deployment, "status"), "readyReplicas"),
                     number(member(deployment, "spec"), "replicas")};
    if (rev == revision) return state;
    if (!first) first = state;
  }
  return first;
}

std::map<std::string, AppCounts> count_apps(const nlohmann::json& items, const lab::Lab& lab,
                                            const std::string& argocd_cluster) {
  std::map<std::string, AppCounts> counts;
  for (const auto& app : items) {
    std::string cluster = text(member(member(app, "metadata"), "labels"), "meshlab.dev/cluster");
    const auto& destination = member(member(app, "spec"), "destination");
    if (cluster.empty() || lab.cluster(cluster) == nullptr) {
      cluster.clear();
      const auto name = text(destination, "name");
      for (const auto& c : lab.clusters)
        if (!name.empty() && lab.instance_name(c.name) == name) cluster = c.name;
      if (cluster.empty() && text(destination, "server") == "https://kubernetes.default.svc") cluster = argocd_cluster;
    }
    if (cluster.empty()) continue;
    auto& count = counts[cluster];
    ++count.total;
    const auto& app_status = member(app, "status");
    if (text(member(app_status, "sync"), "status") == "Synced") ++count.synced;
    if (text(member(app_status, "health"), "status") == "Healthy") ++count.healthy;
  }
  return counts;
}

} // namespace meshlab::status

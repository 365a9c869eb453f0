#include "verify/cluster_view.hpp"

#include "util/strings.hpp"
#include "verify/probe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace meshlab::verify {

ClusterView::ClusterView(kube::Kubectl kubectl, std::string cluster)
    : m_kubectl(std::move(kubectl)), m_cluster(std::move(cluster)) {}

const std::map<std::string, lab::Locality>& ClusterView::nodes_locked() {
  if (!m_nodes) m_nodes = node_localities(m_kubectl);
  return *m_nodes;
}

std::map<std::string, lab::Locality> ClusterView::nodes() {
  const std::lock_guard lock(m_mutex);
  return nodes_locked();
}

std::vector<Pod> ClusterView::pods(const std::string& ns, const std::string& selector) {
  const std::lock_guard lock(m_mutex);
  const Key key{ns, selector};
  if (const auto found = m_pods.find(key); found != m_pods.end()) return found->second;
  auto pods = list_pods(m_kubectl, m_cluster, ns, selector, nodes_locked());
  m_pods.emplace(key, pods);
  return pods;
}

std::optional<nlohmann::json> ClusterView::service(const std::string& ns, const std::string& name) {
  const std::lock_guard lock(m_mutex);
  const Key key{ns, name};
  if (const auto found = m_services.find(key); found != m_services.end()) return found->second;
  auto service = m_kubectl.get_json("service", name, ns);
  m_services.emplace(key, service);
  return service;
}

void ClusterView::forget_pods() {
  const std::lock_guard lock(m_mutex);
  m_pods.clear();
}

ClusterView& ClusterViews::of(const VerifyContext& ctx, const lab::Cluster& cluster) {
  const std::lock_guard lock(m_mutex);
  auto& view = m_views[cluster.name];
  if (!view) view = std::make_unique<ClusterView>(kubectl_for(ctx, cluster), cluster.name);
  return *view;
}

std::shared_ptr<ClusterViews> views_of(const VerifyContext& ctx) {
  return ctx.views ? ctx.views : std::make_shared<ClusterViews>();
}

std::optional<ServiceInfo> service_info(ClusterView& view, const std::string& ns, const std::string& name,
                                        Evidence& evidence) {
  evidence.command = command_text(view.kubectl(), {"get", "service", name, "--ignore-not-found", "-o", "json", "-n", ns});
  const auto svc = view.service(ns, name);
  if (!svc) {
    evidence.lines.push_back(fmt::format("service {}/{} not found", ns, name));
    return std::nullopt;
  }
  ServiceInfo info;
  std::vector<std::string> selector;
  const auto spec = svc->value("spec", nlohmann::json::object());
  const auto selector_labels = spec.value("selector", nlohmann::json::object());
  for (const auto& [key, value] : selector_labels.items())
    if (value.is_string()) selector.push_back(key + "=" + value.get<std::string>());
  info.selector = util::join(selector, ",");
  const auto ports = spec.value("ports", nlohmann::json::array());
  if (!ports.empty()) info.port = ports[0].value("port", 0);
  evidence.lines.push_back(fmt::format("service {}/{}: port {}, selector {}", ns, name, info.port,
                                       info.selector.empty() ? "(none)" : info.selector));
  return info;
}

std::vector<Pod> client_pods(const VerifyContext& ctx, ClusterView& view, const lab::Cluster& cluster) {
  std::set<std::string> namespaces;
  for (const auto& app : ctx.lab.apps)
    if (lab::Lab::selects(app.targets, cluster)) namespaces.insert(app.namespace_);
  for (const auto& policy : ctx.lab.traffic)
    if (lab::Lab::selects(policy.targets, cluster)) namespaces.insert(policy.namespace_);
  std::vector<Pod> clients;
  for (auto& pod : view.pods("*", ""))
    if (namespaces.contains(pod.ns) && pod.ready && pod.has_sidecar() && !pod.app_container().empty())
      clients.push_back(std::move(pod));
  std::stable_partition(clients.begin(), clients.end(), [](const Pod& pod) {
    const auto app = pod.labels.find("app");
    return app != pod.labels.end() && (app->second == "sleep" || app->second == "curl");
  });
  return clients;
}

} // namespace meshlab::verify

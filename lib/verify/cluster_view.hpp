// What the traffic checks read of a cluster — its nodes' localities, its pods, its Services —
// asked of kubectl once per verify run and shared by every rule, host and check that needs
// it, so a lab with three traffic policies and four hosts costs one `kubectl get nodes` and
// one gateway lookup per cluster, not one per rule and per host.
#pragma once

#include "kube/kubectl.hpp"
#include "verify/check.hpp"
#include "verify/traffic_probe.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meshlab::verify {

// The reads of one cluster. Thread-safe: checks running side by side share it, and a read in
// flight makes the others wait for its answer instead of asking kubectl again. A read that
// throws is not kept, so the next asker tries again (and fails the same way, as before).
class ClusterView {
public:
  ClusterView(kube::Kubectl kubectl, std::string cluster);

  const kube::Kubectl& kubectl() const { return m_kubectl; }

  // Node name → locality (node_localities). Throws meshlab::Error when kubectl fails.
  std::map<std::string, lab::Locality> nodes();
  // The pods in `ns` ("*": every namespace) matching `selector` ("": all), with their
  // locality (list_pods). Throws meshlab::Error when kubectl fails.
  std::vector<Pod> pods(const std::string& ns, const std::string& selector);
  // Service `name` in `ns` as kubectl prints it; nullopt when there is no such Service.
  // Throws meshlab::Error when kubectl fails.
  std::optional<nlohmann::json> service(const std::string& ns, const std::string& name);
  // Forgets the pod lists, after pods were deleted: their replacements have other names.
  void forget_pods();

private:
  using Key = std::pair<std::string, std::string>;
  const std::map<std::string, lab::Locality>& nodes_locked();
  std::mutex m_mutex;
  kube::Kubectl m_kubectl;
  std::string m_cluster;
  std::optional<std::map<std::string, lab::Locality>> m_nodes;
  std::map<Key, std::vector<Pod>> m_pods;                         // (namespace, selector)
  std::map<Key, std::optional<nlohmann::json>> m_services;        // (namespace, name)
};

// The views of a lab's clusters, one per cluster, made on first use.
class ClusterViews {
public:
  // The view of `cluster`, reading through ctx's kubectl for it (kubectl_for).
  ClusterView& of(const VerifyContext& ctx, const lab::Cluster& cluster);

private:
  std::mutex m_mutex;
  std::map<std::string, std::unique_ptr<ClusterView>> m_views;
};

// The views a check reads through: the run's (VerifyContext::views, set by run_checks), or
// new ones for this call when ctx has none (a check called on its own, as tests do).
std::shared_ptr<ClusterViews> views_of(const VerifyContext& ctx);

// The Service's selector ("k=v,k2=v2") and first port; nullopt when the Service does not exist.
struct ServiceInfo {
  std::string selector;
  int port = 0;
};
// Service `name` in `ns` read through `view`; the command and what was found go to `evidence`.
std::optional<ServiceInfo> service_info(ClusterView& view, const std::string& ns, const std::string& name,
                                        Evidence& evidence);

// Running, ready pods with an istio-proxy sidecar and an app container in the lab's app
// namespaces of `cluster`, clients of istio's samples (app=sleep or app=curl) first.
std::vector<Pod> client_pods(const VerifyContext& ctx, ClusterView& view, const lab::Cluster& cluster);

} // namespace meshlab::verify

// The objects a launch's resume checks look at on each cluster, read in a few `kubectl get`
// calls per cluster and shared by every check, instead of one `kubectl get` per object.
//
// The plan declares up front what its checks will read on which cluster (expect); the
// first check that asks for a resource then runs the one call that also reads what the
// others will ask for. Reads are grouped so that they fail only where a single read would:
// - kinds Kubernetes always serves (core, apps) are read together, one call per namespace,
//   so no Secret of a namespace no check looks in is ever read;
// - the kinds of one CRD API group (networking.istio.io, argoproj.io, metallb.io) are read
//   together, across namespaces when they are spread (-A): a group that is not installed
//   fails only its own call, never the built-in kinds' one.
#pragma once

#include "kube/kubectl.hpp"
#include "util/memo.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace meshlab::kube {

// A resource and a namespace a check reads: the resource as `kubectl get` takes it, lowercase
// singular kind and API group ("secret", "deployment.apps", "gateway.networking.istio.io"),
// and the namespace; "" for a cluster-scoped resource (node, namespace).
using Want = std::pair<std::string, std::string>;

// One `kubectl get` of the snapshot.
struct SnapshotRead {
  std::vector<std::string> resources; // sorted, without repeats
  std::string scope;                  // a namespace (-n), "*" for all (-A), "" for none
  std::set<Want> covers;              // what its answer holds
  // {"get", "secret,node", "-n", "istio-system", "-o", "json"}
  std::vector<std::string> args() const;
  // Whether it reads Secrets (its output then stays out of logs).
  bool secret() const;
};

// The reads that answer every one of `wants` in as few calls as the rules above allow.
std::vector<SnapshotRead> plan_snapshot_reads(const std::set<Want>& wants);

class ObjectSnapshot {
public:
  // Declares that checks will read `resource` in `ns` ("" cluster-scoped) on the cluster of
  // `kubeconfig` and `context` (as a Kubectl for it has them).
  void expect(const std::filesystem::path& kubeconfig, const std::string& context, const std::string& resource,
              const std::string& ns);

  // The objects of `resource` in `ns` ("" cluster-scoped) on kubectl's cluster, from the read
  // that covers them (run now through kubectl's runner, if no check has run it since the
  // last forget). A resource nobody declared gets a read of its own. nullopt when kubectl
  // answered success with nothing (--dry-run). Throws CommandError when kubectl fails,
  // meshlab::Error when it prints no JSON list — every check asking that read gets the same.
  std::optional<nlohmann::json> items(const Kubectl& kubectl, const std::string& resource, const std::string& ns);

  // Forgets every answer (the world changed); the declarations stay.
  void forget();

private:
  using Answer = std::shared_ptr<const nlohmann::json>; // the "items" array; null: no answer
  std::mutex m_mutex;
  std::map<std::string, std::set<Want>> m_wants; // by cluster key (kubeconfig, context)
  util::Memo<Answer> m_reads;
};

} // namespace meshlab::kube

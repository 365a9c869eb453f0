// What the traffic checks (cross-cluster, vm, locality, tls-ingress) share: kubectl per
// cluster, the app pods of a cell with the cluster and locality they run in, a client pod
// to send requests from, and curl through `kubectl exec` whose answers are attributed to the
// pod (and so the cluster and locality) that served them.
#pragma once

#include "kube/kubectl.hpp"
#include "lab/model.hpp"
#include "verify/check.hpp"
#include "verify/probe.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::verify {

// Knobs of the traffic checks; tests shrink the waits.
struct TrafficOptions {
  int requests = 20;               // per client, cross-cluster and failover
  int distribute_requests = 100;   // per distribute rule
  int tolerance_points = 15;       // distribute: |observed % - weight %| allowed
  int failover_rounds = 6;         // rounds of `requests` after draining before giving up
  std::chrono::milliseconds round_interval{std::chrono::seconds(5)};
  std::chrono::seconds restore_timeout{180}; // drained pods recreated and Ready again
};

struct Pod {
  std::string name;
  std::string ns;
  std::string cluster;   // lab cluster name
  std::string node;
  lab::Locality locality; // from the pod's topology.istio.io/locality label, else its node's labels
  std::map<std::string, std::string> labels;
  std::vector<std::string> containers;
  bool ready = false;
  bool has_sidecar() const;
  std::string app_container() const; // the first container that is not istio-proxy ("" if none)
};

// Node name → locality (topology.kubernetes.io/region|zone, topology.istio.io/subzone).
std::map<std::string, lab::Locality> node_localities(const kube::Kubectl& kubectl);

// Pods in `ns` (every namespace for "*") matching `selector` ("" = all), with locality filled in.
// Throws meshlab::Error (kubectl's) when the cluster cannot be listed.
std::vector<Pod> list_pods(const kube::Kubectl& kubectl, const std::string& cluster, const std::string& ns,
                           const std::string& selector, const std::map<std::string, lab::Locality>& nodes);

// An app the checks know how to ask "who answered": the Service to call and the path whose
// answer names the serving pod (helloworld: "/hello" → "instance: <pod>"; httpbin: "/hostname"
// → {"hostname": "<pod>"}, which go-httpbin only tells with -use-real-hostname).
struct ServiceTarget {
  std::string service;
  std::string ns;
  std::string path;
};

// The target for a lab app recognised by its name, chart or git path (httpbin, helloworld).
std::optional<ServiceTarget> probe_target(const lab::App& app);
// The target for a traffic policy host "<svc>.<ns>.svc.<domain>".
std::optional<ServiceTarget> target_for_host(const std::string& host);

// One HTTP answer seen by curl.
struct Answer {
  int status = 0;          // 0: no HTTP answer
  std::string body;
};

// `kubectl exec -n NS POD -c APP -- curl -sS -m 5 -w '\n#meshlab-status %{http_code}\n' URL...`
// with `count` copies of `url` in one curl (the sidecar balances each request on its own).
// Returns the answers (fewer when curl could not run); adds the command and a summary to `evidence`.
std::vector<Answer> curl_from(const kube::Kubectl& kubectl, const Pod& client, const std::string& url, int count,
                              Evidence& evidence);

// The pod among `pods` whose name the answer carries (the longest such name); nullptr when none.
const Pod* answered_by(const Answer& answer, const std::vector<Pod>& pods);

// "<service>.<ns>.svc.<domain>" as a client in `cluster` calls it.
std::string service_url(const lab::Cluster& cluster, const std::string& service, const std::string& ns, int port,
                        const std::string& path);

// Whether `locality` matches `pattern` ("region/zone/subzone" with trailing "*" parts).
bool locality_matches(const lab::Locality& locality, const std::string& pattern);

// The clusters of `cell` as lab clusters, in lab order.
std::vector<const lab::Cluster*> cell_clusters(const lab::Lab& lab, const lab::Cell& cell);

} // namespace meshlab::verify

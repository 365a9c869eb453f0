// What `meshlab status` reports about a lab as it is now: one row per cluster and VM, one
// per registry cache. Every value may be unknown; then the row says why instead.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::status {

// A value a probe found, or nothing and the reason ("cluster does not answer: ...").
template <class T>
struct Probed {
  std::optional<T> value;
  std::string reason; // set when value is empty

  static Probed known(T v) { return Probed{std::move(v), {}}; }
  static Probed unknown(std::string why) { return Probed{std::nullopt, std::move(why)}; }
};

struct NodeCount {
  int ready = 0;
  int total = 0;
};

// The lab's istiod in a cluster: its revision label and how many of its replicas are ready.
struct IstioState {
  std::string revision; // istio.io/rev of the istiod Deployment ("default" when unlabelled)
  int ready = 0;
  int replicas = 0;
};

// The Argo CD Applications meant for one cluster, read on the Argo CD cluster.
struct AppCounts {
  int total = 0;
  int synced = 0;
  int healthy = 0;
};

struct MachineRow {
  enum class Type { cluster, vm };
  std::string name;      // as written in the lab
  Type type = Type::cluster;
  std::string provider;  // "multipass", "kind", "external"
  std::string instance;  // the machine's name in its provider (prefix included)
  Probed<std::string> state;    // provider's word: "Running", "Stopped", "running", "absent", "reachable", ...
  Probed<std::string> address;  // VM/instance IPv4, or the API server of a kind or external cluster
  Probed<std::string> context;  // kubeconfig context (clusters)
  Probed<NodeCount> nodes;      // clusters
  Probed<IstioState> istio;     // clusters in a cell
  Probed<AppCounts> apps;       // clusters, when the lab has Argo CD
};

struct RegistryRow {
  std::string upstream;  // "docker.io"
  std::string container; // "mesh-registry-docker-io"
  int port = 0;
  Probed<std::string> state; // docker's word: "running", "exited", ..., or "absent"
};

struct LabReport {
  std::string lab;
  std::vector<MachineRow> machines; // clusters in lab order, then VMs
  std::vector<RegistryRow> registries;
};

std::string_view to_string(MachineRow::Type type);

} // namespace meshlab::status

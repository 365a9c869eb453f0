// The in-memory model of a lab file: plain structs, filled by lab::load and
// checked by lab::validate. Nothing here runs a process or touches the disk.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::lab {

// Where a value came from in the lab file; line and column are 1-based, 0 when unknown.
struct Position {
  std::string file;
  int line = 0;
  int column = 0;
};

// Dotted path of a value → where it was written. The loader records every key and value
// it reads, so validation can point at the exact spot. Paths: "clusters.east.network",
// list items "clusters.east.nodes[1].locality", Helm values "apps.httpbin.values.a.b".
// A path maps to its value's position when the value is a scalar or a flow collection
// ({...}, [...]), and to its key's position when the value is a block mapping or list, or
// empty (a block value starts on the next line; the key is what a reader looks for). "<path>#key" always maps to the key,
// and "<path>#invalid" is present when the loader rejected the value (wrong type, unknown
// choice), so the validator does not report consequences of a problem already reported.
// A path is present iff its key was written, so resolution can tell "written" from
// "defaulted" (`prefix: ""` is written).
using SourceMap = std::map<std::string, Position>;

enum class Provider { multipass, kind, external };
enum class ClusterRole { management, workload };
enum class NetworkMode { multi, single };

// region/zone/subzone; zone and subzone may be empty.
struct Locality {
  std::string region;
  std::string zone;
  std::string subzone;
  bool empty() const { return region.empty(); }
  std::string str() const; // "region/zone/subzone", trailing empty parts dropped
  bool operator==(const Locality&) const = default;
};

// Multipass instance resources as multipass accepts them ("4G", "512M", "10GiB").
struct Resources {
  int cpus = 2;
  std::string memory = "4G";
  std::string disk = "10G";
};

// One kind node.
struct KindNode {
  std::string role = "worker"; // control-plane | worker
  Locality locality;           // resolved: the node's own locality if written, else the cluster's
};

struct Cluster {
  std::string name;          // as written in the lab ("kube-01"); instance name is prefix + name
  Provider provider = Provider::multipass;
  // A management cluster hosts Argo CD; it may also join a cell (small labs such as
  // ci-smoke run Argo CD on a mesh member). Every cluster in a cell runs Istio and apps.
  ClusterRole role = ClusterRole::workload;
  std::string cell;          // empty: not part of any mesh (a pure management cluster)
  Resources resources;       // multipass only
  std::string image = "24.04"; // multipass image
  std::string k3s_version;   // multipass only; empty = installer's stable channel
  std::vector<KindNode> nodes; // kind only; at least one control-plane
  std::string kind_image;    // kind only; empty = kind's default node image
  Locality locality;
  std::string network;       // Istio network name (resolved from the cell when not given)
  std::string pod_cidr;      // resolved from the lab pool when not given
  std::string service_cidr;  // idem
  std::string domain;        // cluster DNS domain (resolved: cell's clusterDomain or cluster.local)
  std::string kubeconfig;    // external only: path to the kubeconfig file
  std::string context;       // external only: context in that file
};

struct Cell {
  std::string name;
  std::string mesh_id;        // default: cell name
  std::string trust_domain;   // default: cluster domain
  std::string cluster_domain; // default: cluster.local
  NetworkMode network_mode = NetworkMode::multi;
  std::string network;        // single mode: the shared network name (default "<cell>-network")
  std::vector<std::string> clusters; // derived: workload clusters whose cell is this one, in lab order
};

// A service installed on a VM by cloud-init (the httpbin of the seed labs).
struct VmService {
  std::string name;  // systemd unit and Istio service name
  int port = 8000;
};

struct Vm {
  std::string name;
  Provider provider = Provider::multipass; // only multipass can run VMs; kept so validation can say so
  Resources resources{1, "1G", "8G"};
  std::string image = "24.04";
  std::string cluster;         // whose istiod the VM attaches to
  std::string namespace_ = "default";
  std::string service_account = "default";
  std::string network;         // default: the VM's own network "<vm>-network"
  Locality locality;
  std::vector<VmService> services;
  std::vector<std::string> packages; // extra apt packages
};

struct CaSubject {
  std::string common_name = "meshlab Root CA";
  std::string organization = "meshlab";
};

struct Ca {
  CaSubject subject;
  std::string key_type = "rsa"; // rsa | ecdsa
  int key_size = 4096;          // rsa: 2048..8192; ecdsa: 256 or 384
  int root_days = 3650;
  int intermediate_days = 1825;
  std::string root_cert_file;   // bring your own root: both files, or neither
  std::string root_key_file;
};

struct Registry {
  std::string name;     // the upstream host it mirrors: "docker.io"
  std::string upstream; // URL the cache pulls from: "https://registry-1.docker.io"
  int port = 0;         // host port the cache listens on
};

struct Istio {
  std::string version = "1.30.3";
  std::string revision;  // default: version with dots as dashes ("1-30-3")
  std::string chart_repo = "https://istio-release.storage.googleapis.com/charts";
  // Components to install; known: base, cni, istiod, ingress-gateway, eastwest-gateway.
  std::vector<std::string> components{"base", "cni", "istiod", "ingress-gateway", "eastwest-gateway"};
  static const std::vector<std::string>& known_components();
  bool has(std::string_view component) const;
};

struct ArgoCd {
  bool enabled = false;     // true when the lab has an argocd section or any apps
  std::string version = "v3.5.1";
  std::string manifest;     // default: the pinned upstream install.yaml of `version`
  std::string cluster;      // default: the management cluster
};

struct GitSource {
  std::string repo;
  std::string path;
  std::string revision = "HEAD";
};

struct HelmSource {
  std::string repo;
  std::string chart;
  std::string version;
};

// Which clusters an app goes to: every workload cluster, a cell, or a list.
struct Targets {
  enum class Kind { all, cell, clusters } kind = Kind::all;
  std::string cell;
  std::vector<std::string> clusters;
};

struct App {
  std::string name;
  std::string namespace_;            // default: app name
  std::optional<GitSource> git;      // exactly one of git / helm
  std::optional<HelmSource> helm;
  Targets targets;
  std::string values_yaml;           // Helm values as YAML text; may use ${cluster} ${cell}
                                     // ${network} ${domain} ${region} ${zone} ${subzone}
  std::vector<std::string> hosts;    // TLS ingress hosts under the lab domain
  int port = 80;                     // Service port the ingress gateway routes each host to;
                                     // the Service is the host's first label (see ingress_service)
};

struct Failover {
  std::string from; // region
  std::string to;   // region
};

struct Distribute {
  std::string from;                      // locality, may end in "/*"
  std::map<std::string, int> to;         // locality → percent, sums to 100
  std::vector<std::string> to_order;     // keys of `to` as written
};

// Locality load balancing for one host, rendered as a DestinationRule.
struct TrafficPolicy {
  std::string name;
  std::string host;       // e.g. helloworld.sample.svc.cluster.local
  std::string namespace_; // where the DestinationRule lives
  Targets targets;        // clusters it is applied to
  std::vector<Failover> failover;
  std::vector<Distribute> distribute;
};

struct DnsEntry {
  std::string host;    // "httpbin.blau.demo.lab"
  std::string address; // an IP, or "ingress" = the cluster's ingress gateway address
};

struct Lab {
  std::string api_version;
  std::string name;
  std::string prefix;        // resolved: lab name unless set (may be set to "")
  std::string domain = "demo.lab";
  std::string state_dir;     // resolved: $XDG_STATE_HOME/meshlab/<name>
  std::string pod_pool = "10.64.0.0/10";
  int pod_prefix = 16;
  std::string service_pool = "10.128.0.0/12";
  int service_prefix = 20;

  std::vector<Cluster> clusters; // lab order
  std::vector<Cell> cells;
  std::vector<Vm> vms;
  Ca ca;
  std::vector<Registry> registries;
  Istio istio;
  ArgoCd argocd;
  std::vector<App> apps;
  std::vector<TrafficPolicy> traffic;
  std::vector<DnsEntry> dns;

  std::string source_file;   // path as given, used in diagnostics
  SourceMap positions;

  // Lookups by name as written in the lab; nullptr when absent.
  const Cluster* cluster(std::string_view name) const;
  const Cell* cell(std::string_view name) const;
  const Cluster* management_cluster() const;
  // Clusters in a cell (the ones that run Istio and apps), in lab order.
  std::vector<const Cluster*> workload_clusters() const;
  // Resolved target clusters of an app or policy, in lab order.
  std::vector<const Cluster*> resolve(const Targets& targets) const;
  // Whether resolve(targets) lists `cluster`, without building the list.
  static bool selects(const Targets& targets, const Cluster& cluster);
  // Name of a machine meshlab creates: prefix + "-" + name, or name when the prefix is empty.
  std::string instance_name(std::string_view name) const;
  // Docker container of the pull-through cache for upstream registry `host`:
  // instance_name("registry-" + host), lower-cased, with every other character outside
  // [a-z0-9-] turned into '-' ("docker.io" → "mesh-registry-docker-io"), so kind nodes
  // resolve it as a plain DNS label on the `kind` network.
  std::string registry_container(std::string_view host) const;
  // Where a path was written; a Position with only the file when unknown.
  Position where(const std::string& path) const;
  // Where the key of a path was written (for names: "vms.db", "dns.echo.demo.lab").
  Position where_key(const std::string& path) const;
};

// The Service in the app's namespace that TLS ingress host `host` is routed to: its first
// DNS label ("httpbin.blau.demo.lab" → "httpbin").
std::string ingress_service(std::string_view host);
// The kubernetes.io/tls Secret in istio-system holding `host`'s server certificate, named in
// its Gateway's credentialName: the host with '.' turned into '-', then "-tls"
// ("httpbin.blau.demo.lab" → "httpbin-blau-demo-lab-tls").
std::string ingress_secret_name(std::string_view host);

std::string_view to_string(Provider provider);
std::string_view to_string(ClusterRole role);
std::string_view to_string(NetworkMode mode);

} // namespace meshlab::lab

#include "lab/load.hpp"

#include "support/scoped_env.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

using namespace meshlab::lab;

namespace {

std::string lab_path(const std::string& name) { return std::string(MESHLAB_SOURCE_DIR) + "/labs/" + name; }

// Loads a lab from labs/ and requires that it has no problem at all.
Lab load_example(const std::string& name) {
  auto result = load_file(lab_path(name));
  for (const auto& d : result.diagnostics) CAPTURE(d.headline());
  REQUIRE(result.diagnostics.empty());
  return load_valid_lab(lab_path(name));
}

const Cluster& cluster(const Lab& lab, std::string_view name) {
  const Cluster* c = lab.cluster(name);
  REQUIRE(c != nullptr);
  return *c;
}


} // namespace

TEST_CASE("lab::load multi-primary") {
  meshlab::test::ScopedEnv state("XDG_STATE_HOME", "/var/tmp/state");
  const Lab lab = load_example("multi-primary.yaml");

  SUBCASE("lab-wide values") {
    CHECK(lab.name == "multi-primary");
    CHECK(lab.api_version == "meshlab.dev/v1alpha1");
    CHECK(lab.prefix.empty()); // written as "" to keep the classic names
    CHECK(lab.instance_name("kube-01") == "kube-01");
    CHECK(lab.domain == "demo.lab");
    CHECK(lab.state_dir == "/var/tmp/state/meshlab/multi-primary");
    CHECK(lab.ca.subject.common_name == "Istio root CA");
    CHECK(lab.ca.subject.organization == "demo.lab");
    CHECK(lab.ca.key_size == 4096);
  }
  SUBCASE("clusters, cell and defaults") {
    REQUIRE(lab.clusters.size() == 3);
    const auto& mgmt = cluster(lab, "kube-00");
    CHECK(mgmt.role == ClusterRole::management);
    CHECK(mgmt.cell.empty());
    CHECK(mgmt.network == "kube-00-network");
    CHECK(mgmt.domain == "cluster.local");
    CHECK(mgmt.k3s_version == "v1.30.2+k3s2"); // from defaults.cluster
    CHECK(mgmt.resources.memory == "4G");
    const auto& k1 = cluster(lab, "kube-01");
    CHECK(k1.provider == Provider::multipass);
    CHECK(k1.network == "kube-01");
    CHECK(k1.locality == Locality{"milky-way", "solar-system", "kube-01"});
    CHECK(k1.nodes.empty());
    REQUIRE(lab.cells.size() == 1);
    CHECK(lab.cells[0].mesh_id == "mesh");
    CHECK(lab.cells[0].trust_domain == "cluster.local");
    CHECK(lab.cells[0].clusters == std::vector<std::string>{"kube-01", "kube-02"});
  }
  SUBCASE("CIDRs are allocated from the default pools in file order") {
    CHECK(cluster(lab, "kube-00").pod_cidr == "10.64.0.0/16");
    CHECK(cluster(lab, "kube-00").service_cidr == "10.128.0.0/20");
    CHECK(cluster(lab, "kube-01").pod_cidr == "10.65.0.0/16");
    CHECK(cluster(lab, "kube-01").service_cidr == "10.128.16.0/20");
    CHECK(cluster(lab, "kube-02").pod_cidr == "10.66.0.0/16");
    CHECK(cluster(lab, "kube-02").service_cidr == "10.128.32.0/20");
  }
  SUBCASE("the VM") {
    REQUIRE(lab.vms.size() == 1);
    const Vm& vm = lab.vms[0];
    CHECK(vm.name == "virt-01");
    CHECK(vm.cluster == "kube-01");
    CHECK(vm.namespace_ == "httpbin");
    CHECK(vm.service_account == "httpbin");
    CHECK(vm.network == "virt-01");
    CHECK(vm.resources.cpus == 1);
    CHECK(vm.resources.memory == "1G");
    CHECK(vm.image == "24.04");
    REQUIRE(vm.services.size() == 1);
    CHECK(vm.services[0].name == "httpbin");
    CHECK(vm.services[0].port == 8080);
  }
  SUBCASE("registries as written") {
    REQUIRE(lab.registries.size() == 3);
    CHECK(lab.registries[0].name == "docker.io");
    CHECK(lab.registries[0].upstream == "https://registry-1.docker.io");
    CHECK(lab.registries[0].port == 5011);
    CHECK(lab.registries[2].name == "ghcr.io");
    CHECK(lab.registries[2].port == 5013);
  }
  SUBCASE("istio, argocd and the app") {
    CHECK(lab.istio.version == "1.30.3");
    CHECK(lab.istio.revision == "1-30-3");
    CHECK(lab.istio.components.size() == 5);
    CHECK(lab.argocd.enabled);
    CHECK(lab.argocd.cluster == "kube-00");
    CHECK(lab.argocd.manifest ==
          "https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml");
    REQUIRE(lab.apps.size() == 1);
    const App& app = lab.apps[0];
    CHECK(app.namespace_ == "httpbin");
    REQUIRE(app.helm.has_value());
    CHECK_FALSE(app.git.has_value());
    CHECK(app.helm->chart == "httpbin");
    CHECK(app.helm->version == "0.1.1");
    CHECK(app.targets.kind == Targets::Kind::all);
    CHECK(app.values_yaml == "replicaCount: 1\npodLabels:\n  cluster: ${cluster}\n");
  }
  SUBCASE("positions point at values, and at keys of collections") {
    const Position network = lab.where("clusters.kube-01.network");
    CHECK(network.file == lab_path("multi-primary.yaml"));
    CHECK(network.line == 43);
    CHECK(network.column == 14);
    CHECK(lab.where_key("clusters.kube-01.network").column == 5);
    CHECK(lab.where("clusters.kube-01").line == 40);
    CHECK(lab.where("clusters.kube-01").column == 3);
    CHECK(lab.where("vms.virt-01.services[0].port").line == 63);
    CHECK(lab.where("apps.httpbin.values.podLabels.cluster").line == 84);
    CHECK(lab.where("istio.components[1]").line == 67);
  }
}

TEST_CASE("lab::load stamps") {
  const Lab lab = load_example("stamps.yaml");
  CHECK(lab.prefix == "stamps"); // not written: the lab name
  CHECK(lab.instance_name("pasta-1") == "stamps-pasta-1");
  REQUIRE(lab.cells.size() == 1);
  const Cell& pasta = lab.cells[0];
  CHECK(pasta.cluster_domain == "pasta.local");
  CHECK(pasta.trust_domain == "pasta.local");
  CHECK(pasta.clusters == std::vector<std::string>{"pasta-1", "pasta-2"});
  CHECK(cluster(lab, "pasta-1").domain == "pasta.local");
  CHECK(cluster(lab, "pasta-1").network == "pasta-1-network");
  CHECK(cluster(lab, "kube-00").domain == "cluster.local");
  CHECK(cluster(lab, "pasta-2").resources.memory == "5G"); // defaults.cluster
  CHECK(cluster(lab, "pasta-2").resources.cpus == 2);
  CHECK(cluster(lab, "pasta-2").pod_cidr == "10.66.0.0/16");
  REQUIRE(lab.vms.size() == 1);
  CHECK(lab.vms[0].network == "virt-01-network");
  CHECK(lab.vms[0].locality.str() == "milky-way/solar-system/virt-01");
  CHECK(lab.vms[0].resources.memory == "1G"); // VM built-in, not the cluster defaults
  SUBCASE("registries default to the three upstreams") {
    REQUIRE(lab.registries.size() == 3);
    CHECK(lab.registries[0].name == "docker.io");
    CHECK(lab.registries[0].upstream == "https://registry-1.docker.io");
    CHECK(lab.registries[0].port == 5001);
    CHECK(lab.registries[1].name == "quay.io");
    CHECK(lab.registries[1].upstream == "https://quay.io");
    CHECK(lab.registries[1].port == 5002);
    CHECK(lab.registries[2].name == "ghcr.io");
    CHECK(lab.registries[2].port == 5003);
  }
  SUBCASE("apps target the cell and keep their values") {
    REQUIRE(lab.apps.size() == 2);
    const App& blau = lab.apps[0];
    CHECK(blau.targets.kind == Targets::Kind::cell);
    CHECK(blau.targets.cell == "pasta");
    CHECK(lab.resolve(blau.targets).size() == 2);
    REQUIRE(blau.git.has_value());
    CHECK(blau.git->revision == "HEAD");
    CHECK(blau.hosts == std::vector<std::string>{"httpbin.blau.demo.lab", "echo.blau.demo.lab"});
    CHECK(blau.port == 80); // not written: the default
    CHECK(blau.values_yaml == "stamp: blau\ncluster: ${cluster}\nlocality: ${region}/${zone}/${subzone}\n");
    CHECK(lab.argocd.enabled);
    CHECK(lab.argocd.cluster == "kube-00");
  }
  SUBCASE("dns entries in file order") {
    REQUIRE(lab.dns.size() == 4);
    CHECK(lab.dns[0].host == "httpbin.blau.demo.lab");
    CHECK(lab.dns[0].address == "ingress");
    CHECK(lab.where_key("dns.echo.verd.demo.lab").line == 84);
  }
}

TEST_CASE("lab::load kind-locality") {
  const Lab lab = load_example("kind-locality.yaml");
  CHECK(lab.prefix == "mesh");
  CHECK(lab.instance_name("east") == "mesh-east");
  const Cluster& east = cluster(lab, "east");
  CHECK(east.provider == Provider::kind);
  CHECK(east.pod_cidr == "10.10.0.0/16");
  CHECK(east.service_cidr == "10.255.10.0/24");
  CHECK(east.network == "east-network");
  REQUIRE(east.nodes.size() == 3);
  CHECK(east.nodes[0].role == "control-plane");
  CHECK(east.nodes[0].locality == Locality{"east", "", ""}); // the cluster's
  CHECK(east.nodes[1].role == "worker");
  CHECK(east.nodes[1].locality == Locality{"east", "zone1", ""});
  CHECK(east.nodes[2].locality == Locality{"east", "zone2", ""});
  const Cluster& west = cluster(lab, "west");
  REQUIRE(west.nodes.size() == 1);
  CHECK(west.nodes[0].locality == Locality{"west", "zone3", ""});
  CHECK(lab.registries.size() == 1);
  CHECK(lab.istio.components == std::vector<std::string>{"base", "istiod", "ingress-gateway", "eastwest-gateway"});
  CHECK(lab.ca.subject.common_name == "East-West Root CA");
  SUBCASE("traffic policies") {
    REQUIRE(lab.traffic.size() == 2);
    const TrafficPolicy& failover = lab.traffic[0];
    CHECK(failover.namespace_ == "sample");
    REQUIRE(failover.failover.size() == 1);
    CHECK(failover.failover[0].from == "east");
    CHECK(failover.failover[0].to == "west");
    CHECK(failover.distribute.empty());
    const TrafficPolicy& split = lab.traffic[1];
    REQUIRE(split.distribute.size() == 1);
    CHECK(split.distribute[0].from == "east/zone1/*");
    CHECK(split.distribute[0].to_order ==
          std::vector<std::string>{"east/zone1/*", "east/zone2/*", "west/zone3/*"});
    CHECK(split.distribute[0].to.at("west/zone3/*") == 80);
  }
}

TEST_CASE("lab::load ci-smoke") {
  const Lab lab = load_example("ci-smoke.yaml");
  CHECK(lab.prefix == "ci-smoke");
  CHECK(lab.registries.empty()); // {} means none
  REQUIRE(lab.cells.size() == 1);
  CHECK(lab.cells[0].network_mode == NetworkMode::single);
  CHECK(lab.cells[0].network == "smoke-network");
  CHECK(cluster(lab, "one").network == "smoke-network");
  CHECK(cluster(lab, "two").network == "smoke-network");
  CHECK(cluster(lab, "one").role == ClusterRole::management);
  REQUIRE(cluster(lab, "two").nodes.size() == 1); // kind default: one control-plane
  CHECK(cluster(lab, "two").nodes[0].role == "control-plane");
  CHECK(cluster(lab, "two").nodes[0].locality == Locality{"ci", "two", ""});
  CHECK(cluster(lab, "one").pod_cidr == "10.64.0.0/16");
  CHECK(cluster(lab, "two").pod_cidr == "10.65.0.0/16");
  CHECK(cluster(lab, "two").service_cidr == "10.128.16.0/20");
  CHECK(lab.argocd.enabled); // implied by the app
  CHECK(lab.argocd.cluster == "one");
  CHECK(lab.apps[0].git->revision == "1.30.3");
  CHECK(lab.workload_clusters().size() == 2);
}

TEST_CASE("lab::load defaults") {
  const std::string head = "apiVersion: meshlab.dev/v1alpha1\nkind: Lab\nname: t\n";
  SUBCASE("state dir from XDG_STATE_HOME, else HOME") {
    {
      meshlab::test::ScopedEnv state("XDG_STATE_HOME", "/x/state");
      CHECK(load_string(head + "clusters: {a: {provider: kind}}\n", "t.yaml").lab.state_dir == "/x/state/meshlab/t");
    }
    meshlab::test::ScopedEnv state("XDG_STATE_HOME", std::nullopt);
    meshlab::test::ScopedEnv home("HOME", "/home/u");
    CHECK(load_string(head + "clusters: {a: {provider: kind}}\n", "t.yaml").lab.state_dir ==
          "/home/u/.local/state/meshlab/t");
  }
  SUBCASE("relative paths are relative to the lab file") {
    auto result = load_string(head + "stateDir: state\nca: {rootCert: pki/root.pem, rootKey: /abs/key.pem}\n"
                                     "clusters: {a: {provider: kind}}\n",
                              "dir/lab.yaml");
    CHECK(result.lab.state_dir == "dir/state");
    CHECK(result.lab.ca.root_cert_file == "dir/pki/root.pem");
    CHECK(result.lab.ca.root_key_file == "/abs/key.pem");
  }
  SUBCASE("cluster CIDRs skip blocks written elsewhere in the lab") {
    auto result = load_string(head + "clusters:\n  a: {provider: kind}\n  b: {provider: kind, podCIDR: 10.64.0.0/16}\n",
                              "t.yaml");
    CHECK(result.diagnostics.empty());
    CHECK(result.lab.clusters[0].pod_cidr == "10.65.0.0/16");
    CHECK(result.lab.clusters[1].pod_cidr == "10.64.0.0/16");
  }
  SUBCASE("a small pool runs out") {
    auto result = load_string(head + "addressPools: {pods: 10.0.0.0/16, podPrefix: 17}\n"
                                     "clusters: {a: {provider: kind}, b: {provider: kind}, c: {provider: kind}}\n",
                              "t.yaml");
    CHECK(result.lab.clusters[1].pod_cidr == "10.0.128.0/17");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].message == "clusters.c: no free /17 block left in the pod pool 10.0.0.0/16");
  }
  SUBCASE("ecdsa keys default to 256 bits; single cells share a network") {
    auto result = load_string(head + "ca: {keyType: ecdsa}\ncells: {c: {networkMode: single, network: shared}}\n"
                                     "clusters: {a: {provider: kind, cell: c}}\n",
                              "t.yaml");
    CHECK(result.lab.ca.key_size == 256);
    CHECK(result.lab.clusters[0].network == "shared");
    CHECK_FALSE(result.lab.argocd.enabled);
  }
  SUBCASE("a quoted value stays a string in Helm values") {
    auto result = load_string(head + "clusters: {a: {provider: kind}}\napps:\n  x:\n    values:\n"
                                     "      version: \"1.0\"\n      n: 1.0\n      list: [a, {b: c}]\n      empty:\n",
                              "t.yaml");
    CHECK(result.lab.apps[0].values_yaml == "version: \"1.0\"\nn: 1.0\nlist:\n  - a\n  - b: c\nempty: ~\n");
  }
  SUBCASE("keys keep their quotes: a quoted \"on\" or \"8080\" stays a string") {
    auto result = load_string(head + "clusters: {a: {provider: kind}}\napps:\n  x:\n    values:\n"
                                     "      \"on\": 1\n      \"8080\": http\n      'a b': c\n      app.kubernetes.io/name: x\n      n: 2\n",
                              "t.yaml");
    CHECK(result.lab.apps[0].values_yaml ==
          "\"on\": 1\n\"8080\": http\n\"a b\": c\napp.kubernetes.io/name: x\nn: 2\n");
  }
}

TEST_CASE("lab::load_valid_lab built-in") {
  const Lab lab = load_valid_lab("");
  CHECK(lab.name == "multi-primary");
  CHECK(lab.source_file == "<built-in>/multi-primary.yaml");
  CHECK(lab.where("clusters.kube-01.network").file == "<built-in>/multi-primary.yaml");
}

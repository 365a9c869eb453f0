// lab::Lab values mirroring labs/*.yaml as the loader resolves them (defaults applied),
// so the mesh renderers can be tested without the loader.
#pragma once

#include "lab/model.hpp"

#include <string>

// Own namespace: tests/support/sample_labs.hpp defines functions of the same names
// (inline functions of one name must be identical in every translation unit).
namespace meshlab::test::mesh_labs {

inline lab::Cluster make_cluster(std::string name, lab::Provider provider, std::string cell, std::string network,
                                 std::string region, std::string zone = {}, std::string subzone = {},
                                 std::string domain = "cluster.local") {
  lab::Cluster c;
  c.name = std::move(name);
  c.provider = provider;
  c.cell = std::move(cell);
  c.network = std::move(network);
  c.locality = {std::move(region), std::move(zone), std::move(subzone)};
  c.domain = std::move(domain);
  return c;
}

inline lab::Cell make_cell(std::string name, std::string domain, lab::NetworkMode mode,
                           std::vector<std::string> clusters, std::string network = {}) {
  lab::Cell cell;
  cell.name = name;
  cell.mesh_id = name;
  cell.trust_domain = domain;
  cell.cluster_domain = domain;
  cell.network_mode = mode;
  cell.network = std::move(network);
  cell.clusters = std::move(clusters);
  return cell;
}

inline lab::Istio default_istio() {
  lab::Istio istio;
  istio.revision = "1-30-3";
  return istio;
}

inline lab::Lab multi_primary_lab() {
  lab::Lab lab;
  lab.name = "multi-primary";
  lab.prefix = "";
  auto mgmt =
      make_cluster("kube-00", lab::Provider::multipass, "", "kube-00-network", "milky-way", "solar-system", "kube-00");
  mgmt.role = lab::ClusterRole::management;
  lab.clusters = {
      mgmt,
      make_cluster("kube-01", lab::Provider::multipass, "mesh", "kube-01", "milky-way", "solar-system", "kube-01"),
      make_cluster("kube-02", lab::Provider::multipass, "mesh", "kube-02", "milky-way", "solar-system", "kube-02")};
  lab.cells = {make_cell("mesh", "cluster.local", lab::NetworkMode::multi, {"kube-01", "kube-02"})};
  lab::Vm vm;
  vm.name = "virt-01";
  vm.cluster = "kube-01";
  vm.namespace_ = "httpbin";
  vm.service_account = "httpbin";
  vm.network = "virt-01";
  vm.locality = {"milky-way", "solar-system", "virt-01"};
  vm.services = {{"httpbin", 8080}};
  lab.vms = {vm};
  lab.istio = default_istio();
  lab.argocd.enabled = true;
  lab.argocd.cluster = "kube-00";
  lab::App httpbin;
  httpbin.name = "httpbin";
  httpbin.namespace_ = "httpbin";
  httpbin.helm = lab::HelmSource{"https://matheusfm.dev/charts", "httpbin", "0.1.1"};
  httpbin.values_yaml = "replicaCount: 1\npodLabels:\n  cluster: ${cluster}\n";
  lab.apps = {httpbin};
  return lab;
}

inline lab::Lab stamps_lab() {
  lab::Lab lab;
  lab.name = "stamps";
  lab.prefix = "stamps";
  auto mgmt =
      make_cluster("kube-00", lab::Provider::multipass, "", "kube-00-network", "milky-way", "solar-system", "kube-00");
  mgmt.role = lab::ClusterRole::management;
  lab.clusters = {mgmt,
                  make_cluster("pasta-1", lab::Provider::multipass, "pasta", "pasta-1-network", "milky-way",
                               "solar-system", "pasta-1", "pasta.local"),
                  make_cluster("pasta-2", lab::Provider::multipass, "pasta", "pasta-2-network", "milky-way",
                               "solar-system", "pasta-2", "pasta.local")};
  lab.cells = {make_cell("pasta", "pasta.local", lab::NetworkMode::multi, {"pasta-1", "pasta-2"})};
  lab::Vm vm;
  vm.name = "virt-01";
  vm.cluster = "pasta-1";
  vm.namespace_ = "httpbin";
  vm.service_account = "httpbin";
  vm.network = "virt-01-network";
  vm.locality = {"milky-way", "solar-system", "virt-01"};
  vm.services = {{"httpbin", 8080}};
  lab.vms = {vm};
  lab.istio = default_istio();
  lab.argocd.enabled = true;
  lab.argocd.cluster = "kube-00";
  for (const std::string stamp : {"blau", "verd"}) {
    lab::App app;
    app.name = "applab-" + stamp;
    app.namespace_ = app.name;
    app.git = lab::GitSource{"https://github.com/h0tbird/meshlab", "charts/applab", "HEAD"};
    app.targets.kind = lab::Targets::Kind::cell;
    app.targets.cell = "pasta";
    app.values_yaml = "stamp: " + stamp + "\ncluster: ${cluster}\nlocality: ${region}/${zone}/${subzone}\n";
    app.hosts = {"httpbin." + stamp + ".demo.lab", "echo." + stamp + ".demo.lab"};
    lab.apps.push_back(app);
  }
  lab.dns = {{"httpbin.blau.demo.lab", "ingress"},
             {"echo.blau.demo.lab", "ingress"},
             {"httpbin.verd.demo.lab", "ingress"},
             {"echo.verd.demo.lab", "ingress"}};
  return lab;
}

inline lab::Lab kind_locality_lab() {
  lab::Lab lab;
  lab.name = "kind-locality";
  lab.prefix = "mesh";
  auto east = make_cluster("east", lab::Provider::kind, "mesh", "east-network", "east");
  east.role = lab::ClusterRole::management;
  east.nodes = {
      {"control-plane", {"east", "", ""}}, {"worker", {"east", "zone1", ""}}, {"worker", {"east", "zone2", ""}}};
  auto west = make_cluster("west", lab::Provider::kind, "mesh", "west-network", "west");
  west.nodes = {{"control-plane", {"west", "zone3", ""}}};
  lab.clusters = {east, west};
  lab.cells = {make_cell("mesh", "cluster.local", lab::NetworkMode::multi, {"east", "west"})};
  lab.istio = default_istio();
  lab.istio.components = {"base", "istiod", "ingress-gateway", "eastwest-gateway"};
  lab.argocd.enabled = true;
  lab.argocd.cluster = "east";
  const auto git_app = [](std::string name, std::string ns, std::string path) {
    lab::App app;
    app.name = std::move(name);
    app.namespace_ = std::move(ns);
    app.git = lab::GitSource{"https://github.com/istio/istio", std::move(path), "1.30.3"};
    return app;
  };
  lab.apps = {git_app("sleep", "sample", "samples/sleep"), git_app("helloworld", "sample", "samples/helloworld"),
              git_app("helloworld-weighted", "weighted", "samples/helloworld")};
  lab::TrafficPolicy failover;
  failover.name = "helloworld-failover";
  failover.host = "helloworld.sample.svc.cluster.local";
  failover.namespace_ = "sample";
  failover.failover = {{"east", "west"}};
  lab::TrafficPolicy distribute;
  distribute.name = "helloworld-distribute";
  distribute.host = "helloworld.weighted.svc.cluster.local";
  distribute.namespace_ = "weighted";
  lab::Distribute split;
  split.from = "east/zone1/*";
  split.to = {{"east/zone1/*", 10}, {"east/zone2/*", 10}, {"west/zone3/*", 80}};
  split.to_order = {"east/zone1/*", "east/zone2/*", "west/zone3/*"};
  distribute.distribute = {split};
  lab.traffic = {failover, distribute};
  return lab;
}

inline lab::Lab ci_smoke_lab() {
  lab::Lab lab;
  lab.name = "ci-smoke";
  lab.prefix = "ci-smoke";
  auto one = make_cluster("one", lab::Provider::kind, "smoke", "smoke-network", "ci", "one");
  one.role = lab::ClusterRole::management;
  one.nodes = {{"control-plane", {"ci", "one", ""}}};
  auto two = make_cluster("two", lab::Provider::kind, "smoke", "smoke-network", "ci", "two");
  two.nodes = {{"control-plane", {"ci", "two", ""}}};
  lab.clusters = {one, two};
  lab.cells = {make_cell("smoke", "cluster.local", lab::NetworkMode::single, {"one", "two"}, "smoke-network")};
  lab.istio = default_istio();
  lab.istio.components = {"base", "istiod"};
  lab.argocd.enabled = true; // implied by apps
  lab.argocd.cluster = "one";
  lab::App httpbin;
  httpbin.name = "httpbin";
  httpbin.namespace_ = "httpbin";
  httpbin.git = lab::GitSource{"https://github.com/istio/istio", "samples/httpbin", "1.30.3"};
  lab.apps = {httpbin};
  return lab;
}

} // namespace meshlab::test::mesh_labs

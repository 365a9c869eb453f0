// Resolved lab::Lab values built in code (what the loader makes of labs/*.yaml), so
// render tests do not depend on the loader.
#pragma once

#include "lab/model.hpp"

namespace meshlab::test {

// labs/multi-primary.yaml: three k3s clusters on multipass, a VM running httpbin.
inline lab::Lab multi_primary_lab() {
  using namespace lab;
  Lab lab;
  lab.api_version = "meshlab.dev/v1alpha1";
  lab.name = "multi-primary";
  lab.prefix = "";
  lab.ca.key_type = "ecdsa"; // RSA 4096 takes seconds per key; what the tests check does not depend on it
  lab.ca.key_size = 256;
  lab.registries = {{"docker.io", "https://registry-1.docker.io", 5011},
                    {"quay.io", "https://quay.io", 5012},
                    {"ghcr.io", "https://ghcr.io", 5013}};
  lab.cells.push_back(Cell{.name = "mesh", .mesh_id = "mesh", .trust_domain = "cluster.local",
                           .cluster_domain = "cluster.local", .clusters = {"kube-01", "kube-02"}});
  int index = 0;
  for (const char* name : {"kube-00", "kube-01", "kube-02"}) {
    Cluster cluster{.name = name, .provider = Provider::multipass};
    cluster.role = index == 0 ? ClusterRole::management : ClusterRole::workload;
    cluster.cell = index == 0 ? "" : "mesh";
    cluster.k3s_version = "v1.30.2+k3s2";
    cluster.locality = Locality{"milky-way", "solar-system", name};
    cluster.network = index == 0 ? "" : name;
    cluster.pod_cidr = "10." + std::to_string(64 + index) + ".0.0/16";
    cluster.service_cidr = "10.128." + std::to_string(16 * index) + ".0/20";
    cluster.domain = "cluster.local";
    lab.clusters.push_back(cluster);
    ++index;
  }
  Vm vm{.name = "virt-01", .cluster = "kube-01", .namespace_ = "httpbin", .service_account = "httpbin"};
  vm.network = "virt-01";
  vm.locality = Locality{"milky-way", "solar-system", "virt-01"};
  vm.services.push_back(VmService{"httpbin", 8080});
  lab.vms.push_back(vm);
  return lab;
}

// labs/kind-locality.yaml: kind clusters east (two zones) and west, one registry.
inline lab::Lab kind_locality_lab() {
  using namespace lab;
  Lab lab;
  lab.api_version = "meshlab.dev/v1alpha1";
  lab.name = "kind-locality";
  lab.prefix = "mesh";
  lab.ca.key_type = "ecdsa";
  lab.ca.key_size = 256;
  lab.registries = {{"docker.io", "https://registry-1.docker.io", 5001}};
  Cluster east{.name = "east", .provider = Provider::kind, .role = ClusterRole::management, .cell = "mesh"};
  east.nodes = {KindNode{"control-plane", Locality{"east", "", ""}}, KindNode{"worker", Locality{"east", "zone1", ""}},
                KindNode{"worker", Locality{"east", "zone2", ""}}};
  east.locality = Locality{"east", "", ""};
  east.network = "east-network";
  east.pod_cidr = "10.10.0.0/16";
  east.service_cidr = "10.255.10.0/24";
  east.domain = "cluster.local";
  Cluster west{.name = "west", .provider = Provider::kind, .cell = "mesh"};
  west.nodes = {KindNode{"control-plane", Locality{"west", "zone3", ""}}};
  west.locality = Locality{"west", "", ""};
  west.network = "west-network";
  west.pod_cidr = "10.30.0.0/16";
  west.service_cidr = "10.255.30.0/24";
  west.domain = "cluster.local";
  lab.clusters = {east, west};
  lab.cells.push_back(Cell{.name = "mesh", .mesh_id = "mesh", .trust_domain = "cluster.local",
                           .cluster_domain = "cluster.local", .clusters = {"east", "west"}});
  return lab;
}

} // namespace meshlab::test

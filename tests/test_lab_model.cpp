#include "lab/model.hpp"

#include <doctest/doctest.h>

using namespace meshlab::lab;

TEST_CASE("lab::Locality") {
  SUBCASE("drops trailing empty parts") {
    CHECK(Locality{"east", "", ""}.str() == "east");
    CHECK(Locality{"east", "zone1", ""}.str() == "east/zone1");
    CHECK(Locality{"milky-way", "solar-system", "kube-01"}.str() == "milky-way/solar-system/kube-01");
  }
  SUBCASE("keeps an empty zone when a subzone is set") { CHECK(Locality{"r", "", "s"}.str() == "r//s"); }
}

TEST_CASE("lab::ingress names") {
  SUBCASE("the Service is the host's first label") {
    CHECK(ingress_service("httpbin.blau.demo.lab") == "httpbin");
    CHECK(ingress_service("echo") == "echo");
  }
  SUBCASE("the TLS secret is the host with dashes, then -tls") {
    CHECK(ingress_secret_name("httpbin.blau.demo.lab") == "httpbin-blau-demo-lab-tls");
  }
}

TEST_CASE("lab::Lab lookups") {
  Lab lab;
  lab.prefix = "mesh";
  lab.clusters.push_back(Cluster{.name = "mgmt", .role = ClusterRole::management});
  lab.clusters.push_back(Cluster{.name = "east", .cell = "c1"});
  lab.clusters.push_back(Cluster{.name = "west", .cell = "c2"});

  SUBCASE("instance names carry the prefix unless it is empty") {
    CHECK(lab.instance_name("east") == "mesh-east");
    lab.prefix.clear();
    CHECK(lab.instance_name("east") == "east");
  }
  SUBCASE("workload clusters are the cell members") {
    auto workload = lab.workload_clusters();
    REQUIRE(workload.size() == 2);
    CHECK(workload[0]->name == "east");
    CHECK(lab.management_cluster()->name == "mgmt");
  }
  SUBCASE("targets resolve to clusters in lab order") {
    CHECK(lab.resolve(Targets{}).size() == 2);
    CHECK(lab.resolve(Targets{.kind = Targets::Kind::cell, .cell = "c2"}).front()->name == "west");
    auto listed = lab.resolve(Targets{.kind = Targets::Kind::clusters, .clusters = {"west", "east"}});
    REQUIRE(listed.size() == 2);
    CHECK(listed[0]->name == "east");
  }
}

#include "verify/core_checks.hpp"

#include "support/sample_labs.hpp"
#include "support/verify_world.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using test::node;

TEST_CASE("verify::nodes") {
  const auto check = verify::nodes_check();
  CHECK(check.id == "nodes");

  SUBCASE("kind nodes Ready with their own localities pass") {
    test::VerifyWorld w{test::kind_locality_lab()};
    w.on_kubectl("east", {"get", "nodes", "-o", "json"},
                 test::list_of({node("mesh-east-control-plane", {"east", "", ""}),
                                node("mesh-east-worker", {"east", "zone1", ""}),
                                node("mesh-east-worker2", {"east", "zone2", ""})}));
    w.on_kubectl("west", {"get", "nodes", "-o", "json"}, test::list_of({node("mesh-west-control-plane", {"west", "zone3", ""})}));
    const auto results = check.run(w.ctx());
    REQUIRE(results.size() == 2);
    CHECK(results[0].subject == "cluster/east");
    CHECK(results[0].outcome == verify::Outcome::pass);
    CHECK(results[0].message == "3/3 nodes Ready with locality labels at east");
    CHECK(results[1].subject == "cluster/west");
    CHECK(results[1].outcome == verify::Outcome::pass);
    CHECK(results[0].evidence.at(0).command.find("get nodes -o json") != std::string::npos);
    CHECK(test::evidence_of(results[0]).find("mesh-east-worker2 Ready=True region=east zone=zone2") != std::string::npos);
  }
  SUBCASE("a NotReady node and a wrong zone fail with the node named") {
    test::VerifyWorld w{test::kind_locality_lab()};
    w.on_kubectl("east", {"get", "nodes", "-o", "json"},
                 test::list_of({node("mesh-east-control-plane", {"east", "", ""}, false),
                                node("mesh-east-worker", {"east", "zone9", ""}),
                                node("mesh-east-worker2", {"east", "zone2", ""})}));
    w.on_kubectl("west", {"get", "nodes", "-o", "json"}, test::list_of({node("mesh-west-control-plane", {"west", "", ""})}));
    const auto results = check.run(w.ctx());
    const auto* east = test::find_result(results, "cluster/east");
    REQUIRE(east != nullptr);
    CHECK(east->outcome == verify::Outcome::fail);
    CHECK(east->message == "mesh-east-control-plane: not Ready (and 1 more)");
    CHECK(test::evidence_of(*east).find("problem: mesh-east-worker: topology.kubernetes.io/zone=zone9 (want \"zone2\")") ==
          std::string::npos);
    CHECK(test::evidence_of(*east).find("problem: mesh-east-worker: topology.kubernetes.io/zone=zone9 (want \"zone1\")") !=
          std::string::npos);
    const auto* west = test::find_result(results, "cluster/west");
    REQUIRE(west != nullptr);
    CHECK(west->outcome == verify::Outcome::fail);
    CHECK(west->message == "mesh-west-control-plane: no topology.kubernetes.io/zone label (want \"zone3\")");
  }
  SUBCASE("a kind node that is missing fails") {
    test::VerifyWorld w{test::kind_locality_lab()};
    w.on_kubectl("east", {"get", "nodes", "-o", "json"},
                 test::list_of({node("mesh-east-control-plane", {"east", "", ""}), node("mesh-east-worker", {"east", "zone1", ""})}));
    w.on_kubectl("west", {"get", "nodes", "-o", "json"}, test::list_of({node("mesh-west-control-plane", {"west", "zone3", ""})}));
    const auto results = check.run(w.ctx());
    CHECK(test::find_result(results, "cluster/east")->message == "mesh-east-worker2: missing");
  }
  SUBCASE("an unreachable cluster fails with kubectl's message") {
    test::VerifyWorld w{test::kind_locality_lab()};
    w.on_kubectl("east", {"get", "nodes", "-o", "json"},
                 exec::Completed{.exit_code = 1, .err = "The connection to the server 127.0.0.1:1234 was refused\n"});
    w.on_kubectl("west", {"get", "nodes", "-o", "json"}, test::list_of({node("mesh-west-control-plane", {"west", "zone3", ""})}));
    const auto results = check.run(w.ctx());
    const auto* east = test::find_result(results, "cluster/east");
    CHECK(east->outcome == verify::Outcome::fail);
    CHECK(east->message == "kubectl exited with status 1: The connection to the server 127.0.0.1:1234 was refused");
  }
  SUBCASE("multipass clusters carry the cluster's locality; VMs must be Running") {
    test::VerifyWorld w{test::multi_primary_lab()};
    for (const char* name : {"kube-00", "kube-01", "kube-02"})
      w.on_kubectl(name, {"get", "nodes", "-o", "json"},
                   test::list_of({node(name, {"milky-way", "solar-system", name})}));
    w.runner.on({"multipass", "info", "--format", "json"},
                exec::Completed{.out = R"({"errors": [], "info": {"virt-01": {"state": "Running", "ipv4": ["127.0.10.4"]}}})"});
    auto results = check.run(w.ctx());
    REQUIRE(results.size() == 4);
    CHECK(results[3].subject == "vm/virt-01");
    CHECK(results[3].outcome == verify::Outcome::pass);
    CHECK(results[3].message == "virt-01 Running at 127.0.10.4");
    for (const auto& r : results) CHECK(r.outcome == verify::Outcome::pass);

    test::VerifyWorld stopped{test::multi_primary_lab()};
    for (const char* name : {"kube-00", "kube-01", "kube-02"})
      stopped.on_kubectl(name, {"get", "nodes", "-o", "json"}, test::list_of({node(name, {"milky-way", "solar-system", "x"})}));
    stopped.runner.on({"multipass", "info", "--format", "json"},
                      exec::Completed{.out = R"({"errors": [], "info": {"virt-01": {"state": "Stopped", "ipv4": []}}})"});
    results = check.run(stopped.ctx());
    CHECK(test::find_result(results, "vm/virt-01")->message == "virt-01 is Stopped, not Running");
    CHECK(test::find_result(results, "cluster/kube-01")->message ==
          "kube-01: topology.istio.io/subzone=x (want \"kube-01\")");
  }
}

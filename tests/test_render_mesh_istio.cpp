#include "render/mesh.hpp"

#include "support/mesh_artifacts.hpp"
#include "support/mesh_labs.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

using namespace meshlab;
using namespace meshlab::test;
using namespace meshlab::test::mesh_labs;

TEST_CASE("render::istio_resources") {
  SUBCASE("multi-network: istio-system carries the network label") {
    const auto ns = load_artifact(render_mesh_of(multi_primary_lab()), "clusters/kube-02/istio/namespace.yaml");
    CHECK(ns["kind"].as<std::string>() == "Namespace");
    CHECK(ns["metadata"]["name"].as<std::string>() == "istio-system");
    CHECK(ns["metadata"]["labels"]["topology.istio.io/network"].as<std::string>() == "kube-02");
  }

  SUBCASE("cross-network Gateway: AUTO_PASSTHROUGH on 15443 through the east-west gateway") {
    const auto gw = load_artifact(render_mesh_of(stamps_lab()), "clusters/pasta-1/istio/cross-network-gateway.yaml");
    CHECK(gw["apiVersion"].as<std::string>() == "networking.istio.io/v1");
    CHECK(gw["kind"].as<std::string>() == "Gateway");
    CHECK(gw["metadata"]["name"].as<std::string>() == "cross-network-gateway");
    CHECK(gw["metadata"]["namespace"].as<std::string>() == "istio-system");
    CHECK(gw["spec"]["selector"]["istio"].as<std::string>() == "eastwestgateway");
    const auto server = gw["spec"]["servers"][0];
    CHECK(server["port"]["number"].as<int>() == 15443);
    CHECK(server["port"]["protocol"].as<std::string>() == "TLS");
    CHECK(server["tls"]["mode"].as<std::string>() == "AUTO_PASSTHROUGH");
    // pasta.local is under *.local, like the sample's cluster.local.
    CHECK(server["hosts"][0].as<std::string>() == "*.local");
  }

  SUBCASE("cross-network Gateway: a domain outside .local gets its own suffix") {
    auto lab = kind_locality_lab();
    lab.clusters[1].domain = "west.internal";
    const auto gw = load_artifact(render_mesh_of(lab), "clusters/west/istio/cross-network-gateway.yaml");
    CHECK(gw["spec"]["servers"][0]["hosts"][0].as<std::string>() == "*.west.internal");
  }

  SUBCASE("istiod exposed for VMs, only on the cluster they attach to, routed to the revisioned istiod") {
    const auto artifacts = render_mesh_of(multi_primary_lab());
    CHECK(find_artifact(artifacts, "clusters/kube-02/istio/expose-istiod.yaml") == nullptr);
    const auto docs = load_all(artifacts, "clusters/kube-01/istio/expose-istiod.yaml");
    REQUIRE(docs.size() == 2);
    CHECK(docs[0]["kind"].as<std::string>() == "Gateway");
    CHECK(docs[0]["metadata"]["name"].as<std::string>() == "istiod-gateway");
    CHECK(docs[0]["spec"]["servers"][0]["port"]["number"].as<int>() == 15012);
    CHECK(docs[0]["spec"]["servers"][1]["port"]["number"].as<int>() == 15017);
    CHECK(docs[0]["spec"]["servers"][0]["tls"]["mode"].as<std::string>() == "PASSTHROUGH");
    const auto vs = docs[1];
    CHECK(vs["kind"].as<std::string>() == "VirtualService");
    CHECK(vs["metadata"]["name"].as<std::string>() == "istiod-vs-1-30-3");
    CHECK(vs["spec"]["gateways"][0].as<std::string>() == "istiod-gateway");
    CHECK(vs["spec"]["tls"][0]["match"][0]["sniHosts"][0].as<std::string>() == "istiod-1-30-3.istio-system.svc");
    CHECK(vs["spec"]["tls"][0]["route"][0]["destination"]["host"].as<std::string>() ==
          "istiod-1-30-3.istio-system.svc.cluster.local");
    CHECK(vs["spec"]["tls"][1]["route"][0]["destination"]["port"]["number"].as<int>() == 443);
  }

  SUBCASE("istiod exposure without a revision follows expose-istiod.yaml") {
    auto lab = stamps_lab();
    lab.istio.revision.clear();
    const auto docs = load_all(render_mesh_of(lab), "clusters/pasta-1/istio/expose-istiod.yaml");
    REQUIRE(docs.size() == 2);
    CHECK(docs[1]["metadata"]["name"].as<std::string>() == "istiod-vs");
    CHECK(docs[1]["spec"]["tls"][0]["match"][0]["sniHosts"][0].as<std::string>() == "*");
    CHECK(docs[1]["spec"]["tls"][0]["route"][0]["destination"]["host"].as<std::string>() ==
          "istiod.istio-system.svc.pasta.local");
  }

  SUBCASE("failover DestinationRule: locality LB enabled, failover, outlier detection") {
    const auto dr = load_artifact(render_mesh_of(kind_locality_lab()),
                                  "clusters/east/istio/destination-rule-helloworld-failover.yaml");
    CHECK(dr["apiVersion"].as<std::string>() == "networking.istio.io/v1");
    CHECK(dr["kind"].as<std::string>() == "DestinationRule");
    CHECK(dr["metadata"]["name"].as<std::string>() == "helloworld-failover");
    CHECK(dr["metadata"]["namespace"].as<std::string>() == "sample");
    CHECK(dr["spec"]["host"].as<std::string>() == "helloworld.sample.svc.cluster.local");
    const auto policy = dr["spec"]["trafficPolicy"];
    const auto lb = policy["loadBalancer"]["localityLbSetting"];
    CHECK(lb["enabled"].as<bool>());
    REQUIRE(lb["failover"].size() == 1);
    CHECK(lb["failover"][0]["from"].as<std::string>() == "east");
    CHECK(lb["failover"][0]["to"].as<std::string>() == "west");
    CHECK(!lb["distribute"]);
    CHECK(policy["outlierDetection"]["consecutive5xxErrors"].as<int>() == 1);
    CHECK(policy["outlierDetection"]["interval"].as<std::string>() == "1s");
    CHECK(policy["outlierDetection"]["baseEjectionTime"].as<std::string>() == "1m");
    CHECK(policy["connectionPool"]["http"]["maxRequestsPerConnection"].as<int>() == 1);
  }

  SUBCASE("distribute DestinationRule: weights in the order written") {
    const auto dr = load_artifact(render_mesh_of(kind_locality_lab()),
                                  "clusters/west/istio/destination-rule-helloworld-distribute.yaml");
    const auto lb = dr["spec"]["trafficPolicy"]["loadBalancer"]["localityLbSetting"];
    CHECK(lb["enabled"].as<bool>());
    CHECK(!lb["failover"]);
    REQUIRE(lb["distribute"].size() == 1);
    CHECK(lb["distribute"][0]["from"].as<std::string>() == "east/zone1/*");
    const auto to = lb["distribute"][0]["to"];
    std::vector<std::pair<std::string, int>> weights;
    for (const auto& entry : to) weights.emplace_back(entry.first.as<std::string>(), entry.second.as<int>());
    CHECK(weights ==
          std::vector<std::pair<std::string, int>>{{"east/zone1/*", 10}, {"east/zone2/*", 10}, {"west/zone3/*", 80}});
    CHECK(dr["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"].as<int>() == 100);
  }

  SUBCASE("a policy goes only to its target clusters") {
    auto lab = kind_locality_lab();
    lab.traffic[0].targets = {lab::Targets::Kind::clusters, "", {"west"}};
    const auto artifacts = render_mesh_of(lab);
    CHECK(find_artifact(artifacts, "clusters/east/istio/destination-rule-helloworld-failover.yaml") == nullptr);
    CHECK(find_artifact(artifacts, "clusters/west/istio/destination-rule-helloworld-failover.yaml") != nullptr);
  }

  SUBCASE("failover and distribute together is an error naming the policy") {
    auto lab = kind_locality_lab();
    lab.traffic[0].distribute = lab.traffic[1].distribute;
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("traffic.helloworld-failover"), Error);
  }

  SUBCASE("hostile strings in a policy stay data") {
    auto lab = kind_locality_lab();
    const std::string hostile = "h\"o: st\n- {x: [y]} # z";
    lab.traffic[0].host = hostile;
    lab.traffic[0].failover[0].from = hostile;
    const auto dr = load_artifact(render_mesh_of(lab), "clusters/east/istio/destination-rule-helloworld-failover.yaml");
    CHECK(dr["spec"]["host"].as<std::string>() == hostile);
    CHECK(dr["spec"]["trafficPolicy"]["loadBalancer"]["localityLbSetting"]["failover"][0]["from"].as<std::string>() ==
          hostile);
  }
}

TEST_CASE("render::workload_group") {
  SUBCASE("the VM's WorkloadGroup: namespace, service account, network, locality, app, ports, probe") {
    const auto artifacts = render_mesh_of(multi_primary_lab());
    const auto wg = load_artifact(artifacts, "vms/virt-01/workload-group.yaml");
    CHECK(wg["apiVersion"].as<std::string>() == "networking.istio.io/v1");
    CHECK(wg["kind"].as<std::string>() == "WorkloadGroup");
    CHECK(wg["metadata"]["name"].as<std::string>() == "virt-01");
    CHECK(wg["metadata"]["namespace"].as<std::string>() == "httpbin");
    CHECK(wg["spec"]["metadata"]["labels"]["app"].as<std::string>() == "httpbin");
    const auto tmpl = wg["spec"]["template"];
    CHECK(tmpl["serviceAccount"].as<std::string>() == "httpbin");
    CHECK(tmpl["network"].as<std::string>() == "virt-01");
    CHECK(tmpl["locality"].as<std::string>() == "milky-way/solar-system/virt-01");
    CHECK(tmpl["ports"]["httpbin"].as<int>() == 8080);
    CHECK(!tmpl["address"]);
    CHECK(wg["spec"]["probe"]["tcpSocket"]["port"].as<int>() == 8080);
    CHECK(find_artifact(artifacts, "vms/virt-01/workload-group.yaml")->cluster == "virt-01");
  }

  SUBCASE("its Namespace (labelled for the revision) and ServiceAccount") {
    const auto docs = load_all(render_mesh_of(stamps_lab()), "vms/virt-01/identity.yaml");
    REQUIRE(docs.size() == 2);
    CHECK(docs[0]["kind"].as<std::string>() == "Namespace");
    CHECK(docs[0]["metadata"]["name"].as<std::string>() == "httpbin");
    CHECK(docs[0]["metadata"]["labels"]["istio.io/rev"].as<std::string>() == "1-30-3");
    CHECK(docs[1]["kind"].as<std::string>() == "ServiceAccount");
    CHECK(docs[1]["metadata"]["name"].as<std::string>() == "httpbin");
    CHECK(docs[1]["metadata"]["namespace"].as<std::string>() == "httpbin");
  }

  SUBCASE("a Service <vm>-<service> per VM service selecting exactly the group's labels") {
    auto lab = multi_primary_lab();
    lab.vms[0].services.push_back({"echo", 9000});
    const auto artifacts = render_mesh_of(lab);
    const auto wg = load_artifact(artifacts, "vms/virt-01/workload-group.yaml");
    CHECK(wg["spec"]["metadata"]["labels"]["meshlab.dev/vm"].as<std::string>() == "virt-01");
    std::vector<YAML::Node> services;
    for (const auto& doc : load_all(artifacts, "vms/virt-01/service.yaml"))
      if (doc.IsMap()) services.push_back(doc);
    REQUIRE(services.size() == 2);
    for (const auto& [index, name, port] : {std::tuple{0, "httpbin", 8080}, std::tuple{1, "echo", 9000}}) {
      CAPTURE(name);
      const auto& svc = services[static_cast<std::size_t>(index)];
      CHECK(svc["kind"].as<std::string>() == "Service");
      CHECK(svc["metadata"]["name"].as<std::string>() == std::string("virt-01-") + name);
      CHECK(svc["metadata"]["namespace"].as<std::string>() == "httpbin");
      CHECK(svc["spec"]["selector"].size() == wg["spec"]["metadata"]["labels"].size());
      for (const auto& label : wg["spec"]["metadata"]["labels"])
        CHECK(svc["spec"]["selector"][label.first.as<std::string>()].as<std::string>() ==
              label.second.as<std::string>());
      // The port name is the WorkloadGroup's port name: the WorkloadEntry maps it.
      CHECK(svc["spec"]["ports"][0]["name"].as<std::string>() == name);
      CHECK(svc["spec"]["ports"][0]["port"].as<int>() == port);
      CHECK(wg["spec"]["template"]["ports"][name].as<int>() == port);
    }
  }

  SUBCASE("a VM without services or locality gets neither ports, probe nor locality") {
    auto lab = stamps_lab();
    lab.vms[0].services.clear();
    lab.vms[0].locality = {};
    const auto wg = load_artifact(render_mesh_of(lab), "vms/virt-01/workload-group.yaml");
    CHECK(wg["spec"]["metadata"]["labels"]["app"].as<std::string>() == "virt-01");
    CHECK(!wg["spec"]["template"]["ports"]);
    CHECK(!wg["spec"]["template"]["locality"]);
    CHECK(!wg["spec"]["probe"]);
    CHECK(find_artifact(render_mesh_of(lab), "vms/virt-01/service.yaml") == nullptr);
  }
}

TEST_CASE("render::coredns") {
  SUBCASE("k3s: coredns-custom with rewrites to the ingress gateway and a hosts server block") {
    auto lab = stamps_lab();
    lab.dns.push_back({"db.demo.lab", "192.168.64.9"});
    const auto cm = load_artifact(render_mesh_of(lab), "clusters/pasta-2/coredns.yaml");
    CHECK(cm["kind"].as<std::string>() == "ConfigMap");
    CHECK(cm["metadata"]["name"].as<std::string>() == "coredns-custom");
    CHECK(cm["metadata"]["namespace"].as<std::string>() == "kube-system");
    const auto override_ = cm["data"]["meshlab.override"].as<std::string>();
    CHECK(override_.find(
              "rewrite name exact httpbin.blau.demo.lab istio-ingressgateway.istio-system.svc.pasta.local\n") !=
          std::string::npos);
    CHECK(override_.find("rewrite name exact echo.verd.demo.lab istio-ingressgateway.istio-system.svc.pasta.local\n") !=
          std::string::npos);
    const auto server = cm["data"]["meshlab.server"].as<std::string>();
    CHECK(server.rfind("db.demo.lab {\n", 0) == 0);
    CHECK(server.find("192.168.64.9 db.demo.lab\n") != std::string::npos);
  }

  SUBCASE("kind: the whole Corefile, kubeadm's default plus the entries") {
    auto lab = kind_locality_lab();
    lab.dns = {{"httpbin.demo.lab", "ingress"}, {"db.demo.lab", "10.0.0.7"}};
    const auto cm = load_artifact(render_mesh_of(lab), "clusters/west/coredns.yaml");
    CHECK(cm["metadata"]["name"].as<std::string>() == "coredns");
    const auto corefile = cm["data"]["Corefile"].as<std::string>();
    CHECK(corefile.rfind(".:53 {\n", 0) == 0);
    for (const auto* line :
         {"    kubernetes cluster.local in-addr.arpa ip6.arpa {\n", "    forward . /etc/resolv.conf {\n",
          "    rewrite name exact httpbin.demo.lab istio-ingressgateway.istio-system.svc.cluster.local\n",
          "       10.0.0.7 db.demo.lab\n", "    reload\n", "    loop\n"}) {
      CAPTURE(line);
      CHECK(corefile.find(line) != std::string::npos);
    }
  }

  SUBCASE("no entries, or an external cluster: no CoreDNS file") {
    for (const auto& artifact : render_mesh_of(kind_locality_lab())) CHECK(artifact.kind != "coredns");
    auto lab = stamps_lab();
    lab.clusters[2].provider = lab::Provider::external;
    const auto artifacts = render_mesh_of(lab);
    CHECK(find_artifact(artifacts, "clusters/pasta-1/coredns.yaml") != nullptr);
    CHECK(find_artifact(artifacts, "clusters/pasta-2/coredns.yaml") == nullptr);
  }

  SUBCASE("entries that could inject Corefile directives or YAML are refused, naming them") {
    auto lab = stamps_lab();
    lab.dns = {{"evil.lab }\nimport /etc/passwd", "ingress"}};
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("is not a host name"), Error);
    lab.dns = {{"db.demo.lab", "10.0.0.256"}};
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("dns.db.demo.lab: \"10.0.0.256\" is neither"), Error);
    lab.dns = {{"db.demo.lab", "ingres"}};
    CHECK_THROWS_AS(render_mesh_of(lab), Error);
  }

  SUBCASE("\"ingress\" without an ingress gateway is an error") {
    auto lab = stamps_lab();
    lab.istio.components = {"base", "istiod", "eastwest-gateway"};
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("leaves out ingress-gateway"), Error);
  }
}

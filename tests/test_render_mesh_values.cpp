#include "render/mesh.hpp"

#include "support/mesh_artifacts.hpp"
#include "support/mesh_labs.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

using namespace meshlab;
using namespace meshlab::test;
using namespace meshlab::test::mesh_labs;

namespace {

// Every key meshlab may set, per chart, checked by hand against istio/istio tag 1.30.3:
//   base    manifests/charts/base/values.yaml (defaultRevision, read by
//           templates/defaultrevision-validatingwebhookconfiguration.yaml)
//   cni     manifests/charts/istio-cni/values.yaml (cniBinDir, cniConfDir, read by
//           templates/daemonset.yaml)
//   istiod  manifests/charts/istio-control/istio-discovery/values.yaml (revision,
//           global.meshID, global.multiCluster.clusterName, global.network,
//           global.proxy.clusterDomain -> istiod --domain in templates/deployment.yaml,
//           meshConfig.trustDomain merged over templates/configmap.yaml's default,
//           cni.enabled -> pilot.cni.enabled in templates/istiod-injector-configmap.yaml)
//   gateway manifests/charts/gateway/values.yaml and values.schema.json, whose top level
//           has additionalProperties: false, so an unknown key fails the install
//           (name, revision, networkGateway; networkGatewayPorts.<port name>.port and
//           .targetPort, new in 1.30, read by templates/_helpers.tpl gateway.networkGatewayPort
//           for the ports status-port, tls, tls-istiod, tls-webhook).
// Adding a key to a template without checking the chart (and this table) fails here.
const std::map<std::string, std::set<std::string>> k_chart_keys{
    {"base", {"defaultRevision"}},
    {"cni", {"cniBinDir", "cniConfDir"}},
    {"istiod",
     {"revision", "global.meshID", "global.multiCluster.clusterName", "global.network", "global.proxy.clusterDomain",
      "meshConfig.trustDomain", "cni.enabled"}},
    {"gateway",
     {"name", "revision", "networkGateway", "networkGatewayPorts.status-port.port",
      "networkGatewayPorts.status-port.targetPort"}},
};

const std::map<std::string, std::string> k_chart_of{{"base", "base"},
                                                    {"cni", "cni"},
                                                    {"istiod", "istiod"},
                                                    {"ingress-gateway", "gateway"},
                                                    {"eastwest-gateway", "gateway"}};

YAML::Node values(const std::vector<render::Artifact>& artifacts, const std::string& cluster,
                  const std::string& component) {
  return load_artifact(artifacts, "clusters/" + cluster + "/helm/" + component + ".yaml");
}

} // namespace

TEST_CASE("render::helm_values") {
  SUBCASE("every values file sets only keys pinned for its chart") {
    for (const auto& lab : {multi_primary_lab(), stamps_lab(), kind_locality_lab(), ci_smoke_lab()}) {
      CAPTURE(lab.name);
      for (const auto& artifact : render_mesh_of(lab)) {
        if (artifact.kind != "helm-values") continue;
        CAPTURE(artifact.path);
        const auto component = artifact.path.substr(artifact.path.rfind('/') + 1);
        const auto chart = k_chart_of.at(component.substr(0, component.size() - 5));
        for (const auto& key : leaf_keys(YAML::Load(artifact.content))) {
          CAPTURE(key);
          CHECK(k_chart_keys.at(chart).count(key) == 1);
        }
      }
    }
  }

  SUBCASE("k3s with every component sets every pinned key") {
    const auto artifacts = render_mesh_of(multi_primary_lab());
    CHECK(leaf_keys(values(artifacts, "kube-01", "base")) == k_chart_keys.at("base"));
    CHECK(leaf_keys(values(artifacts, "kube-01", "cni")) == k_chart_keys.at("cni"));
    CHECK(leaf_keys(values(artifacts, "kube-01", "istiod")) == k_chart_keys.at("istiod"));
    CHECK(leaf_keys(values(artifacts, "kube-01", "eastwest-gateway")) == k_chart_keys.at("gateway"));
    CHECK(leaf_keys(values(artifacts, "kube-01", "ingress-gateway")) == std::set<std::string>{"name", "revision"});
  }

  SUBCASE("istiod: mesh ID, cluster name, network, trust and cluster domain, revision") {
    const auto artifacts = render_mesh_of(stamps_lab());
    const auto istiod = values(artifacts, "pasta-2", "istiod");
    CHECK(istiod["revision"].as<std::string>() == "1-30-3");
    CHECK(istiod["global"]["meshID"].as<std::string>() == "pasta");
    CHECK(istiod["global"]["multiCluster"]["clusterName"].as<std::string>() == "pasta-2");
    CHECK(istiod["global"]["network"].as<std::string>() == "pasta-2-network");
    CHECK(istiod["global"]["proxy"]["clusterDomain"].as<std::string>() == "pasta.local");
    CHECK(istiod["meshConfig"]["trustDomain"].as<std::string>() == "pasta.local");
    CHECK(istiod["cni"]["enabled"].as<bool>());
    CHECK(!values(render_mesh_of(kind_locality_lab()), "east", "istiod")["cni"]);
  }

  SUBCASE("separate cells are separate meshes: their own mesh ID and trust domain") {
    auto lab = stamps_lab();
    lab.clusters.push_back(make_cluster("pizza-1", lab::Provider::multipass, "pizza", "pizza-1-network", "milky-way",
                                        "solar-system", "pizza-1", "pizza.local"));
    lab.cells.push_back(make_cell("pizza", "pizza.local", lab::NetworkMode::multi, {"pizza-1"}));
    const auto artifacts = render_mesh_of(lab);
    const auto pasta = values(artifacts, "pasta-1", "istiod");
    const auto pizza = values(artifacts, "pizza-1", "istiod");
    CHECK(pasta["global"]["meshID"].as<std::string>() == "pasta");
    CHECK(pizza["global"]["meshID"].as<std::string>() == "pizza");
    CHECK(pasta["meshConfig"]["trustDomain"].as<std::string>() == "pasta.local");
    CHECK(pizza["meshConfig"]["trustDomain"].as<std::string>() == "pizza.local");
    // Both clusters of pasta share theirs.
    CHECK(values(artifacts, "pasta-2", "istiod")["global"]["meshID"].as<std::string>() == "pasta");
    CHECK(values(artifacts, "pasta-2", "istiod")["meshConfig"]["trustDomain"].as<std::string>() == "pasta.local");
  }

  SUBCASE("cni: k3s paths on multipass, chart defaults on kind") {
    const auto k3s = values(render_mesh_of(multi_primary_lab()), "kube-02", "cni");
    CHECK(k3s["cniBinDir"].as<std::string>() == "/var/lib/rancher/k3s/data/cni");
    CHECK(k3s["cniConfDir"].as<std::string>() == "/var/lib/rancher/k3s/agent/etc/cni/net.d");
    auto kind_lab = kind_locality_lab();
    kind_lab.istio.components.push_back("cni");
    const auto kind = values(render_mesh_of(kind_lab), "west", "cni");
    CHECK(kind.IsMap());
    CHECK(kind.size() == 0);
  }

  SUBCASE("gateways: names and revision; the east-west one carries the cluster's network") {
    const auto artifacts = render_mesh_of(kind_locality_lab());
    const auto ingress = values(artifacts, "west", "ingress-gateway");
    CHECK(ingress["name"].as<std::string>() == "istio-ingressgateway");
    CHECK(ingress["revision"].as<std::string>() == "1-30-3");
    CHECK(!ingress["networkGateway"]);
    const auto eastwest = values(artifacts, "west", "eastwest-gateway");
    CHECK(eastwest["name"].as<std::string>() == "istio-eastwestgateway");
    CHECK(eastwest["networkGateway"].as<std::string>() == "west-network");
    // kind gives each LoadBalancer its own MetalLB address: the chart's ports stay.
    CHECK(!eastwest["networkGatewayPorts"]);
  }

  SUBCASE("k3s: the east-west status port does not collide with the ingress gateway's in servicelb") {
    const auto artifacts = render_mesh_of(multi_primary_lab());
    const auto eastwest = values(artifacts, "kube-01", "eastwest-gateway");
    CHECK(eastwest["networkGatewayPorts"]["status-port"]["port"].as<int>() == 15022);
    CHECK(eastwest["networkGatewayPorts"]["status-port"]["targetPort"].as<int>() == 15021);
    CHECK(!values(artifacts, "kube-01", "ingress-gateway")["networkGatewayPorts"]);
  }

  SUBCASE("a single-network cell gets an east-west gateway only for a VM") {
    auto lab = ci_smoke_lab();
    lab.istio.components.push_back("eastwest-gateway");
    auto artifacts = render_mesh_of(lab);
    CHECK(find_artifact(artifacts, "clusters/one/helm/eastwest-gateway.yaml") == nullptr);
    lab::Vm vm;
    vm.name = "vm";
    vm.cluster = "two";
    vm.network = "vm-network";
    lab.vms = {vm};
    artifacts = render_mesh_of(lab);
    CHECK(find_artifact(artifacts, "clusters/one/helm/eastwest-gateway.yaml") == nullptr);
    CHECK(values(artifacts, "two", "eastwest-gateway")["networkGateway"].as<std::string>() == "smoke-network");
    // The VM reaches the cell's services through it, so they are exposed there too.
    CHECK(find_artifact(artifacts, "clusters/two/istio/cross-network-gateway.yaml") != nullptr);
    CHECK(find_artifact(artifacts, "clusters/two/istio/expose-istiod.yaml") != nullptr);
    CHECK(find_artifact(artifacts, "clusters/two/istio/namespace.yaml") == nullptr);
  }

  SUBCASE("base: the revision is the default one; no revision means \"default\"") {
    auto lab = ci_smoke_lab();
    CHECK(values(render_mesh_of(lab), "one", "base")["defaultRevision"].as<std::string>() == "1-30-3");
    lab.istio.revision.clear();
    CHECK(values(render_mesh_of(lab), "one", "base")["defaultRevision"].as<std::string>() == "default");
  }

  SUBCASE("components are installed in canonical order whatever the lab's order") {
    auto lab = kind_locality_lab();
    lab.istio.components = {"eastwest-gateway", "istiod", "base"};
    std::vector<std::string> helm;
    for (const auto& artifact : render_mesh_of(lab))
      if (artifact.kind == "helm-values" && artifact.cluster == "east") helm.push_back(artifact.path);
    CHECK(helm == std::vector<std::string>{"clusters/east/helm/base.yaml", "clusters/east/helm/istiod.yaml",
                                           "clusters/east/helm/eastwest-gateway.yaml"});
  }

  SUBCASE("hostile strings stay data") {
    auto lab = ci_smoke_lab();
    const std::string hostile = "x\"y: z\n- w # {a: [b]}";
    lab.cells[0].mesh_id = hostile;
    lab.cells[0].trust_domain = hostile;
    lab.istio.revision = hostile;
    const auto istiod = values(render_mesh_of(lab), "one", "istiod");
    CHECK(istiod["global"]["meshID"].as<std::string>() == hostile);
    CHECK(istiod["meshConfig"]["trustDomain"].as<std::string>() == hostile);
    CHECK(istiod["revision"].as<std::string>() == hostile);
  }
}

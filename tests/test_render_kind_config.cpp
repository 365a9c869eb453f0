#include "render/kind_config.hpp"

#include "support/sample_labs.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

using namespace meshlab;
using namespace meshlab::render;

namespace {

std::map<std::string, std::string> labels(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  for (const auto& kv : node["labels"]) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}

} // namespace

TEST_CASE("lab::Lab::registry_container") {
  lab::Lab lab;
  lab.prefix = "mesh";
  CHECK(lab.registry_container("docker.io") == "mesh-registry-docker-io");
  CHECK(lab.registry_container("Registry.K8s.io:443") == "mesh-registry-registry-k8s-io-443");
  lab.prefix.clear();
  CHECK(lab.registry_container("ghcr.io") == "registry-ghcr-io");
}

TEST_CASE("render::yaml_quote as a TOML basic string") {
  CHECK(yaml_quote("https://registry-1.docker.io") == "\"https://registry-1.docker.io\"");
  CHECK(yaml_quote("a\"b\\c\nd\x01") == "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST_CASE("render::render_kind_config") {
  auto lab = test::kind_locality_lab();
  const TemplateSource templates;

  SUBCASE("east: nodes with their zones, CIDRs, mirrors through hosts.toml") {
    const auto artifact = render_kind_config(lab, lab.clusters[0], templates);
    CHECK(artifact.path == "clusters/east/kind-config.yaml");
    CHECK(artifact.kind == "kind-config");
    CHECK(artifact.cluster == "east");
    const auto doc = YAML::Load(artifact.content);
    CHECK(doc["kind"].as<std::string>() == "Cluster");
    CHECK(doc["apiVersion"].as<std::string>() == "kind.x-k8s.io/v1alpha4");
    CHECK(doc["name"].as<std::string>() == "mesh-east");
    CHECK(doc["networking"]["podSubnet"].as<std::string>() == "10.10.0.0/16");
    CHECK(doc["networking"]["serviceSubnet"].as<std::string>() == "10.255.10.0/24");
    const auto nodes = doc["nodes"];
    REQUIRE(nodes.size() == 3);
    CHECK(nodes[0]["role"].as<std::string>() == "control-plane");
    CHECK(labels(nodes[0]) == std::map<std::string, std::string>{{"topology.kubernetes.io/region", "east"}});
    CHECK(nodes[1]["role"].as<std::string>() == "worker");
    CHECK(labels(nodes[1]) == std::map<std::string, std::string>{{"topology.kubernetes.io/region", "east"},
                                                                 {"topology.kubernetes.io/zone", "zone1"}});
    CHECK(labels(nodes[2])["topology.kubernetes.io/zone"] == "zone2");
    CHECK_FALSE(nodes[0]["image"]);
    CHECK_FALSE(doc["kubeadmConfigPatches"]);
    REQUIRE(doc["containerdConfigPatches"].size() == 1);
    CHECK(doc["containerdConfigPatches"][0].as<std::string>() ==
          "[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"");
  }

  SUBCASE("subzone, node image and a non-default cluster domain") {
    auto& west = lab.clusters[1];
    west.nodes[0].locality.subzone = "rack-1";
    west.kind_image = "kindest/node:v1.36.1";
    west.domain = "pasta.local";
    const auto doc = YAML::Load(render_kind_config(lab, west, templates).content);
    CHECK(labels(doc["nodes"][0]) == std::map<std::string, std::string>{{"topology.kubernetes.io/region", "west"},
                                                                        {"topology.kubernetes.io/zone", "zone3"},
                                                                        {"topology.istio.io/subzone", "rack-1"}});
    CHECK(doc["nodes"][0]["image"].as<std::string>() == "kindest/node:v1.36.1");
    REQUIRE(doc["kubeadmConfigPatches"].size() == 1);
    const auto patch = YAML::Load(doc["kubeadmConfigPatches"][0].as<std::string>());
    CHECK(patch["kind"].as<std::string>() == "ClusterConfiguration");
    CHECK(patch["networking"]["dnsDomain"].as<std::string>() == "pasta.local");
  }

  SUBCASE("no nodes: one control-plane with the cluster's locality; no registries: no patch") {
    lab.registries.clear();
    auto& west = lab.clusters[1];
    west.nodes.clear();
    const auto doc = YAML::Load(render_kind_config(lab, west, templates).content);
    REQUIRE(doc["nodes"].size() == 1);
    CHECK(doc["nodes"][0]["role"].as<std::string>() == "control-plane");
    CHECK(labels(doc["nodes"][0]) == std::map<std::string, std::string>{{"topology.kubernetes.io/region", "west"}});
    CHECK_FALSE(doc["containerdConfigPatches"]);
  }

  SUBCASE("no locality: no labels") {
    auto& west = lab.clusters[1];
    west.nodes[0].locality = {};
    const auto doc = YAML::Load(render_kind_config(lab, west, templates).content);
    CHECK_FALSE(doc["nodes"][0]["labels"]);
  }

  SUBCASE("hostile values read back exactly") {
    auto& west = lab.clusters[1];
    west.nodes[0].locality = lab::Locality{"a: b", "#c", "\"d\"\n"};
    west.pod_cidr = "- x";
    const auto doc = YAML::Load(render_kind_config(lab, west, templates).content);
    CHECK(labels(doc["nodes"][0]) == std::map<std::string, std::string>{{"topology.kubernetes.io/region", "a: b"},
                                                                        {"topology.kubernetes.io/zone", "#c"},
                                                                        {"topology.istio.io/subzone", "\"d\"\n"}});
    CHECK(doc["networking"]["podSubnet"].as<std::string>() == "- x");
  }
}

TEST_CASE("render::render_containerd_hosts") {
  auto lab = test::kind_locality_lab();
  lab.registries.push_back(lab::Registry{"quay.io", "https://quay.io", 5002});
  const auto artifacts = render_containerd_hosts(lab, lab.clusters[1], TemplateSource{});
  REQUIRE(artifacts.size() == 2);
  CHECK(artifacts[0].path == "clusters/west/containerd/certs.d/docker.io/hosts.toml");
  CHECK(artifacts[0].kind == "containerd-hosts");
  CHECK(artifacts[0].cluster == "west");
  CHECK(artifacts[0].content.find("server = \"https://registry-1.docker.io\"\n") != std::string::npos);
  CHECK(artifacts[0].content.find("[host.\"http://mesh-registry-docker-io:5000\"]\n"
                                  "  capabilities = [\"pull\", \"resolve\"]\n") != std::string::npos);
  CHECK(artifacts[1].path == "clusters/west/containerd/certs.d/quay.io/hosts.toml");
  CHECK(artifacts[1].content.find("[host.\"http://mesh-registry-quay-io:5000\"]") != std::string::npos);

  SUBCASE("render_kind: per kind cluster, its config then its mirrors") {
    lab.clusters.push_back(lab::Cluster{.name = "vm-cluster", .provider = lab::Provider::multipass});
    std::vector<std::string> paths;
    for (const auto& a : render_kind(lab, TemplateSource{})) paths.push_back(a.path);
    CHECK(paths == std::vector<std::string>{
                       "clusters/east/kind-config.yaml", "clusters/east/containerd/certs.d/docker.io/hosts.toml",
                       "clusters/east/containerd/certs.d/quay.io/hosts.toml", "clusters/west/kind-config.yaml",
                       "clusters/west/containerd/certs.d/docker.io/hosts.toml",
                       "clusters/west/containerd/certs.d/quay.io/hosts.toml"});
  }
}

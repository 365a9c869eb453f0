#include "render/mesh.hpp"

#include "lab/load.hpp"

#include "support/mesh_artifacts.hpp"
#include "support/mesh_labs.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

using namespace meshlab;
using namespace meshlab::test;
using namespace meshlab::test::mesh_labs;

namespace {

struct Shape {
  const char* name;
  lab::Lab lab;
};

std::vector<Shape> all_shapes() {
  auto with_dns = kind_locality_lab();
  with_dns.name = "kind-locality+dns";
  with_dns.dns = {{"httpbin.demo.lab", "ingress"}, {"db.demo.lab", "10.0.0.7"}};
  auto k3s_dns = multi_primary_lab();
  k3s_dns.name = "multi-primary+dns";
  k3s_dns.dns = {{"httpbin.demo.lab", "ingress"}, {"db.demo.lab", "10.0.0.7"}, {"cache.demo.lab", "10.0.0.8"}};
  return {{"multi-primary", multi_primary_lab()}, {"stamps", stamps_lab()},
          {"kind-locality", kind_locality_lab()}, {"ci-smoke", ci_smoke_lab()},
          {"kind-locality+dns", with_dns},        {"multi-primary+dns", k3s_dns}};
}

bool has_path(const std::vector<render::Artifact>& artifacts, const std::string& path) {
  return find_artifact(artifacts, path) != nullptr;
}

} // namespace

TEST_CASE("render::render_mesh") {
  SUBCASE("multi-primary renders exactly these files, in this order") {
    const std::vector<std::string> expected{
        "clusters/kube-01/helm/base.yaml",
        "clusters/kube-01/helm/cni.yaml",
        "clusters/kube-01/helm/istiod.yaml",
        "clusters/kube-01/helm/ingress-gateway.yaml",
        "clusters/kube-01/helm/eastwest-gateway.yaml",
        "clusters/kube-01/istio/namespace.yaml",
        "clusters/kube-01/istio/cross-network-gateway.yaml",
        "clusters/kube-01/istio/expose-istiod.yaml",
        "clusters/kube-02/helm/base.yaml",
        "clusters/kube-02/helm/cni.yaml",
        "clusters/kube-02/helm/istiod.yaml",
        "clusters/kube-02/helm/ingress-gateway.yaml",
        "clusters/kube-02/helm/eastwest-gateway.yaml",
        "clusters/kube-02/istio/namespace.yaml",
        "clusters/kube-02/istio/cross-network-gateway.yaml",
        "vms/virt-01/workload-group.yaml",
        "vms/virt-01/identity.yaml",
        "vms/virt-01/service.yaml",
        "argocd/projects/istio.yaml",
        "argocd/projects/apps.yaml",
        "argocd/applications/kube-01-base.yaml",
        "argocd/applications/kube-01-cni.yaml",
        "argocd/applications/kube-01-istiod.yaml",
        "argocd/applications/kube-01-ingress-gateway.yaml",
        "argocd/applications/kube-01-eastwest-gateway.yaml",
        "argocd/applications/kube-02-base.yaml",
        "argocd/applications/kube-02-cni.yaml",
        "argocd/applications/kube-02-istiod.yaml",
        "argocd/applications/kube-02-ingress-gateway.yaml",
        "argocd/applications/kube-02-eastwest-gateway.yaml",
        "argocd/applications/kube-01-httpbin.yaml",
        "argocd/applications/kube-02-httpbin.yaml",
    };
    CHECK(paths_of(render_mesh_of(multi_primary_lab())) == expected);
  }

  SUBCASE("every file of every shape parses, and every manifest names its kind and object") {
    for (const auto& shape : all_shapes()) {
      CAPTURE(shape.name);
      const auto artifacts = render_mesh_of(shape.lab);
      CHECK(!artifacts.empty());
      for (const auto& artifact : artifacts) {
        CAPTURE(artifact.path);
        std::vector<YAML::Node> docs;
        REQUIRE_NOTHROW(docs = YAML::LoadAll(artifact.content));
        REQUIRE(!docs.empty());
        CHECK(!artifact.purpose.empty());
        CHECK(!artifact.cluster.empty());
        if (artifact.kind == "helm-values") {
          CHECK(docs.size() == 1);
          CHECK(docs[0].IsMap());
          continue;
        }
        for (const auto& doc : docs) {
          CHECK(doc["apiVersion"].IsScalar());
          CHECK(doc["kind"].IsScalar());
          CHECK(!doc["metadata"]["name"].as<std::string>().empty());
        }
      }
    }
  }

  SUBCASE("the same lab renders byte-identical files; paths are unique and relative") {
    for (const auto& shape : all_shapes()) {
      CAPTURE(shape.name);
      const auto first = render_mesh_of(shape.lab);
      const auto second = render_mesh_of(shape.lab);
      REQUIRE(first.size() == second.size());
      std::set<std::string> paths;
      for (std::size_t i = 0; i < first.size(); ++i) {
        CHECK(first[i].path == second[i].path);
        CHECK(first[i].content == second[i].content);
        CHECK(paths.insert(first[i].path).second);
        CHECK(first[i].path.front() != '/');
        CHECK(first[i].path.find("..") == std::string::npos);
      }
    }
  }

  SUBCASE("a single-network cell gets no network label, east-west gateway or cross-network Gateway") {
    const auto artifacts = render_mesh_of(ci_smoke_lab());
    for (const auto& artifact : artifacts) {
      CAPTURE(artifact.path);
      CHECK(artifact.path.find("eastwest") == std::string::npos);
      CHECK(artifact.path.find("cross-network") == std::string::npos);
      CHECK(artifact.path.find("istio/namespace.yaml") == std::string::npos);
    }
    CHECK(has_path(artifacts, "clusters/one/helm/istiod.yaml"));
  }

  SUBCASE("a pure management cluster gets no mesh files; a management cluster in a cell does") {
    const auto multi = render_mesh_of(multi_primary_lab());
    CHECK(std::none_of(multi.begin(), multi.end(),
                       [](const auto& a) { return a.path.rfind("clusters/kube-00/", 0) == 0; }));
    CHECK(has_path(render_mesh_of(kind_locality_lab()), "clusters/east/helm/istiod.yaml"));
  }

  SUBCASE("Argo CD off: no argocd/ files") {
    auto lab = multi_primary_lab();
    lab.argocd.enabled = false;
    lab.apps.clear();
    for (const auto& artifact : render_mesh_of(lab)) CHECK(artifact.path.rfind("argocd/", 0) != 0);
  }

  SUBCASE("names that would escape the output directory are refused") {
    auto lab = multi_primary_lab();
    lab.clusters[1].name = "../etc";
    lab.cells[0].clusters[0] = "../etc";
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("clusters.../etc"), Error);
    auto vm_lab = multi_primary_lab();
    vm_lab.vms[0].name = "a/b";
    CHECK_THROWS_WITH_AS(render_mesh_of(vm_lab), doctest::Contains("vms.a/b: \"a/b\" cannot name a file"), Error);
  }

  SUBCASE("a VM whose cluster has no east-west gateway is an error naming the VM") {
    auto lab = multi_primary_lab();
    lab.istio.components = {"base", "istiod"};
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("vms.virt-01"), Error);
  }

  SUBCASE("hostile cluster and cell names stay data everywhere they appear") {
    auto lab = ci_smoke_lab();
    const std::string hostile = "o\"ne: x # [y]\n- {z}";
    lab.clusters[0].name = hostile;
    lab.cells[0].clusters[0] = hostile;
    lab.argocd.cluster = hostile;
    const auto artifacts = render_mesh_of(lab);
    const auto istiod = load_artifact(artifacts, "clusters/" + hostile + "/helm/istiod.yaml");
    CHECK(istiod["global"]["multiCluster"]["clusterName"].as<std::string>() == hostile);
    const auto app = load_artifact(artifacts, "argocd/applications/" + hostile + "-istiod.yaml");
    CHECK(app["metadata"]["name"].as<std::string>() == hostile + "-istiod");
    CHECK(app["metadata"]["labels"]["meshlab.dev/cluster"].as<std::string>() == hostile);
    CHECK(app["spec"]["destination"]["name"].as<std::string>() == "ci-smoke-" + hostile);
  }

  SUBCASE("a cluster in an undeclared cell is an error naming it") {
    auto lab = ci_smoke_lab();
    lab.cells.clear();
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("clusters.one.cell: \"smoke\" is not declared"), Error);
  }
}

TEST_CASE("render::render_mesh on labs/") {
  // The labs as the loader resolves them render exactly like the hand-built mirrors the
  // other mesh tests use, so those tests speak for the shipped labs.
  const std::vector<std::pair<std::string, lab::Lab>> labs{{"multi-primary", multi_primary_lab()},
                                                           {"stamps", stamps_lab()},
                                                           {"kind-locality", kind_locality_lab()},
                                                           {"ci-smoke", ci_smoke_lab()}};
  for (const auto& [name, mirror] : labs) {
    CAPTURE(name);
    const auto loaded = lab::load_valid_lab(MESHLAB_SOURCE_DIR "/labs/" + name + ".yaml");
    const auto artifacts = render_mesh_of(loaded);
    const auto expected = render_mesh_of(mirror);
    CHECK(paths_of(artifacts) == paths_of(expected));
    for (std::size_t i = 0; i < std::min(artifacts.size(), expected.size()); ++i) {
      CAPTURE(artifacts[i].path);
      CHECK(artifacts[i].content == expected[i].content);
      CHECK(artifacts[i].kind == expected[i].kind);
      CHECK(artifacts[i].cluster == expected[i].cluster);
    }
  }
}

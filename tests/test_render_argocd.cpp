#include "render/mesh.hpp"
#include "render/mesh_detail.hpp"

#include "support/mesh_artifacts.hpp"
#include "support/mesh_labs.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <map>

using namespace meshlab;
using namespace meshlab::test;
using namespace meshlab::test::mesh_labs;

namespace {

YAML::Node application(const std::vector<render::Artifact>& artifacts, const std::string& name) {
  return load_artifact(artifacts, "argocd/applications/" + name + ".yaml");
}

int wave(const YAML::Node& app) {
  return std::stoi(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"].as<std::string>());
}

std::vector<std::string> sync_options(const YAML::Node& app) {
  return app["spec"]["syncPolicy"]["syncOptions"].as<std::vector<std::string>>();
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

} // namespace

TEST_CASE("render::argocd") {
  SUBCASE("sync waves: base < cni < istiod < gateways < apps") {
    const auto artifacts = render_mesh_of(multi_primary_lab());
    const std::map<std::string, int> expected{{"kube-01-base", -4},
                                              {"kube-01-cni", -3},
                                              {"kube-01-istiod", -2},
                                              {"kube-01-ingress-gateway", -1},
                                              {"kube-01-eastwest-gateway", -1},
                                              {"kube-01-httpbin", 0}};
    for (const auto& [name, expected_wave] : expected) {
      CAPTURE(name);
      CHECK(wave(application(artifacts, name)) == expected_wave);
    }
    // The wave annotation is a string, as Argo CD requires.
    CHECK(application(artifacts, "kube-01-base")["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"].Tag() ==
          "!");
  }

  SUBCASE("an Istio component: chart from istio.chartRepo at istio.version, into istio-system of its cluster") {
    const auto artifacts = render_mesh_of(stamps_lab());
    const auto app = application(artifacts, "pasta-2-istiod");
    CHECK(app["apiVersion"].as<std::string>() == "argoproj.io/v1alpha1");
    CHECK(app["kind"].as<std::string>() == "Application");
    CHECK(app["metadata"]["namespace"].as<std::string>() == "argocd");
    CHECK(app["metadata"]["finalizers"][0].as<std::string>() == "resources-finalizer.argocd.argoproj.io");
    CHECK(app["spec"]["project"].as<std::string>() == "istio");
    const auto source = app["spec"]["source"];
    CHECK(source["repoURL"].as<std::string>() == "https://istio-release.storage.googleapis.com/charts");
    CHECK(source["chart"].as<std::string>() == "istiod");
    CHECK(source["targetRevision"].as<std::string>() == "1.30.3");
    CHECK(source["helm"]["releaseName"].as<std::string>() == "istiod");
    // The registered cluster Secret's name is the instance name (prefix "stamps").
    CHECK(app["spec"]["destination"]["name"].as<std::string>() == "stamps-pasta-2");
    CHECK(!app["spec"]["destination"]["server"]);
    CHECK(app["spec"]["destination"]["namespace"].as<std::string>() == "istio-system");
    CHECK(app["spec"]["syncPolicy"]["automated"]["selfHeal"].as<bool>());
    CHECK(contains(sync_options(app), "CreateNamespace=true"));
    CHECK(contains(sync_options(app), "RespectIgnoreDifferences=true"));
    CHECK(app["spec"]["ignoreDifferences"].size() == 2);
    const auto gateway = application(artifacts, "pasta-2-eastwest-gateway");
    CHECK(gateway["spec"]["source"]["chart"].as<std::string>() == "gateway");
    CHECK(gateway["spec"]["source"]["helm"]["releaseName"].as<std::string>() == "istio-eastwestgateway");
    CHECK(!gateway["spec"]["ignoreDifferences"]);
  }

  SUBCASE("base applies server-side: its CRDs are too big for client-side apply") {
    const auto artifacts = render_mesh_of(ci_smoke_lab());
    CHECK(contains(sync_options(application(artifacts, "two-base")), "ServerSideApply=true"));
    CHECK(!contains(sync_options(application(artifacts, "two-istiod")), "ServerSideApply=true"));
  }

  SUBCASE("an Istio Application carries exactly the values of the matching helm/*.yaml") {
    for (const auto& lab : {multi_primary_lab(), stamps_lab(), kind_locality_lab(), ci_smoke_lab()}) {
      CAPTURE(lab.name);
      const auto artifacts = render_mesh_of(lab);
      int compared = 0;
      for (const auto& artifact : artifacts) {
        if (artifact.kind != "helm-values") continue;
        CAPTURE(artifact.path);
        const auto component = artifact.path.substr(artifact.path.rfind('/') + 1);
        const auto name = artifact.cluster + "-" + component.substr(0, component.size() - 5);
        const auto embedded = application(artifacts, name)["spec"]["source"]["helm"]["valuesObject"];
        CHECK(canonical(embedded) == canonical(YAML::Load(artifact.content)));
        ++compared;
      }
      CHECK(compared > 0);
    }
  }

  SUBCASE("an app per target cluster, values with that cluster's variables, namespace labelled for injection") {
    const auto artifacts = render_mesh_of(stamps_lab());
    CHECK(find_artifact(artifacts, "argocd/applications/kube-00-applab-blau.yaml") == nullptr);
    const auto app = application(artifacts, "pasta-2-applab-verd");
    CHECK(app["metadata"]["labels"]["meshlab.dev/app"].as<std::string>() == "applab-verd");
    CHECK(app["spec"]["project"].as<std::string>() == "apps");
    const auto source = app["spec"]["source"];
    CHECK(source["repoURL"].as<std::string>() == "https://github.com/h0tbird/meshlab");
    CHECK(source["path"].as<std::string>() == "charts/applab");
    CHECK(source["targetRevision"].as<std::string>() == "HEAD");
    const auto values = source["helm"]["valuesObject"];
    CHECK(values["stamp"].as<std::string>() == "verd");
    CHECK(values["cluster"].as<std::string>() == "pasta-2");
    CHECK(values["locality"].as<std::string>() == "milky-way/solar-system/pasta-2");
    CHECK(app["spec"]["destination"]["namespace"].as<std::string>() == "applab-verd");
    CHECK(app["spec"]["syncPolicy"]["managedNamespaceMetadata"]["labels"]["istio.io/rev"].as<std::string>() ==
          "1-30-3");
    CHECK(contains(sync_options(app), "CreateNamespace=true"));
  }

  SUBCASE("every variable is substituted per cluster") {
    auto lab = kind_locality_lab();
    lab.apps[0].values_yaml = "all: ${cluster} ${cell} ${network} ${domain} ${region} ${zone} ${subzone}\n"
                              "unknown: ${nope}\nlist:\n  - ${cluster}\n  - 2\nnum: 3\nflag: true\n";
    lab.clusters[1].locality = {"west", "zone3", "rack1"};
    const auto values = application(render_mesh_of(lab), "west-sleep")["spec"]["source"]["helm"]["valuesObject"];
    CHECK(values["all"].as<std::string>() == "west mesh west-network cluster.local west zone3 rack1");
    CHECK(values["unknown"].as<std::string>() == "${nope}");
    CHECK(values["list"][0].as<std::string>() == "west");
    CHECK(values["list"][1].as<int>() == 2);
    CHECK(values["num"].Tag() == "?"); // still a number for Helm
    CHECK(values["flag"].as<bool>());
  }

  SUBCASE("a git app without values stays a plain directory source (no helm section)") {
    const auto app = application(render_mesh_of(ci_smoke_lab()), "one-httpbin");
    CHECK(app["spec"]["source"]["path"].as<std::string>() == "samples/httpbin");
    CHECK(!app["spec"]["source"]["helm"]);
    CHECK(app["spec"]["destination"]["name"].as<std::string>() == "ci-smoke-one");
  }

  SUBCASE("projects: istio gets the charts repo and istio-system; apps their repos, namespaces and Namespace only") {
    const auto artifacts = render_mesh_of(kind_locality_lab());
    const auto istio = load_artifact(artifacts, "argocd/projects/istio.yaml");
    CHECK(istio["kind"].as<std::string>() == "AppProject");
    CHECK(istio["spec"]["sourceRepos"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"https://istio-release.storage.googleapis.com/charts"});
    REQUIRE(istio["spec"]["destinations"].size() == 2);
    CHECK(istio["spec"]["destinations"][1]["name"].as<std::string>() == "mesh-west");
    CHECK(istio["spec"]["destinations"][1]["namespace"].as<std::string>() == "istio-system");
    CHECK(istio["spec"]["clusterResourceWhitelist"][0]["kind"].as<std::string>() == "*");
    const auto apps = load_artifact(artifacts, "argocd/projects/apps.yaml");
    CHECK(apps["spec"]["sourceRepos"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"https://github.com/istio/istio"});
    // sleep and helloworld share "sample": one destination per cluster and namespace.
    CHECK(apps["spec"]["destinations"].size() == 4);
    REQUIRE(apps["spec"]["clusterResourceWhitelist"].size() == 1);
    CHECK(apps["spec"]["clusterResourceWhitelist"][0]["group"].as<std::string>().empty());
    CHECK(apps["spec"]["clusterResourceWhitelist"][0]["kind"].as<std::string>() == "Namespace");
  }

  SUBCASE("two Applications with one name is an error naming both clusters") {
    auto lab = ci_smoke_lab();
    lab::App clash;
    clash.name = "istiod"; // "one-istiod" is already the istiod component of cluster one
    clash.namespace_ = "x";
    clash.git = lab::GitSource{"https://example.org/repo", "p", "HEAD"};
    lab.apps.push_back(clash);
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("\"one-istiod\""), Error);
  }

  SUBCASE("hostile strings in names, repos and variables stay data") {
    auto lab = kind_locality_lab();
    const std::string hostile = "a\"b: c\n- d # {e: [f]} \\ \t";
    lab.apps[0].name = hostile;
    lab.apps[0].git->repo = hostile;
    lab.apps[0].values_yaml = "v: ${region}\n\"quoted key: x\": '${zone}'\n";
    lab.clusters[0].locality = {hostile, "z: 1", ""};
    const auto artifacts = render_mesh_of(lab);
    const auto app = application(artifacts, "east-" + hostile);
    CHECK(app["metadata"]["name"].as<std::string>() == "east-" + hostile);
    CHECK(app["spec"]["source"]["repoURL"].as<std::string>() == hostile);
    CHECK(app["spec"]["source"]["helm"]["valuesObject"]["v"].as<std::string>() == hostile);
    CHECK(app["spec"]["source"]["helm"]["valuesObject"]["quoted key: x"].as<std::string>() == "z: 1");
  }
}

TEST_CASE("render::mesh::AppValues") {
  using render::mesh::AppValues;
  SUBCASE("round-trips nested mappings and sequences in block style") {
    const std::string yaml = "a: 1\nb:\n  c: [x, {d: e, f: [g]}]\n  h: {}\n  i: []\nj: ~\nk: 'single'\n";
    const AppValues values(yaml, "apps.t.values");
    const auto out = values.render({});
    CHECK(canonical(YAML::Load(out)) == canonical(YAML::Load(yaml)));
    CHECK(out.find("\n  h: {}\n") != std::string::npos);
    CHECK(out.find("\n    - f:") == std::string::npos); // a mapping in a sequence starts on the dash line
    CHECK(out.find("- d: e\n") != std::string::npos);
    CHECK(out.find("k: \"single\"") != std::string::npos);
  }
  SUBCASE("empty values render as an empty mapping") {
    const AppValues values("", "apps.t.values");
    CHECK(values.empty());
    CHECK(values.render({}) == "{}\n");
  }
  SUBCASE("not YAML, or not a mapping, is an error naming the app") {
    CHECK_THROWS_WITH_AS(AppValues("a: [", "apps.t.values"), doctest::Contains("apps.t.values: not valid YAML"), Error);
    CHECK_THROWS_WITH_AS(AppValues("- a\n- b\n", "apps.t.values"), doctest::Contains("must be a mapping"), Error);
  }
  SUBCASE("substitute leaves unknown and unterminated references alone") {
    using render::mesh::substitute;
    const std::map<std::string, std::string> vars{{"a", "1"}, {"b", "${a}"}};
    CHECK(substitute("${a}-${b}-${c}-${a", vars) == "1-${a}-${c}-${a");
    CHECK(substitute("", vars).empty());
  }
}

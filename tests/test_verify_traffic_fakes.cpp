// The traffic checks against the fake tools (tests/fakes: meshnet.py answers curl, ingress_tls.py
// serves the gateway), so the commands the checks build are ones the fakes — and their
// contracts — accept, and every check is seen passing and, with a mesh fault, failing.
#include "kube/kubectl.hpp"
#include "lab/load.hpp"
#include "pki/ca.hpp"
#include "pki/server_cert.hpp"
#include "support/bringup_fakes.hpp"
#include "support/fake_tools.hpp"
#include "util/base64.hpp"
#include "verify/traffic_checks.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace meshlab;

namespace {

// Two single-node kind clusters in two regions, httpbin and a sleep client in each, joined by
// remote secrets both ways (what launch leaves behind, minus Istio itself but for the istiod
// Deployment whose injection webhook gives the pods their sidecars).
constexpr const char* k_apps = R"(apiVersion: v1
kind: Namespace
metadata: {name: httpbin, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod, istio.io/rev: default}}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod}}
    spec: {containers: [{name: discovery, image: docker.io/istio/pilot}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin, namespace: httpbin}
spec:
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin}}
    spec: {containers: [{name: httpbin, image: mccutchen/go-httpbin}]}
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: httpbin}
spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: httpbin}
spec:
  selector: {matchLabels: {app: sleep}}
  template:
    metadata: {labels: {app: sleep}}
    spec: {containers: [{name: sleep, image: curlimages/curl}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: destinationrules.networking.istio.io}
spec:
  group: networking.istio.io
  scope: Namespaced
  names: {kind: DestinationRule, plural: destinationrules, singular: destinationrule}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: workloadentries.networking.istio.io}
spec:
  group: networking.istio.io
  scope: Namespaced
  names: {kind: WorkloadEntry, plural: workloadentries, singular: workloadentry}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec: {type: LoadBalancer, selector: {istio: ingressgateway}, ports: [{name: http2, port: 80}]}
)";

constexpr const char* k_remote_secret = R"(apiVersion: v1
kind: Secret
metadata:
  name: istio-remote-secret-{0}
  namespace: istio-system
  labels: {{istio/multiCluster: "true"}}
stringData:
  {0}: |
    apiVersion: v1
    kind: Config
    clusters: [{{name: {0}, cluster: {{server: "{1}"}}}}]
    users: [{{name: {0}, user: {{token: t}}}}]
    contexts: [{{name: {0}, context: {{cluster: {0}, user: {0}}}}}]
    current-context: {0}
)";

struct Mesh {
  test::FakeTools tools;
  exec::PosixRunner runner;
  lab::Lab lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/ci-smoke.yaml");
  std::filesystem::path state = tools.dir() / "state";

  kube::Kubectl kubectl(const std::string& cluster) {
    return kube::Kubectl(runner, state / "kubeconfigs" / (cluster + ".yaml"), lab.instance_name(cluster));
  }

  Mesh() {
    std::map<std::string, std::string> internal;
    for (const auto& [cluster, region] : {std::pair{"one", "r1"}, std::pair{"two", "r2"}}) {
      const auto name = lab.instance_name(cluster);
      const auto config = fmt::format("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n"
                                      "  - role: control-plane\n    labels:\n"
                                      "      topology.kubernetes.io/region: {}\n      topology.kubernetes.io/zone: z-{}\n",
                                      region, cluster);
      test::run_checked(runner, {"kind", "create", "cluster", "--name", name, "--config", "-", "--kubeconfig",
                                 (tools.dir() / (name + ".kind")).string()},
                        config);
      const auto host = kube::Kubeconfig::parse(test::run_checked(runner, {"kind", "get", "kubeconfig", "--name", name}).out, name);
      std::filesystem::create_directories(state / "kubeconfigs");
      util::write_file_atomic(state / "kubeconfigs" / (std::string(cluster) + ".yaml"),
                              host.extract("kind-" + name, name).dump(), std::filesystem::perms(0600));
      internal[cluster] = kube::Kubeconfig::parse(
          test::run_checked(runner, {"kind", "get", "kubeconfig", "--internal", "--name", name}).out, name)
                              .server("kind-" + name).value_or("");
      kubectl(cluster).apply(k_apps);
    }
    kubectl("one").apply(fmt::format(k_remote_secret, "two", internal["two"]));
    kubectl("two").apply(fmt::format(k_remote_secret, "one", internal["one"]));
  }

  void fault(const std::string& kind) { test::run_checked(runner, {"fakectl", "mesh-fault", kind}); }

  void policy(const std::string& local_lb) {
    lab::TrafficPolicy policy;
    policy.name = "httpbin";
    policy.host = "httpbin.httpbin.svc.cluster.local";
    policy.namespace_ = "httpbin";
    if (local_lb.find("failover") != std::string::npos) policy.failover = {{"r1", "r2"}};
    else policy.distribute = {{"r1/z-one/*", {{"r1/z-one/*", 30}, {"r2/z-two/*", 70}}, {"r1/z-one/*", "r2/z-two/*"}}};
    lab.traffic = {policy};
    for (const char* cluster : {"one", "two"})
      kubectl(cluster).apply(fmt::format(
          "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: httpbin, namespace: httpbin}}\n"
          "spec:\n  host: httpbin.httpbin.svc.cluster.local\n  trafficPolicy:\n    loadBalancer:\n"
          "      localityLbSetting: {{enabled: true, {}}}\n"
          "    outlierDetection: {{consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m}}\n",
          local_lb));
  }
};

std::vector<verify::Outcome> outcomes(const std::vector<verify::CheckResult>& results) {
  std::vector<verify::Outcome> out;
  for (const auto& result : results) out.push_back(result.outcome);
  return out;
}

// Subjects and messages, for a failed CHECK to show.
std::string describe(const std::vector<verify::CheckResult>& results) {
  std::string text;
  for (const auto& result : results) text += "\n  " + result.subject + ": " + result.message;
  return text;
}

using Outcomes = std::vector<verify::Outcome>;
constexpr auto pass = verify::Outcome::pass;
constexpr auto fail = verify::Outcome::fail;

void expect(const std::vector<verify::CheckResult>& results, const Outcomes& want) {
  INFO(describe(results));
  CHECK(outcomes(results) == want);
}

} // namespace

TEST_CASE("verify::traffic against the fakes") {
  Mesh mesh;
  verify::VerifyContext ctx{mesh.lab, mesh.state, mesh.runner};
  verify::TrafficOptions options;
  options.requests = 6;
  options.failover_rounds = 2;
  options.round_interval = std::chrono::milliseconds(0);
  options.restore_timeout = std::chrono::seconds(60);

  SUBCASE("cross-cluster") {
    const auto results = verify::check_cross_cluster(ctx, options);
    expect(results, Outcomes{pass, pass});
    CHECK(results[0].message.find("answered by 2 cluster(s): one 3, two 3") != std::string::npos);
    mesh.fault("local-only");
    expect(verify::check_cross_cluster(ctx, options), Outcomes{fail, fail});
  }

  SUBCASE("locality failover drains, moves and restores") {
    mesh.policy("failover: [{from: r1, to: r2}]");
    const auto results = verify::check_locality(ctx, options);
    expect(results, Outcomes{pass});
    // the drained pod was recreated: requests stay local again
    const auto again = verify::check_locality(ctx, options);
    expect(again, Outcomes{pass});
    mesh.fault("no-failover");
    const auto stuck = verify::check_locality(ctx, options);
    expect(stuck, Outcomes{fail});
    CHECK(stuck[0].message.find("after draining r1 (1 pods), answers came from: r1 6") == 0);
  }

  SUBCASE("locality distribute") {
    mesh.policy(R"(distribute: [{from: "r1/z-one/*", to: {"r1/z-one/*": 30, "r2/z-two/*": 70}}])");
    expect(verify::check_locality(ctx, options), Outcomes{pass});
    mesh.fault("even-split");
    expect(verify::check_locality(ctx, options), Outcomes{fail});
  }

  SUBCASE("vm") {
    test::run_checked(mesh.runner, {"multipass", "launch", "--name", mesh.lab.instance_name("virt"), "24.04"});
    const auto info = nlohmann::json::parse(
        test::run_checked(mesh.runner, {"multipass", "info", mesh.lab.instance_name("virt"), "--format", "json"}).out);
    const std::string ip = info["info"][mesh.lab.instance_name("virt")]["ipv4"][0];
    mesh.kubectl("one").apply(fmt::format(
        "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {{name: httpbin-{0}, namespace: httpbin}}\n"
        "spec: {{address: \"{0}\", labels: {{app: vm-httpbin}}, locality: r1/z-one/virt}}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {{name: virt-httpbin, namespace: httpbin}}\n"
        "spec: {{selector: {{app: vm-httpbin}}, ports: [{{name: http, port: 8080}}]}}\n",
        ip));
    lab::Vm vm{.name = "virt", .cluster = "one", .namespace_ = "httpbin", .service_account = "httpbin"};
    vm.services = {{"httpbin", 8080}};
    mesh.lab.vms = {vm};
    expect(verify::check_vm_reach(ctx, options), Outcomes{pass, pass});
    mesh.fault("vm-unreachable");
    expect(verify::check_vm_reach(ctx, options), Outcomes{fail, fail});
  }

  SUBCASE("tls-ingress") {
    bool other_ca = false;
    SUBCASE("signed by the lab CA") {}
    SUBCASE("signed by another CA") { other_ca = true; }
    const std::string host = "httpbin.smoke.demo.lab";
    mesh.lab.apps.front().hosts = {host};
    lab::Ca ca = mesh.lab.ca;
    ca.key_type = "ecdsa";
    ca.key_size = 256;
    pki::ensure_ca(ca, {"one"}, mesh.state, mesh.state);
    const auto issuer = other_ca ? mesh.tools.dir() / "other" : mesh.state;
    if (other_ca) pki::ensure_ca(ca, {"one"}, issuer, issuer);
    const auto cert = pki::issue_server_certificate(issuer, "one", {host});
    std::vector<std::unique_ptr<test::BackgroundProcess>> gateways;
    for (const char* cluster : {"one", "two"}) {
      mesh.kubectl(cluster).apply(fmt::format(
          "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\n"
          "metadata: {{name: httpbin-smoke-demo-lab-tls, namespace: istio-system}}\n"
          "data: {{tls.crt: {}, tls.key: {}}}\n",
          util::base64_encode(cert.chain_pem), util::base64_encode(cert.key_pem)));
      gateways.push_back(std::make_unique<test::BackgroundProcess>(std::vector<std::string>{
          test::k_fakes + "/ingress_tls.py", "--kubeconfig", (mesh.state / "kubeconfigs" / (std::string(cluster) + ".yaml")).string(),
          "--context", mesh.lab.instance_name(cluster), "--exit-on-stdin-eof"}));
      CHECK(gateways.back()->read_line(std::chrono::seconds(60)).starts_with("https://127.0.20."));
    }
    const auto results = verify::check_tls_ingress(ctx, options);
    expect(results, (other_ca ? Outcomes{fail, fail} : Outcomes{pass, pass}));
  }
}

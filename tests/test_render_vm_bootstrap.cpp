#include "render/vm_bootstrap.hpp"

#include "support/mesh_labs.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

using namespace meshlab;

namespace {

const render::Artifact& file(const std::vector<render::Artifact>& files, const std::string& path) {
  for (const auto& artifact : files)
    if (artifact.path == path) return artifact;
  FAIL("no " << path);
  throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("render::vm_bootstrap") {
  SUBCASE("istio's shellescape.Quote, including its raw-string pattern") {
    CHECK(render::shell_quote("") == "''");
    CHECK(render::shell_quote("bar") == "'bar'"); // as istioctl's golden cluster.env
    CHECK(render::shell_quote("*") == "'*'");
    CHECK(render::shell_quote("w") == "w");
    CHECK(render::shell_quote("a:b/-") == "'a:b/-'");
    CHECK(render::shell_quote("it's") == "'it'\"'\"'s'");
  }

  SUBCASE("go-yaml's key order: a non-letter before a letter") {
    CHECK(render::go_yaml_key_less("ISTIO_META_WORKLOAD_NAME", "ISTIO_METAJSON_LABELS"));
    CHECK_FALSE(render::go_yaml_key_less("ISTIO_METAJSON_LABELS", "ISTIO_META_WORKLOAD_NAME"));
    CHECK(render::go_yaml_key_less("CANONICAL_REVISION", "CANONICAL_SERVICE"));
    CHECK(render::go_yaml_key_less("a2", "a10"));
    CHECK(render::go_yaml_key_less("ab", "abc"));
  }

  SUBCASE("go-yaml's string styles") {
    CHECK(render::go_yaml_string("latest") == "latest");
    CHECK(render::go_yaml_string("istiod-1-30-3.istio-system.svc:15012") == "istiod-1-30-3.istio-system.svc:15012");
    CHECK(render::go_yaml_string("") == "\"\"");
    CHECK(render::go_yaml_string("true") == "\"true\"");
    CHECK(render::go_yaml_string("8080") == "\"8080\"");
    CHECK(render::go_yaml_string(R"({"a":"b"})") == R"('{"a":"b"}')");
    CHECK(render::go_yaml_string("it's: here") == "'it''s: here'");
  }

  SUBCASE("multi-primary: virt-01 joins kube-01 of mesh `mesh` through revision 1-30-3") {
    const auto lab = test::mesh_labs::multi_primary_lab();
    const auto files = render::render_vm_bootstrap(lab, "ROOT PEM\n");
    REQUIRE(files.size() == 3);
    for (const auto& artifact : files) {
      CHECK(artifact.kind == "vm-bootstrap");
      CHECK(artifact.cluster == "virt-01");
    }
    CHECK(file(files, "vms/virt-01/bootstrap/root-cert.pem").content == "ROOT PEM\n");
    const std::string labels =
        R"({"app":"httpbin","meshlab.dev/vm":"virt-01","service.istio.io/canonical-name":"httpbin",)"
        R"("service.istio.io/canonical-revision":"latest"})";
    const std::string ports = R"([{"name":"httpbin","containerPort":8080,"protocol":""}])";
    CHECK(file(files, "vms/virt-01/bootstrap/cluster.env").content ==
          "CANONICAL_REVISION='latest'\n"
          "CANONICAL_SERVICE='httpbin'\n"
          "CA_ADDR='istiod-1-30-3.istio-system.svc:15012'\n"
          "ISTIO_INBOUND_PORTS='8080'\n"
          "ISTIO_LOCAL_EXCLUDE_PORTS='22,15090,15021,15020'\n"
          "ISTIO_METAJSON_LABELS='" +
              labels +
              "'\n"
              "ISTIO_META_AUTO_REGISTER_GROUP='virt-01'\n"
              "ISTIO_META_CLUSTER_ID='kube-01'\n"
              "ISTIO_META_DNS_CAPTURE='true'\n"
              "ISTIO_META_MESH_ID='mesh'\n"
              "ISTIO_META_NETWORK='virt-01'\n"
              "ISTIO_META_POD_PORTS='" +
              ports +
              "'\n"
              "ISTIO_META_WORKLOAD_NAME='virt-01'\n"
              "ISTIO_NAMESPACE='httpbin'\n"
              "ISTIO_SERVICE='virt-01.httpbin'\n"
              "ISTIO_SERVICE_CIDR='*'\n"
              "POD_NAMESPACE='httpbin'\n"
              "SERVICE_ACCOUNT='httpbin'\n"
              "TRUST_DOMAIN='cluster.local'\n");
    CHECK(file(files, "vms/virt-01/bootstrap/mesh.yaml").content ==
          "defaultConfig:\n"
          "  discoveryAddress: istiod-1-30-3.istio-system.svc:15012\n"
          "  meshId: mesh\n"
          "  proxyMetadata:\n"
          "    CANONICAL_REVISION: latest\n"
          "    CANONICAL_SERVICE: httpbin\n"
          "    ISTIO_META_AUTO_REGISTER_GROUP: virt-01\n"
          "    ISTIO_META_CLUSTER_ID: kube-01\n"
          "    ISTIO_META_DNS_CAPTURE: \"true\"\n"
          "    ISTIO_META_MESH_ID: mesh\n"
          "    ISTIO_META_NETWORK: virt-01\n"
          "    ISTIO_META_POD_PORTS: '" +
              ports +
              "'\n"
              "    ISTIO_META_WORKLOAD_NAME: virt-01\n"
              "    ISTIO_METAJSON_LABELS: '" +
              labels +
              "'\n"
              "    POD_NAMESPACE: httpbin\n"
              "    SERVICE_ACCOUNT: httpbin\n"
              "    TRUST_DOMAIN: cluster.local\n"
              "  readinessProbe:\n"
              "    initialDelaySeconds: 1\n"
              "    periodSeconds: 5\n"
              "    tcpSocket:\n"
              "      port: 8080\n"
              "  tracing: {}\n");
    // What the sidecar reads back.
    const auto mesh = YAML::Load(file(files, "vms/virt-01/bootstrap/mesh.yaml").content);
    CHECK(mesh["defaultConfig"]["proxyMetadata"]["ISTIO_META_DNS_CAPTURE"].as<std::string>() == "true");
    CHECK(YAML::Load(mesh["defaultConfig"]["proxyMetadata"]["ISTIO_METAJSON_LABELS"].as<std::string>())["app"]
              .as<std::string>() == "httpbin");
  }

  SUBCASE("no revision, no services: istiod's default name, every port captured, no probe") {
    auto lab = test::mesh_labs::multi_primary_lab();
    lab.istio.revision.clear();
    lab.vms.front().services.clear();
    const auto files = render::render_vm_bootstrap(lab, "ROOT");
    const auto env = file(files, "vms/virt-01/bootstrap/cluster.env").content;
    CHECK(env.find("CA_ADDR") == std::string::npos);
    CHECK(env.find("ISTIO_INBOUND_PORTS='*'\n") != std::string::npos);
    CHECK(env.find("ISTIO_META_POD_PORTS") == std::string::npos);
    CHECK(env.find("CANONICAL_SERVICE='virt-01'\n") != std::string::npos); // app label = the VM
    const auto mesh = YAML::Load(file(files, "vms/virt-01/bootstrap/mesh.yaml").content);
    CHECK(mesh["defaultConfig"]["discoveryAddress"].as<std::string>() == "istiod.istio-system.svc:15012");
    CHECK_FALSE(mesh["defaultConfig"]["readinessProbe"]);
  }

  SUBCASE("a VM of a cluster that is not declared is named") {
    auto lab = test::mesh_labs::multi_primary_lab();
    lab.vms.front().cluster = "kube-09";
    CHECK_THROWS_WITH_AS(render::render_vm_bootstrap(lab, "ROOT"),
                         "vms.virt-01.cluster: \"kube-09\" is not declared in clusters", Error);
  }
}

#include "render/cloud_init.hpp"

#include "support/cloud_config.hpp"
#include "support/sample_labs.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

using namespace meshlab;
using namespace meshlab::render;

namespace {

const std::string k_fake_root = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

std::vector<std::string> strings(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(item.as<std::string>());
  return out;
}

// Every permissions value is a quoted string: cloud-init rejects a YAML integer.
void check_permissions_quoted(const YAML::Node& user_data) {
  for (const auto& entry : user_data["write_files"]) {
    CAPTURE(entry["path"].as<std::string>());
    REQUIRE(entry["permissions"]);
    CHECK(entry["permissions"].Tag() == "!");
  }
}

std::string script(const YAML::Node& user_data, const std::string& name) {
  const auto content = test::written_content(user_data, "/usr/local/lib/meshlab/" + name);
  REQUIRE(content);
  return *content;
}

} // namespace

TEST_CASE("render::cluster_dns_address") {
  CHECK(cluster_dns_address("10.43.0.0/16") == "10.43.0.10");
  CHECK(cluster_dns_address("10.128.16.0/20") == "10.128.16.10");
  CHECK(cluster_dns_address("10.255.10.0/24") == "10.255.10.10");
  CHECK(cluster_dns_address("10.43.7.9/16") == "10.43.0.10"); // host bits are ignored
  CHECK(cluster_dns_address("192.168.1.0/28") == "192.168.1.10");
  for (const char* bad : {"", "10.43.0.0", "10.43.0/16", "10.43.0.0/33", "10.43.0.256/16", "a.b.c.d/8", "10.43.0.0/x",
                          "10.43.0.0/16 "}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(cluster_dns_address(bad), Error);
  }
  CHECK_THROWS_WITH(cluster_dns_address("10.0.0.0/29"), doctest::Contains("/28 or shorter"));
}

TEST_CASE("render::render_k3s_node") {
  auto lab = test::multi_primary_lab();
  const TemplateSource templates;
  const NodeCa ca{k_fake_root};

  SUBCASE("k3s config, registries and CA of the seed lab's kube-01") {
    const auto artifact = render_k3s_node(lab, lab.clusters[1], ca, templates);
    CHECK(artifact.path == "clusters/kube-01/cloud-init.yaml");
    CHECK(artifact.kind == "cloud-init");
    CHECK(artifact.cluster == "kube-01");
    CHECK(artifact.content.rfind("#cloud-config\n", 0) == 0);
    const auto doc = YAML::Load(artifact.content);
    check_permissions_quoted(doc);

    const auto config_text = test::written_content(doc, "/etc/rancher/k3s/config.yaml");
    REQUIRE(config_text);
    const auto config = YAML::Load(*config_text);
    CHECK(config["write-kubeconfig-mode"].as<std::string>() == "0644");
    CHECK(config["write-kubeconfig-mode"].Tag() == "!");
    CHECK(config["node-name"].as<std::string>() == "kube-01");
    CHECK(config["cluster-domain"].as<std::string>() == "cluster.local");
    CHECK(config["cluster-cidr"].as<std::string>() == "10.65.0.0/16");
    CHECK(config["service-cidr"].as<std::string>() == "10.128.16.0/20");
    CHECK(config["cluster-dns"].as<std::string>() == "10.128.16.10");
    CHECK(strings(config["disable"]) == std::vector<std::string>{"traefik"}); // servicelb stays for the gateways
    CHECK(strings(config["tls-san"]) == std::vector<std::string>{"kube-01"});
    CHECK(strings(config["node-label"]) == std::vector<std::string>{"topology.kubernetes.io/region=milky-way",
                                                                     "topology.kubernetes.io/zone=solar-system",
                                                                     "topology.istio.io/subzone=kube-01"});

    const auto registries_text = test::written_content(doc, "/etc/rancher/k3s/registries.yaml");
    REQUIRE(registries_text);
    const auto registries = YAML::Load(*registries_text)["mirrors"];
    REQUIRE(registries.size() == 3);
    CHECK(strings(registries["docker.io"]["endpoint"]) == std::vector<std::string>{"http://@HOST_GATEWAY@:5011"});
    CHECK(strings(registries["quay.io"]["endpoint"]) == std::vector<std::string>{"http://@HOST_GATEWAY@:5012"});
    CHECK(strings(registries["ghcr.io"]["endpoint"]) == std::vector<std::string>{"http://@HOST_GATEWAY@:5013"});

    const auto root = test::write_files_entry(doc, std::string(k_node_root_cert_path));
    REQUIRE(root);
    CHECK(root["encoding"].as<std::string>() == "b64");
    CHECK(test::written_content(doc, std::string(k_node_root_cert_path)) == k_fake_root);
    CHECK(artifact.content.find("PRIVATE KEY") == std::string::npos);

    const auto runcmd = doc["runcmd"];
    REQUIRE(runcmd.size() == 3);
    CHECK(strings(runcmd[0]) == std::vector<std::string>{"/usr/local/lib/meshlab/set-host-gateway", "@HOST_GATEWAY@",
                                                          "/etc/rancher/k3s/registries.yaml"});
    CHECK(strings(runcmd[1]) ==
          std::vector<std::string>{"/usr/local/lib/meshlab/install-k3s", "kube-01", "v1.30.2+k3s2"});
    CHECK(strings(runcmd[2]) == std::vector<std::string>{"/usr/local/lib/meshlab/write-kubeconfig", "kube-01",
                                                          std::string(k_node_kubeconfig_path)});
    test::check_cloud_init_schema(artifact.content, artifact.path);
  }

  SUBCASE("instance names carry the lab prefix") {
    lab.prefix = "mp";
    const auto doc = YAML::Load(render_k3s_node(lab, lab.clusters[0], ca, templates).content);
    CHECK(YAML::Load(*test::written_content(doc, "/etc/rancher/k3s/config.yaml"))["node-name"].as<std::string>() ==
          "mp-kube-00");
    CHECK(doc["runcmd"][2][1].as<std::string>() == "mp-kube-00");
  }

  SUBCASE("no registries: no registries.yaml and no gateway substitution") {
    lab.registries.clear();
    const auto artifact = render_k3s_node(lab, lab.clusters[0], ca, templates);
    const auto doc = YAML::Load(artifact.content);
    CHECK_FALSE(test::write_files_entry(doc, "/etc/rancher/k3s/registries.yaml"));
    REQUIRE(doc["runcmd"].size() == 2);
    CHECK(doc["runcmd"][0][0].as<std::string>() == "/usr/local/lib/meshlab/install-k3s");
    test::check_cloud_init_schema(artifact.content, "node without registries");
  }

  SUBCASE("no locality: no node labels; no k3s version: the stable channel") {
    lab.clusters[0].locality = {};
    lab.clusters[0].k3s_version.clear();
    const auto doc = YAML::Load(render_k3s_node(lab, lab.clusters[0], ca, templates).content);
    const auto config = YAML::Load(*test::written_content(doc, "/etc/rancher/k3s/config.yaml"));
    CHECK_FALSE(config["node-label"]);
    CHECK(doc["runcmd"][1][2].as<std::string>() == "");
  }

  SUBCASE("hostile values read back exactly") {
    auto& cluster = lab.clusters[1];
    cluster.locality = lab::Locality{"a: b # c", "\"zone\"\n- x", "back\\slash {{x}}"};
    cluster.domain = "pasta.local'; rm -rf /";
    cluster.k3s_version = "v1 $(reboot)";
    const auto artifact = render_k3s_node(lab, cluster, ca, templates);
    const auto doc = YAML::Load(artifact.content);
    const auto config = YAML::Load(*test::written_content(doc, "/etc/rancher/k3s/config.yaml"));
    CHECK(config["cluster-domain"].as<std::string>() == cluster.domain);
    CHECK(strings(config["node-label"]) ==
          std::vector<std::string>{"topology.kubernetes.io/region=a: b # c",
                                   "topology.kubernetes.io/zone=\"zone\"\n- x",
                                   "topology.istio.io/subzone=back\\slash {{x}}"});
    CHECK(doc["runcmd"][1][2].as<std::string>() == cluster.k3s_version); // an argv item: never a shell line
    test::check_cloud_init_schema(artifact.content, "hostile node");
  }

  SUBCASE("a service CIDR without a 10th address is an error naming the cluster") {
    lab.clusters[1].service_cidr = "10.0.0.0/30";
    CHECK_THROWS_WITH_AS(render_k3s_node(lab, lab.clusters[1], ca, templates),
                         doctest::Contains("clusters.kube-01.serviceCIDR"), Error);
  }
}

TEST_CASE("render::render_k3s_node scripts") {
  const auto lab = test::multi_primary_lab();
  const auto doc = YAML::Load(render_k3s_node(lab, lab.clusters[1], NodeCa{k_fake_root}, TemplateSource{}).content);
  test::TempDir dir;

  SUBCASE("every script is valid sh") {
    for (const char* name : {"set-host-gateway", "install-k3s", "write-kubeconfig"}) {
      CAPTURE(name);
      const auto file = dir / name;
      util::write_file_atomic(file, script(doc, name), std::filesystem::perms(0755));
      const auto result = test::run({"sh", "-n", file.string()});
      CAPTURE(result.output);
      CHECK(result.exit_code == 0);
    }
  }

  SUBCASE("write-kubeconfig renames default to the instance and points at the node") {
    const auto tool = dir / "write-kubeconfig";
    util::write_file_atomic(tool, script(doc, "write-kubeconfig"), std::filesystem::perms(0755));
    // The shape k3s writes to /etc/rancher/k3s/k3s.yaml.
    util::write_file_atomic(dir / "k3s.yaml", "apiVersion: v1\nclusters:\n- cluster:\n"
                                              "    certificate-authority-data: Q0EK\n"
                                              "    server: https://127.0.0.1:6443\n  name: default\n"
                                              "contexts:\n- context:\n    cluster: default\n    user: default\n"
                                              "  name: default\ncurrent-context: default\nkind: Config\n"
                                              "preferences: {}\nusers:\n- name: default\n  user:\n"
                                              "    client-certificate-data: Q0VSVAo=\n"
                                              "    client-key-data: S0VZCg==\n");
    const auto out = dir / "kubeconfig";
    const auto result = test::run({"sh", tool.string(), "kube-01", out.string(), (dir / "k3s.yaml").string()});
    CAPTURE(result.output);
    REQUIRE(result.exit_code == 0);
    const auto config = YAML::LoadFile(out.string());
    CHECK(config["current-context"].as<std::string>() == "kube-01");
    CHECK(config["clusters"][0]["name"].as<std::string>() == "kube-01");
    CHECK(config["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>() == "Q0EK");
    const auto server = config["clusters"][0]["cluster"]["server"].as<std::string>();
    CHECK(server.rfind("https://", 0) == 0);
    CHECK(server.find("127.0.0.1") == std::string::npos);
    CHECK(server.substr(server.size() - 5) == ":6443");
    CHECK(config["users"][0]["name"].as<std::string>() == "kube-01");
    CHECK(config["users"][0]["user"]["client-key-data"].as<std::string>() == "S0VZCg==");
    CHECK(config["contexts"][0]["context"]["cluster"].as<std::string>() == "kube-01");
    CHECK(config["contexts"][0]["context"]["user"].as<std::string>() == "kube-01");
    CHECK((std::filesystem::status(out).permissions() & std::filesystem::perms::all) ==
          std::filesystem::perms(0600));
  }

  SUBCASE("set-host-gateway puts the default gateway into registries.yaml") {
    if (test::run({"sh", "-c", "ip route | grep -q '^default'"}).exit_code != 0) {
      MESSAGE("SKIPPED: this machine has no default route");
      return;
    }
    const auto tool = dir / "set-host-gateway";
    util::write_file_atomic(tool, script(doc, "set-host-gateway"), std::filesystem::perms(0755));
    const auto registries = dir / "registries.yaml";
    util::write_file_atomic(registries, *test::written_content(doc, "/etc/rancher/k3s/registries.yaml"));
    const auto result = test::run({"sh", tool.string(), "@HOST_GATEWAY@", registries.string()});
    CAPTURE(result.output);
    REQUIRE(result.exit_code == 0);
    const auto text = util::read_file(registries);
    CHECK(text.find("@HOST_GATEWAY@") == std::string::npos);
    const auto endpoint = YAML::Load(text)["mirrors"]["docker.io"]["endpoint"][0].as<std::string>();
    CHECK(endpoint.rfind("http://", 0) == 0);
    CHECK(endpoint.substr(endpoint.size() - 5) == ":5011");
  }
}

TEST_CASE("render::render_vm") {
  auto lab = test::multi_primary_lab();
  auto& vm = lab.vms[0];
  const TemplateSource templates;

  SUBCASE("httpbin as a systemd unit, with the Istio directories") {
    vm.packages = {"net-tools", "gunicorn"};
    const auto artifact = render_vm(lab, vm, templates);
    CHECK(artifact.path == "vms/virt-01/cloud-init.yaml");
    CHECK(artifact.kind == "cloud-init");
    CHECK(artifact.cluster == "virt-01");
    CHECK(artifact.content.rfind("#cloud-config\n", 0) == 0);
    const auto doc = YAML::Load(artifact.content);
    check_permissions_quoted(doc);
    CHECK(strings(doc["packages"]) == std::vector<std::string>{"python3-httpbin", "gunicorn", "net-tools"});
    const auto unit = test::written_content(doc, "/etc/systemd/system/httpbin.service");
    REQUIRE(unit);
    CHECK(unit->find("ExecStart=/usr/bin/gunicorn --bind 0.0.0.0:8080 --access-logfile - httpbin:app\n") !=
          std::string::npos);
    CHECK(unit->find("WantedBy=multi-user.target") != std::string::npos);
    CHECK(strings(doc["bootcmd"][0]) == std::vector<std::string>{"mkdir", "-p", "/etc/certs", "/etc/istio/config",
                                                                 "/var/lib/istio/envoy", "/var/run/secrets/tokens"});
    REQUIRE(doc["runcmd"].size() == 2);
    CHECK(strings(doc["runcmd"][1]) == std::vector<std::string>{"systemctl", "enable", "--now", "httpbin.service"});
    CHECK_FALSE(test::write_files_entry(doc, "/etc/rancher/k3s/registries.yaml"));
    test::check_cloud_init_schema(artifact.content, artifact.path);
  }

  SUBCASE("a bare VM has only the directories") {
    vm.services.clear();
    const auto artifact = render_vm(lab, vm, templates);
    const auto doc = YAML::Load(artifact.content);
    CHECK_FALSE(doc["packages"]);
    CHECK_FALSE(doc["write_files"]);
    CHECK_FALSE(doc["runcmd"]);
    CHECK(doc["bootcmd"].size() == 1);
    test::check_cloud_init_schema(artifact.content, "bare VM");
  }

  SUBCASE("hostile package names read back exactly") {
    vm.packages = {"a: b", "- c", "\"d\"\n#e"};
    const auto doc = YAML::Load(render_vm(lab, vm, templates).content);
    CHECK(strings(doc["packages"]) ==
          std::vector<std::string>{"python3-httpbin", "gunicorn", "a: b", "- c", "\"d\"\n#e"});
  }

  SUBCASE("an unknown service is an error listing the known ones") {
    vm.services.push_back(lab::VmService{"nginx", 80});
    CHECK_THROWS_WITH_AS(render_vm(lab, vm, templates),
                         doctest::Contains("vms.virt-01.services: unknown service \"nginx\"; known services: httpbin"),
                         Error);
  }
}

TEST_CASE("render::render_cloud_init") {
  auto lab = test::multi_primary_lab();
  lab.clusters.push_back(lab::Cluster{.name = "kind-one", .provider = lab::Provider::kind});
  const auto artifacts = render_cloud_init(lab, NodeCa{k_fake_root}, TemplateSource{});
  std::vector<std::string> paths;
  for (const auto& a : artifacts) paths.push_back(a.path);
  CHECK(paths == std::vector<std::string>{"clusters/kube-00/cloud-init.yaml", "clusters/kube-01/cloud-init.yaml",
                                          "clusters/kube-02/cloud-init.yaml", "vms/virt-01/cloud-init.yaml"});
}

#include "render/mesh.hpp"

#include "support/kubectl_dry_run.hpp"
#include "support/mesh_artifacts.hpp"
#include "support/mesh_labs.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

using namespace meshlab;
using namespace meshlab::test;
using namespace meshlab::test::mesh_labs;

namespace {

const std::filesystem::path k_fake_apiserver = MESHLAB_SOURCE_DIR "/tests/support/fake_apiserver.py";

// Writes every Kubernetes manifest (not the Helm values) under `dir`; returns how many
// objects they hold.
std::size_t write_manifests(const std::vector<render::Artifact>& artifacts, const std::filesystem::path& dir) {
  std::size_t objects = 0;
  for (const auto& artifact : artifacts) {
    if (artifact.kind == "helm-values") continue;
    util::write_file_atomic(dir / artifact.path, artifact.content);
    objects += YAML::LoadAll(artifact.content).size();
  }
  return objects;
}

std::size_t objects_in(const std::string& kubectl_output) {
  std::size_t count = 0;
  for (const auto& doc : YAML::LoadAll(kubectl_output))
    if (doc.IsMap() && doc["kind"]) ++count;
  return count;
}

} // namespace

TEST_CASE("render::render_mesh accepted by kubectl") {
  const auto kubectl = find_on_path("kubectl");
  const auto python = find_on_path("python3");
  if (!kubectl || !python) {
    const std::string missing = std::string(kubectl ? "" : " kubectl") + (python ? "" : " python3");
    MESSAGE("SKIPPED: the kubectl create --dry-run=client checks need kubectl and python3 on PATH; missing:", missing);
    return;
  }
  FakeApiServer server(k_fake_apiserver);
  CAPTURE(server.port());

  SUBCASE("every manifest of every lab shape") {
    auto with_dns = kind_locality_lab();
    with_dns.name = "kind-locality-dns";
    with_dns.dns = {{"httpbin.demo.lab", "ingress"}, {"db.demo.lab", "10.0.0.7"}};
    auto k3s_dns = stamps_lab();
    k3s_dns.name = "stamps-dns";
    k3s_dns.dns.push_back({"db.demo.lab", "10.0.0.7"});
    // One kubectl run over a directory per lab: kubectl names the file of any failure.
    TempDir dir;
    std::size_t expected = 0;
    for (const auto& lab : {multi_primary_lab(), stamps_lab(), kind_locality_lab(), ci_smoke_lab(), with_dns, k3s_dns})
      expected += write_manifests(render_mesh_of(lab), dir / lab.name);
    const auto result = server.kubectl_create(*kubectl, dir.path());
    CAPTURE(result.output);
    CHECK(result.exit_code == 0);
    CHECK(objects_in(result.output) == expected);
    CHECK(expected > 100);
  }

  SUBCASE("the check fails on a malformed manifest and on an unknown kind") {
    TempDir dir;
    const auto artifacts = render_mesh_of(ci_smoke_lab());
    write_manifests(artifacts, dir.path());
    CHECK(server.kubectl_create(*kubectl, dir.path()).exit_code == 0);

    util::write_file_atomic(dir / "broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n");
    auto result = server.kubectl_create(*kubectl, dir / "broken.yaml");
    CHECK(result.exit_code != 0);
    CHECK(result.output.find("broken.yaml") != std::string::npos);

    util::write_file_atomic(dir / "unknown.yaml",
                            "apiVersion: networking.istio.io/v1\nkind: Gatewy\nmetadata:\n  name: x\n");
    result = server.kubectl_create(*kubectl, dir / "unknown.yaml");
    CHECK(result.exit_code != 0);
    CHECK(result.output.find("Gatewy") != std::string::npos);
  }
}

#include "render/render.hpp"
#include "render/written_files.hpp"

#include "render/embedded_templates.hpp"
#include "support/sample_labs.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <thread>

using namespace meshlab;
using namespace meshlab::render;
namespace fs = std::filesystem;

namespace {

// Relative path → content of every file under `dir`.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files[fs::relative(entry.path(), dir).string()] = util::read_file(entry.path());
  return files;
}

std::map<std::string, fs::file_time_type> mtimes(const fs::path& dir) {
  std::map<std::string, fs::file_time_type> times;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) times[fs::relative(entry.path(), dir).string()] = entry.last_write_time();
  return times;
}

// A lab with both kinds of machines, so every renderer has something to do.
lab::Lab mixed_lab() {
  auto lab = test::multi_primary_lab();
  for (auto& cluster : test::kind_locality_lab().clusters) {
    cluster.name = "kind-" + cluster.name;
    cluster.cell = "";
    lab.clusters.push_back(cluster);
  }
  return lab;
}

} // namespace

TEST_CASE("render::render_all") {
  test::TempDir out;
  const auto lab = mixed_lab();
  const RenderOptions options{.out_dir = out.path()};

  SUBCASE("writes the CA, every artifact and an index listing them all") {
    const auto summary = render_all(lab, options);
    const auto files = snapshot(out.path());
    CHECK(files.count("ca/root-cert.pem") == 1);
    CHECK(files.count("ca/kube-01/cert-chain.pem") == 1);
    CHECK(files.count("ca/kube-00/ca-cert.pem") == 0); // kube-00 is in no cell: no intermediate
    CHECK(files.count("clusters/kube-00/cloud-init.yaml") == 1);
    CHECK(files.count("vms/virt-01/cloud-init.yaml") == 1);
    CHECK(files.count("clusters/kind-east/kind-config.yaml") == 1);
    CHECK(files.count("clusters/kind-west/containerd/certs.d/quay.io/hosts.toml") == 1);
    // The node gets the root certificate of this CA, as written by pki.
    CHECK(files.at("clusters/kube-01/cloud-init.yaml").find("PRIVATE KEY") == std::string::npos);

    const auto index = nlohmann::json::parse(files.at(std::string(k_index_file)));
    CHECK(index["lab"] == "multi-primary");
    std::vector<std::string> listed;
    for (const auto& entry : index["files"]) listed.push_back(entry["path"].get<std::string>());
    CHECK(std::is_sorted(listed.begin(), listed.end()));
    std::vector<std::string> on_disk;
    // Bookkeeping (pki's ca/.verified/, the written-files record) is not an artifact.
    for (const auto& [path, content] : files)
      if (path != k_index_file && path != k_written_files_record && path.find("/.") == std::string::npos)
        on_disk.push_back(path);
    CHECK(listed == on_disk);
    CHECK(summary.files.size() == listed.size());
    const auto ca_files =
        std::count_if(listed.begin(), listed.end(), [](const auto& p) { return p.rfind("ca/", 0) == 0; });
    CHECK(summary.changed == listed.size() - static_cast<std::size_t>(ca_files)); // every artifact was new
    const auto root = std::find_if(index["files"].begin(), index["files"].end(),
                                   [](const auto& e) { return e["path"] == "ca/root-cert.pem"; });
    REQUIRE(root != index["files"].end());
    CHECK((*root)["kind"] == "ca");
    CHECK((*root)["cluster"] == "");
    const auto node = std::find_if(index["files"].begin(), index["files"].end(),
                                   [](const auto& e) { return e["path"] == "clusters/kube-01/cloud-init.yaml"; });
    REQUIRE(node != index["files"].end());
    CHECK((*node)["kind"] == "cloud-init");
    CHECK((*node)["cluster"] == "kube-01");
    CHECK((*node)["purpose"] == "user-data for the k3s node kube-01");
  }

  SUBCASE("rendering twice gives byte-identical files and touches nothing") {
    const auto first = render_all(lab, options);
    CHECK(first.changed > 0);
    const auto before = snapshot(out.path());
    const auto times = mtimes(out.path());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto second = render_all(lab, options);
    CHECK(second.changed == 0);
    CHECK(second.removed == 0);
    CHECK(snapshot(out.path()) == before);
    CHECK(mtimes(out.path()) == times); // CA files included: never rewritten
  }

  SUBCASE("two output directories get the same artifacts, apart from the CA itself") {
    test::TempDir other;
    render_all(lab, options);
    render_all(lab, RenderOptions{.out_dir = other.path()});
    const auto a = snapshot(out.path());
    const auto b = snapshot(other.path());
    CHECK(a.at("clusters/kind-east/kind-config.yaml") == b.at("clusters/kind-east/kind-config.yaml"));
    CHECK(a.at("vms/virt-01/cloud-init.yaml") == b.at("vms/virt-01/cloud-init.yaml"));
    CHECK(a.at(std::string(k_index_file)) == b.at(std::string(k_index_file)));
    CHECK(a.at("ca/root-cert.pem") != b.at("ca/root-cert.pem")); // a fresh root each
  }

  SUBCASE("a changed lab rewrites only what changed and removes what it no longer produces") {
    render_all(lab, options);
    const auto before = snapshot(out.path());
    const auto times = mtimes(out.path());
    auto smaller = lab;
    smaller.vms.clear();
    smaller.clusters.pop_back(); // kind-west
    smaller.clusters[0].locality.zone = "andromeda";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto summary = render_all(smaller, options);
    const auto after = snapshot(out.path());

    std::size_t changed = 0;
    std::size_t removed = 0;
    for (const auto& [path, content] : after) {
      if (path == k_index_file || path == k_written_files_record || path.rfind("ca/", 0) == 0) continue;
      const auto it = before.find(path);
      changed += it == before.end() || it->second != content ? 1 : 0;
    }
    for (const auto& [path, content] : before) removed += after.count(path) == 0 ? 1 : 0;
    CHECK(summary.changed == changed);
    CHECK(summary.removed == removed);
    CHECK(before.at("clusters/kube-00/cloud-init.yaml") != after.at("clusters/kube-00/cloud-init.yaml"));
    CHECK(mtimes(out.path()).at("clusters/kind-east/kind-config.yaml") ==
          times.at("clusters/kind-east/kind-config.yaml")); // unchanged: not rewritten
    CHECK(removed >= 1 + 4); // at least virt-01's user-data, kind-west's config and its three hosts.toml
    CHECK_FALSE(fs::exists(out / "vms/virt-01/cloud-init.yaml"));
    CHECK_FALSE(fs::exists(out / "clusters/kind-west")); // emptied directories go too
    CHECK(fs::exists(out / "clusters/kind-east/kind-config.yaml"));
    CHECK(fs::exists(out / "ca/kube-01/ca-key.pem")); // the CA is never cleaned up
  }

  SUBCASE("--templates DIR: a user's copy of a template is used") {
    test::TempDir templates;
    for (const auto& [name, content] : embedded_templates())
      util::write_file_atomic(templates / std::string(name), std::string(content));
    const auto kind_template = templates / "kind/cluster.yaml.mustache";
    util::write_file_atomic(kind_template,
                            util::read_file(kind_template) + "# customised by the user for {{name}}\n");
    render_all(lab, RenderOptions{.out_dir = out.path(), .templates_dir = templates.path()});
    CHECK(util::read_file(out / "clusters/kind-east/kind-config.yaml")
              .find("# customised by the user for \"kind-east\"\n") != std::string::npos);
    test::TempDir plain;
    render_all(lab, RenderOptions{.out_dir = plain.path()});
    CHECK(util::read_file(out / "vms/virt-01/cloud-init.yaml") ==
          util::read_file(plain / "vms/virt-01/cloud-init.yaml")); // the others are the embedded ones
  }

  SUBCASE("a template missing from the --templates DIR is an error naming it") {
    test::TempDir empty;
    CHECK_THROWS_WITH_AS(render_all(lab, RenderOptions{.out_dir = out.path(), .templates_dir = empty.path()}),
                         doctest::Contains("cloud-init/k3s-node.yaml.mustache"), Error);
  }
}

// Every lab in labs/ is rendered and compared with tests/golden/<lab>/, file by file.
// The CA is random, so ca/** is checked structurally instead, and wherever a rendered
// file embeds CA material (the root certificate in user-data) the golden copy holds a
// marker naming the CA file. MESHLAB_UPDATE_GOLDEN=1 (`make golden`) rewrites the
// golden files; review that diff like code.
#include "lab/load.hpp"
#include "pki/verify.hpp"
#include "render/render.hpp"
#include "render/written_files.hpp"

#include "support/cloud_config.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <map>

using namespace meshlab;
namespace fs = std::filesystem;

namespace {

const fs::path k_source_dir = MESHLAB_SOURCE_DIR;

std::vector<fs::path> example_labs() {
  std::vector<fs::path> labs;
  for (const auto& entry : fs::directory_iterator(k_source_dir / "labs"))
    if (entry.path().extension() == ".yaml") labs.push_back(entry.path());
  std::sort(labs.begin(), labs.end());
  return labs;
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char ch : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += k_alphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += k_alphabet[(buffer << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// Relative path → content of every rendered file outside ca/, with CA material
// replaced by markers such as <ca/root-cert.pem as base64>.
std::map<std::string, std::string> normalized_output(const fs::path& out) {
  std::map<std::string, std::string> ca;
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    if (!entry.is_regular_file()) continue;
    const auto path = fs::relative(entry.path(), out).generic_string();
    if (path == render::k_written_files_record) continue; // file identities: differ on every run
    (path.rfind("ca/", 0) == 0 ? ca : files)[path] = util::read_file(entry.path());
  }
  // Shallow paths first, so the root is named ca/root-cert.pem, not a cluster's copy.
  std::vector<std::pair<std::string, std::string>> markers(ca.begin(), ca.end());
  std::stable_sort(markers.begin(), markers.end(), [](const auto& a, const auto& b) {
    return std::count(a.first.begin(), a.first.end(), '/') < std::count(b.first.begin(), b.first.end(), '/');
  });
  for (auto& [path, content] : files) {
    for (const auto& [ca_path, pem] : markers) {
      replace_all(content, base64(pem), "<" + ca_path + " as base64>");
      replace_all(content, pem, "<" + ca_path + ">");
    }
  }
  return files;
}

std::map<std::string, std::string> golden_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file())
      files[fs::relative(entry.path(), dir).generic_string()] = util::read_file(entry.path());
  return files;
}

std::vector<std::string> pem_blocks(const std::string& text) {
  std::vector<std::string> blocks;
  const std::string end_marker = "-----END CERTIFICATE-----\n";
  for (std::size_t start = text.find("-----BEGIN CERTIFICATE-----"); start != std::string::npos;
       start = text.find("-----BEGIN CERTIFICATE-----", start + 1)) {
    const auto end = text.find(end_marker, start);
    if (end == std::string::npos) break;
    blocks.push_back(text.substr(start, end + end_marker.size() - start));
  }
  return blocks;
}

// The CA tree has every file Istio's plugged-in CA layout needs, keys private, and
// each chain ordered intermediate then root.
void check_ca_structure(const lab::Lab& lab, const fs::path& out) {
  const auto root = util::read_file(out / "ca/root-cert.pem");
  CHECK(pem_blocks(root).size() == 1);
  CHECK((fs::status(out / "ca/root-key.pem").permissions() & fs::perms::all) == fs::perms(0600));
  for (const auto* cluster : lab.workload_clusters()) {
    CAPTURE(cluster->name);
    const auto dir = out / "ca" / cluster->name;
    for (const char* file : {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"})
      CHECK(fs::is_regular_file(dir / file));
    CHECK((fs::status(dir / "ca-key.pem").permissions() & fs::perms::all) == fs::perms(0600));
    CHECK(util::read_file(dir / "root-cert.pem") == root);
    const auto chain = pem_blocks(util::read_file(dir / "cert-chain.pem"));
    REQUIRE(chain.size() == 2);
    CHECK(chain[0] == util::read_file(dir / "ca-cert.pem"));
    CHECK(chain[1] == root);
  }
}

// Every TLS host of every app, on each cluster the app targets, has a server certificate
// that the openssl CLI verifies against the lab root (with the cluster's intermediate as
// the untrusted link) for that host name and for TLS servers; SAN = the host, serverAuth,
// not a CA.
void check_host_certificates(const lab::Lab& lab, const fs::path& out) {
  for (const auto& app : lab.apps)
    for (const auto* cluster : lab.resolve(app.targets))
      for (const auto& host : app.hosts) {
        CAPTURE(cluster->name);
        CAPTURE(host);
        const auto crt = out / "ca" / cluster->name / "ingress" / host / "tls.crt";
        REQUIRE(fs::is_regular_file(crt));
        CHECK((fs::status(crt.parent_path() / "tls.key").permissions() & fs::perms::all) == fs::perms(0600));
        const auto info = pki::inspect_certificate(util::read_file(crt), crt.string());
        CHECK(info.dns_names == std::vector<std::string>{host});
        CHECK(info.extended_key_usage == std::vector<std::string>{"serverAuth"});
        CHECK(!info.is_ca);
        const auto run = test::run({"openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname",
                                    host, "-CAfile", (out / "ca/root-cert.pem").string(), "-untrusted",
                                    (out / "ca" / cluster->name / "ca-cert.pem").string(), crt.string()});
        CAPTURE(run.output);
        CHECK(run.exit_code == 0);
      }
}

// Every YAML file parses; every user-data file passes `cloud-init schema`.
void check_parses(const fs::path& out, const std::map<std::string, std::string>& files) {
  for (const auto& [path, content] : files) {
    CAPTURE(path);
    if (path.size() > 5 && path.substr(path.size() - 5) == ".yaml") CHECK_NOTHROW(YAML::LoadAll(content));
    if (path.size() > 5 && path.substr(path.size() - 5) == ".json") CHECK(nlohmann::json::accept(content));
    if (fs::path(path).filename() == "cloud-init.yaml")
      test::check_cloud_init_schema(util::read_file(out / path), path);
  }
}

} // namespace

TEST_CASE("render golden") {
  const bool update = std::getenv("MESHLAB_UPDATE_GOLDEN") != nullptr;
  for (const auto& lab_file : example_labs()) {
    const auto name = lab_file.stem().string();
    CAPTURE(name);
    auto lab = lab::load_valid_lab(lab_file.string());
    // The CA's bytes are not compared, and RSA 4096 costs seconds per key: ECDSA keeps
    // the suite fast while the files and their layout stay the same.
    lab.ca.key_type = "ecdsa";
    lab.ca.key_size = 256;
    test::TempDir out;
    render::render_all(lab, render::RenderOptions{.out_dir = out.path()});
    check_ca_structure(lab, out.path());
    check_host_certificates(lab, out.path());
    const auto rendered = normalized_output(out.path());
    check_parses(out.path(), rendered);

    const auto golden_dir = k_source_dir / "tests/golden" / name;
    if (update) {
      fs::remove_all(golden_dir);
      for (const auto& [path, content] : rendered) util::write_file_atomic(golden_dir / path, content);
      MESSAGE("rewrote " << golden_dir.string());
      continue;
    }
    const auto golden = golden_files(golden_dir);
    std::vector<std::string> rendered_paths, golden_paths;
    for (const auto& [path, content] : rendered) rendered_paths.push_back(path);
    for (const auto& [path, content] : golden) golden_paths.push_back(path);
    INFO("regenerate with `make golden` (MESHLAB_UPDATE_GOLDEN=1) and review the diff");
    CHECK(rendered_paths == golden_paths);
    for (const auto& [path, content] : rendered) {
      CAPTURE(path);
      if (const auto it = golden.find(path); it != golden.end()) CHECK(content == it->second);
    }
  }
}

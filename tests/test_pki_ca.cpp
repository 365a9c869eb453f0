#include "pki/ca.hpp"

#include "pki/verify.hpp"
#include "support/temp_dir.hpp"
#include "test_pki_support.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

using namespace meshlab;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& path) { return util::read_file(path); }

pki::CertificateInfo info(const fs::path& path) { return pki::inspect_certificate(read(path), path.string()); }

// How far `when` is from now + `days`, in absolute minutes.
long minutes_off(std::chrono::system_clock::time_point when, int days) {
  const auto expected = std::chrono::system_clock::now() + std::chrono::days(days);
  return std::abs(std::chrono::duration_cast<std::chrono::minutes>(when - expected).count());
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

} // namespace

TEST_CASE("pki::ensure_ca") {
  test::TempDir dir;
  const fs::path ca_dir = dir / "ca";
  lab::Ca ca = test::small_ca();
  const std::vector<std::string> clusters{"east", "west"};

  SUBCASE("writes the root and one intermediate per cluster, and lists them") {
    const auto files = pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    REQUIRE(files.size() == 10);
    CHECK(files[0].path == "ca/root-cert.pem");
    CHECK(files[1].path == "ca/root-key.pem");
    CHECK(files[0].cluster.empty());
    CHECK(files[2].path == "ca/east/ca-cert.pem");
    CHECK(files[3].path == "ca/east/ca-key.pem");
    CHECK(files[4].path == "ca/east/root-cert.pem");
    CHECK(files[5].path == "ca/east/cert-chain.pem");
    CHECK(files[9].path == "ca/west/cert-chain.pem");
    CHECK(files[9].cluster == "west");
    for (const auto& file : files) {
      CAPTURE(file.path);
      CHECK(fs::is_regular_file(dir / file.path));
      CHECK(!file.purpose.empty());
    }
    // Nothing half-made is left beside the tree.
    for (const auto& entry : fs::recursive_directory_iterator(dir.path()))
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }

  SUBCASE("the root is a self-signed CA with keyCertSign and cRLSign") {
    ca.subject = {"Lab Root", "Example Org"};
    ca.root_days = 100;
    pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    const auto root = info(ca_dir / "root-cert.pem");
    CHECK(root.subject == "O=Example Org, CN=Lab Root");
    CHECK(root.issuer == root.subject);
    CHECK(root.self_signed);
    CHECK(root.is_ca);
    CHECK(root.basic_constraints_critical);
    CHECK(root.path_length == -1);
    CHECK(root.key_usage == std::vector<std::string>{"keyCertSign", "cRLSign"});
    CHECK(root.key_usage_critical);
    CHECK(!root.subject_key_id.empty());
    CHECK(root.authority_key_id == root.subject_key_id);
    CHECK(minutes_off(root.not_after, 100) <= 2);
    CHECK(root.not_before <= std::chrono::system_clock::now());
    // 128 random bits: at most 32 hex digits, and two roots never share a serial.
    CHECK(root.serial_hex.size() <= 32);
    CHECK(root.serial_hex.size() >= 16);
    test::TempDir other;
    pki::ensure_ca(ca, {}, other.path(), other.path());
    CHECK(info(other / "ca/root-cert.pem").serial_hex != root.serial_hex);
  }

  SUBCASE("intermediates are CAs with pathlen 0, named after their cluster, issued by the root") {
    ca.intermediate_days = 30;
    pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    const auto root = info(ca_dir / "root-cert.pem");
    for (const auto& cluster : clusters) {
      CAPTURE(cluster);
      const auto intermediate = info(ca_dir / cluster / "ca-cert.pem");
      CHECK(intermediate.subject == "O=meshlab, CN=Intermediate CA, L=" + cluster);
      CHECK(intermediate.issuer == root.subject);
      CHECK(!intermediate.self_signed);
      CHECK(intermediate.is_ca);
      CHECK(intermediate.basic_constraints_critical);
      CHECK(intermediate.path_length == 0);
      CHECK(contains(intermediate.key_usage, "keyCertSign"));
      CHECK(contains(intermediate.key_usage, "cRLSign"));
      CHECK(intermediate.key_usage_critical);
      CHECK(!intermediate.subject_key_id.empty());
      CHECK(intermediate.authority_key_id == root.subject_key_id);
      CHECK(minutes_off(intermediate.not_after, 30) <= 2);
      CHECK(intermediate.key_type == "EC");
      CHECK(intermediate.key_bits == 256);
    }
  }

  SUBCASE("an intermediate never outlives the root") {
    ca.root_days = 10;
    ca.intermediate_days = 400;
    pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    CHECK(info(ca_dir / "east/ca-cert.pem").not_after == info(ca_dir / "root-cert.pem").not_after);
  }

  SUBCASE("cert-chain.pem is the intermediate then the root; root-cert.pem is the root") {
    pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    const std::string root = read(ca_dir / "root-cert.pem");
    for (const auto& cluster : clusters) {
      CAPTURE(cluster);
      CHECK(read(ca_dir / cluster / "root-cert.pem") == root);
      CHECK(read(ca_dir / cluster / "cert-chain.pem") == read(ca_dir / cluster / "ca-cert.pem") + root);
    }
  }

  SUBCASE("the chain verifies with OpenSSL's API") {
    pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    const std::string root = read(ca_dir / "root-cert.pem");
    for (const auto& cluster : clusters) {
      CAPTURE(cluster);
      const auto check = pki::verify_chain(read(ca_dir / cluster / "cert-chain.pem"), root);
      CHECK_MESSAGE(check.ok, check.reason);
    }
    // ...and not against another lab's root.
    test::TempDir other;
    pki::ensure_ca(ca, {}, other.path(), other.path());
    const auto foreign = pki::verify_chain(read(ca_dir / "east/cert-chain.pem"), read(other / "ca/root-cert.pem"));
    CHECK(!foreign.ok);
    CHECK(foreign.reason.find("self-signed certificate in certificate chain") != std::string::npos);
  }

  SUBCASE("the chain verifies with the openssl CLI") {
    const auto openssl = test::find_program("openssl");
    if (!openssl) {
      MESSAGE("openssl not on PATH; skipping the CLI check (apt-get install openssl)");
      return;
    }
    pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    for (const auto& cluster : clusters) {
      CAPTURE(cluster);
      const auto run = test::run_tool(
          {openssl->string(), "verify", "-x509_strict", "-CAfile", (ca_dir / "root-cert.pem").string(), "-untrusted",
           (ca_dir / cluster / "cert-chain.pem").string(), (ca_dir / cluster / "ca-cert.pem").string()});
      CAPTURE(run.output);
      CHECK(run.exit_code == 0);
      CHECK(run.output.find(": OK") != std::string::npos);
    }
    // The CLI reads the keys too (unencrypted PKCS#8) and agrees they belong to the certificates.
    for (const std::string name : {"root", "east/ca"}) {
      CAPTURE(name);
      const auto key =
          test::run_tool({openssl->string(), "pkey", "-in", (ca_dir / (name + "-key.pem")).string(), "-pubout"});
      const auto cert = test::run_tool(
          {openssl->string(), "x509", "-in", (ca_dir / (name + "-cert.pem")).string(), "-noout", "-pubkey"});
      CHECK(key.exit_code == 0);
      CHECK(cert.exit_code == 0);
      CHECK(key.output == cert.output);
    }
  }

  SUBCASE("keys are private PKCS#8 files, certificates readable") {
    pki::ensure_ca(ca, clusters, dir.path(), dir.path());
    for (const auto& key : {ca_dir / "root-key.pem", ca_dir / "east/ca-key.pem", ca_dir / "west/ca-key.pem"}) {
      CAPTURE(key);
      CHECK(test::mode_of(key) == fs::perms(0600));
      CHECK(read(key).starts_with("-----BEGIN PRIVATE KEY-----\n"));
    }
    for (const auto& cert : {ca_dir / "root-cert.pem", ca_dir / "east/ca-cert.pem", ca_dir / "east/cert-chain.pem",
                             ca_dir / "east/root-cert.pem"}) {
      CAPTURE(cert);
      CHECK(test::mode_of(cert) == fs::perms(0644));
      CHECK(read(cert).starts_with("-----BEGIN CERTIFICATE-----\n"));
    }
  }

  SUBCASE("RSA keys") {
    // RSA 2048 keeps the suite fast; 4096 (the lab default) takes about a second per key.
    ca = test::small_ca("rsa", 2048);
    pki::ensure_ca(ca, {"east"}, dir.path(), dir.path());
    CHECK(info(ca_dir / "root-cert.pem").key_type == "RSA");
    CHECK(info(ca_dir / "root-cert.pem").key_bits == 2048);
    CHECK(info(ca_dir / "east/ca-cert.pem").key_bits == 2048);
    CHECK(pki::verify_chain(read(ca_dir / "east/cert-chain.pem"), read(ca_dir / "root-cert.pem")).ok);
  }

  SUBCASE("ECDSA P-384 keys") {
    ca = test::small_ca("ecdsa", 384);
    pki::ensure_ca(ca, {"east"}, dir.path(), dir.path());
    CHECK(info(ca_dir / "root-cert.pem").key_bits == 384);
    CHECK(info(ca_dir / "east/ca-cert.pem").key_bits == 384);
    CHECK(pki::verify_chain(read(ca_dir / "east/cert-chain.pem"), read(ca_dir / "root-cert.pem")).ok);
  }

  SUBCASE("a key type or size meshlab cannot make is an error naming the field") {
    ca = test::small_ca("ecdsa", 4096);
    CHECK_THROWS_WITH_AS(pki::ensure_ca(ca, clusters, dir.path(), dir.path()),
                         doctest::Contains("ca.keySize: 4096 is not a valid ECDSA key size"), Error);
    ca = test::small_ca("rsa", 1024);
    CHECK_THROWS_WITH_AS(pki::ensure_ca(ca, clusters, dir.path(), dir.path()), doctest::Contains("valid: 2048..8192"),
                         Error);
    ca = test::small_ca("dsa", 2048);
    CHECK_THROWS_WITH_AS(pki::ensure_ca(ca, clusters, dir.path(), dir.path()),
                         doctest::Contains("unknown key type \"dsa\"; valid: rsa, ecdsa"), Error);
    CHECK(!fs::exists(ca_dir)); // nothing half-made
  }

  SUBCASE("a subject the certificate cannot hold is an error naming the field") {
    ca.subject.common_name = std::string(65, 'x');
    CHECK_THROWS_WITH_AS(pki::ensure_ca(ca, clusters, dir.path(), dir.path()),
                         doctest::Contains("ca.subject.commonName"), Error);
  }
}

TEST_CASE("pki::ensure_ca reuses an existing CA") {
  test::TempDir dir;
  const fs::path ca_dir = dir / "ca";
  const lab::Ca ca = test::small_ca();
  pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
  const auto before = test::snapshot(dir.path());

  SUBCASE("re-running changes no byte") {
    const auto mtime = fs::last_write_time(ca_dir / "east/ca-key.pem");
    const auto files = pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
    CHECK(files.size() == 10);
    CHECK(test::snapshot(dir.path()) == before);
    CHECK(fs::last_write_time(ca_dir / "east/ca-key.pem") == mtime);
  }

  SUBCASE("a changed key type or subject does not regenerate the CA") {
    lab::Ca changed = test::small_ca("rsa", 2048);
    changed.subject.common_name = "Another Root";
    pki::ensure_ca(changed, {"east", "west"}, dir.path(), dir.path());
    CHECK(test::snapshot(dir.path()) == before);
  }

  SUBCASE("a cluster added later gets an intermediate from the same root") {
    pki::ensure_ca(ca, {"east", "west", "north"}, dir.path(), dir.path());
    const auto after = test::snapshot(dir.path());
    CHECK(after.size() == before.size() + 5); // four files and a check record
    for (const auto& [path, content] : before) {
      CAPTURE(path);
      const auto it = std::find_if(after.begin(), after.end(), [&](const auto& file) { return file.first == path; });
      REQUIRE(it != after.end());
      CHECK(it->second == content);
    }
    const auto north = pki::inspect_certificate(read(ca_dir / "north/ca-cert.pem"), "north");
    CHECK(north.authority_key_id == pki::inspect_certificate(read(ca_dir / "root-cert.pem"), "root").subject_key_id);
    CHECK(pki::verify_chain(read(ca_dir / "north/cert-chain.pem"), read(ca_dir / "root-cert.pem")).ok);
  }

  SUBCASE("a damaged check record only costs a re-check") {
    util::write_file_atomic(ca_dir / ".verified/east", "garbage");
    pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
    CHECK(test::snapshot(dir.path()) == before); // checked again and recorded as before
  }

  SUBCASE("an intermediate unchanged since its check is not read; a changed one is") {
    // The files' identities only count once their times have settled (util::file_identity).
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
    auto record = read(ca_dir / ".verified/east");
    REQUIRE(std::count(record.begin(), record.end(), ' ') == 6); // fingerprint, notAfter, five identities
    // Spoil the fingerprint: a run that read the files would notice and record it again.
    record[0] = record[0] == '0' ? '1' : '0';
    util::write_file_atomic(ca_dir / ".verified/east", record);
    pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
    CHECK(read(ca_dir / ".verified/east") == record);
    // The same bytes in a new file: read, fingerprinted, checked, recorded correctly.
    util::write_file_atomic(ca_dir / "east/ca-cert.pem", read(ca_dir / "east/ca-cert.pem"));
    pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
    const auto checked = read(ca_dir / ".verified/east");
    CHECK(checked != record);
    CHECK(checked.substr(1, 63) == record.substr(1, 63));
  }

  SUBCASE("a cluster left out of the lab keeps its files") {
    pki::ensure_ca(ca, {"east"}, dir.path(), dir.path());
    CHECK(test::snapshot(dir.path()) == before);
  }

  SUBCASE("an empty cluster directory gets a new intermediate") {
    fs::remove_all(ca_dir / "west");
    fs::create_directory(ca_dir / "west");
    pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
    CHECK(pki::verify_chain(read(ca_dir / "west/cert-chain.pem"), read(ca_dir / "root-cert.pem")).ok);
  }
}

// Every case starts from a tree that was checked and recorded (ca/.verified), so these also
// show that a record never vouches for files changed after it was written.
TEST_CASE("pki::ensure_ca refuses inconsistent material") {
  test::TempDir dir;
  const fs::path ca_dir = dir / "ca";
  const lab::Ca ca = test::small_ca();
  pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path());
  test::TempDir other;
  pki::ensure_ca(ca, {"east"}, other.path(), other.path());
  const auto run = [&] { pki::ensure_ca(ca, {"east", "west"}, dir.path(), dir.path()); };

  SUBCASE("a root key that does not belong to the root certificate") {
    fs::copy_file(other / "ca/root-key.pem", ca_dir / "root-key.pem", fs::copy_options::overwrite_existing);
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("root-key.pem is not the key of the certificate in"), Error);
    CHECK_THROWS_WITH_AS(run(), doctest::Contains(("remove " + ca_dir.string() + " to make a new root").c_str()),
                         Error);
  }

  SUBCASE("a root certificate without its key") {
    fs::remove(ca_dir / "root-key.pem");
    CHECK_THROWS_WITH_AS(
        run(),
        doctest::Contains(("root-cert.pem exists but " + (ca_dir / "root-key.pem").string() + " does not").c_str()),
        Error);
  }

  SUBCASE("intermediates without a root") {
    fs::remove(ca_dir / "root-key.pem");
    fs::remove(ca_dir / "root-cert.pem");
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("has no root CA"), Error);
    CHECK(!fs::exists(ca_dir / "root-cert.pem")); // no new root that would not vouch for them
  }

  SUBCASE("an intermediate issued by another root") {
    fs::remove_all(ca_dir / "east");
    fs::copy(other / "ca/east", ca_dir / "east");
    CHECK_THROWS_WITH_AS(run(),
                         doctest::Contains("east/ca-cert.pem (\"O=meshlab, CN=Intermediate CA, L=east\") was "
                                           "not issued by the lab's root"),
                         Error);
    CHECK_THROWS_WITH_AS(run(), doctest::Contains(("remove " + (ca_dir / "east").string() + " to issue a new").c_str()),
                         Error);
  }

  SUBCASE("an intermediate key that does not match its certificate") {
    fs::copy_file(ca_dir / "west/ca-key.pem", ca_dir / "east/ca-key.pem", fs::copy_options::overwrite_existing);
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("east/ca-key.pem is not the key of the certificate in"), Error);
  }

  SUBCASE("a half-present cluster directory") {
    fs::remove(ca_dir / "east/ca-key.pem");
    CHECK_THROWS_WITH_AS(run(),
                         doctest::Contains("is incomplete: it has ca-cert.pem, root-cert.pem, cert-chain.pem "
                                           "but not ca-key.pem"),
                         Error);
  }

  SUBCASE("a cert-chain.pem in the wrong order") {
    util::write_file_atomic(ca_dir / "east/cert-chain.pem",
                            read(ca_dir / "east/root-cert.pem") + read(ca_dir / "east/ca-cert.pem"));
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("cert-chain.pem must hold ca-cert.pem then root-cert.pem"), Error);
  }

  SUBCASE("a cluster's root-cert.pem that is not the root") {
    fs::copy_file(other / "ca/root-cert.pem", ca_dir / "west/root-cert.pem", fs::copy_options::overwrite_existing);
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("west/root-cert.pem is not the lab's root"), Error);
  }

  SUBCASE("a file that is not PEM") {
    util::write_file_atomic(ca_dir / "east/ca-cert.pem", "garbage");
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("east/ca-cert.pem: no certificate in PEM format found"), Error);
  }

  SUBCASE("a cluster name that is not a directory name") {
    CHECK_THROWS_WITH_AS(pki::ensure_ca(ca, {"../x"}, dir.path(), dir.path()),
                         doctest::Contains("cluster name \"../x\" cannot name a directory"), Error);
  }
}

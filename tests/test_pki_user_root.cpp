#include "pki/ca.hpp"

#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "pki/verify.hpp"
#include "support/temp_dir.hpp"
#include "test_pki_support.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <openssl/pem.h>

using namespace meshlab;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& path) { return util::read_file(path); }

// A key in OpenSSL's traditional form ("BEGIN EC PRIVATE KEY"), as many users' tools write it.
std::string traditional_pem(EVP_PKEY* key) {
  const pki::BioPtr bio = pki::memory_bio();
  REQUIRE(PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  return pki::bio_contents(bio.get());
}

struct UserRoot {
  std::string cert_pem;
  std::string key_pem;
};

UserRoot make_root(pki::Profile profile = pki::Profile::root, int days = 30) {
  const pki::KeyPtr key = pki::generate_key({pki::KeyType::ecdsa, 256});
  const pki::CertificateSpec spec{.profile = profile, .subject = {"Corp Root", "Corp", ""}, .days = days};
  const pki::CertPtr cert = pki::issue_certificate(spec, key.get(), nullptr, key.get());
  return {pki::certificate_pem(cert.get()), traditional_pem(key.get())};
}

} // namespace

TEST_CASE("pki::ensure_ca with the user's own root") {
  test::TempDir lab_dir;
  test::TempDir out;
  const fs::path ca_dir = out / "ca";
  const UserRoot user = make_root();
  // Text before the PEM block, as `openssl x509 -text` leaves it, must not matter.
  util::write_file_atomic(lab_dir / "pki/root.crt", "Certificate:\n    Data: ...\n" + user.cert_pem);
  util::write_file_atomic(lab_dir / "pki/root.key", user.key_pem, fs::perms(0600));
  lab::Ca ca = test::small_ca();
  ca.root_cert_file = "pki/root.crt"; // relative to the lab file's directory
  ca.root_key_file = "pki/root.key";
  const auto run = [&] { return pki::ensure_ca(ca, {"east"}, out.path(), lab_dir.path()); };

  SUBCASE("copies it into ca/ and issues intermediates from it") {
    CHECK(run().size() == 6);
    CHECK(read(ca_dir / "root-cert.pem") == user.cert_pem);
    CHECK(read(ca_dir / "root-key.pem").starts_with("-----BEGIN PRIVATE KEY-----\n")); // re-encoded as PKCS#8
    CHECK(test::mode_of(ca_dir / "root-key.pem") == fs::perms(0600));
    const auto root = pki::inspect_certificate(user.cert_pem, "user root");
    const auto east = pki::inspect_certificate(read(ca_dir / "east/ca-cert.pem"), "east");
    CHECK(east.issuer == "O=Corp, CN=Corp Root");
    CHECK(east.authority_key_id == root.subject_key_id);
    CHECK(pki::verify_chain(read(ca_dir / "east/cert-chain.pem"), user.cert_pem).ok);
  }

  SUBCASE("re-running changes no byte") {
    run();
    const auto before = test::snapshot(out.path());
    run();
    CHECK(test::snapshot(out.path()) == before);
  }

  SUBCASE("a lab that already has another root does not switch silently") {
    lab::Ca generated = test::small_ca();
    pki::ensure_ca(generated, {"east"}, out.path(), lab_dir.path());
    const auto before = test::snapshot(out.path());
    CHECK_THROWS_WITH_AS(run(),
                         doctest::Contains("holds another root (\"O=meshlab, CN=meshlab Root CA\") than "
                                           "ca.rootCert"),
                         Error);
    CHECK(test::snapshot(out.path()) == before);
  }

  SUBCASE("a key that is not the certificate's") {
    util::write_file_atomic(lab_dir / "pki/root.key", make_root().key_pem, fs::perms(0600));
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("pki/root.key is not the key of the certificate in"), Error);
    CHECK(!fs::exists(ca_dir));
  }

  SUBCASE("a certificate that is not a CA") {
    const pki::KeyPtr key = pki::generate_key({pki::KeyType::ecdsa, 256});
    const pki::CertificateSpec spec{.profile = pki::Profile::server, .subject = {"not a ca", "", ""}, .days = 30};
    const pki::CertPtr cert = pki::issue_certificate(spec, key.get(), nullptr, key.get());
    util::write_file_atomic(lab_dir / "pki/root.crt", pki::certificate_pem(cert.get()));
    util::write_file_atomic(lab_dir / "pki/root.key", pki::private_key_pem(key.get()), fs::perms(0600));
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("\"CN=not a ca\" is not a CA certificate"), Error);
  }

  SUBCASE("a root whose pathlen 0 forbids intermediates") {
    const UserRoot narrow = make_root(pki::Profile::intermediate);
    util::write_file_atomic(lab_dir / "pki/root.crt", narrow.cert_pem);
    util::write_file_atomic(lab_dir / "pki/root.key", narrow.key_pem, fs::perms(0600));
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("has pathlen 0, so it cannot sign the per-cluster intermediate"),
                         Error);
  }

  SUBCASE("an absolute path") {
    ca.root_cert_file = (lab_dir / "pki/root.crt").string();
    ca.root_key_file = (lab_dir / "pki/root.key").string();
    pki::ensure_ca(ca, {"east"}, out.path(), "/nonexistent");
    CHECK(read(ca_dir / "root-cert.pem") == user.cert_pem);
  }

  SUBCASE("an expired root") {
    const UserRoot old = make_root(pki::Profile::root, -1);
    util::write_file_atomic(lab_dir / "pki/root.crt", old.cert_pem);
    util::write_file_atomic(lab_dir / "pki/root.key", old.key_pem, fs::perms(0600));
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("\"O=Corp, CN=Corp Root\" expired on"), Error);
  }

  SUBCASE("a missing file is named") {
    ca.root_key_file = "pki/missing.key";
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("pki/missing.key"), Error);
  }

  SUBCASE("only one of the two files") {
    ca.root_key_file.clear();
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("ca.rootCert and ca.rootKey go together"), Error);
  }

  SUBCASE("an encrypted key") {
    const pki::KeyPtr key = pki::parse_private_key(user.key_pem, "user key");
    const pki::BioPtr bio = pki::memory_bio();
    char password[] = "secret";
    REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), password, 6, nullptr, nullptr) == 1);
    util::write_file_atomic(lab_dir / "pki/root.key", pki::bio_contents(bio.get()), fs::perms(0600));
    CHECK_THROWS_WITH_AS(run(), doctest::Contains("no unencrypted private key"), Error);
  }
}

TEST_CASE("pki::ensure_ca refuses an expired generated root") {
  test::TempDir out;
  const UserRoot old = make_root(pki::Profile::root, -1);
  util::write_file_atomic(out / "ca/root-cert.pem", old.cert_pem);
  util::write_file_atomic(out / "ca/root-key.pem", old.key_pem, fs::perms(0600));
  CHECK_THROWS_WITH_AS(pki::ensure_ca(test::small_ca(), {"east"}, out.path(), out.path()),
                       doctest::Contains("expired on"), Error);
  CHECK(!fs::exists(out / "ca/east"));
}

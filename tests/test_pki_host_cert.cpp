#include "pki/host_cert.hpp"

#include "pki/verify.hpp"
#include "support/temp_dir.hpp"
#include "test_pki_support.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace meshlab;
namespace fs = std::filesystem;

TEST_CASE("pki::ensure_host_certificates") {
  test::TempDir out;
  pki::ensure_ca(test::small_ca(), {"blau", "verd"}, out.path(), out.path());
  const std::vector<pki::HostOnCluster> hosts{{"blau", "httpbin.blau.demo.lab"}, {"verd", "httpbin.blau.demo.lab"}};
  const auto blau_dir = out / "ca/blau/ingress/httpbin.blau.demo.lab";
  // blau's key replaced by verd's (a new file): it no longer matches blau's certificate.
  const auto swap_blau_key = [&] {
    util::write_file_atomic(blau_dir / "tls.key",
                            util::read_file(out / "ca/verd/ingress/httpbin.blau.demo.lab/tls.key"), fs::perms(0600));
  };

  SUBCASE("a certificate per host and cluster, from that cluster's intermediate, key 0600") {
    const auto files = pki::ensure_host_certificates(out.path(), hosts);
    REQUIRE(files.size() == 4);
    CHECK(files[0].path == "ca/blau/ingress/httpbin.blau.demo.lab/tls.crt");
    CHECK(files[1].path == "ca/blau/ingress/httpbin.blau.demo.lab/tls.key");
    CHECK(files[2].cluster == "verd");
    const auto dir = out / "ca/verd/ingress/httpbin.blau.demo.lab";
    CHECK(test::mode_of(dir / "tls.key") == fs::perms(0600));
    const auto chain = util::read_file(dir / "tls.crt");
    CHECK(chain.ends_with(util::read_file(out / "ca/verd/ca-cert.pem")));
    const auto leaf = pki::inspect_certificate(chain, "tls.crt");
    CHECK(leaf.dns_names == std::vector<std::string>{"httpbin.blau.demo.lab"});
    CHECK(leaf.extended_key_usage == std::vector<std::string>{"serverAuth"});
    CHECK(!leaf.is_ca);
    CHECK(leaf.issuer.find("L=verd") != std::string::npos);
    const auto ok = pki::verify_chain(chain, util::read_file(out / "ca/root-cert.pem"), "httpbin.blau.demo.lab");
    CHECK_MESSAGE(ok.ok, ok.reason);
  }

  SUBCASE("reused while good: a second run changes no byte") {
    pki::ensure_host_certificates(out.path(), hosts);
    const auto before = test::snapshot(out / "ca/blau/ingress");
    pki::ensure_host_certificates(out.path(), hosts);
    CHECK(test::snapshot(out / "ca/blau/ingress") == before);
    // One record per cluster: its issuer, then a line per host.
    const auto record = util::read_file(out / "ca/.verified/.ingress/blau");
    CHECK(record.starts_with("issuer "));
    CHECK(record.find("\nhttpbin.blau.demo.lab ") != std::string::npos);
    // Also when the record is garbled, or gone, and the files are parsed again.
    util::write_file_atomic(out / "ca/.verified/.ingress/blau", "garbage\n");
    pki::ensure_host_certificates(out.path(), hosts);
    CHECK(test::snapshot(out / "ca/blau/ingress") == before);
    CHECK(util::read_file(out / "ca/.verified/.ingress/blau") == record);
    fs::remove_all(out / "ca/.verified");
    pki::ensure_host_certificates(out.path(), hosts);
    CHECK(test::snapshot(out / "ca/blau/ingress") == before);
  }

  SUBCASE("files unchanged since their check are not read again; changed ones are") {
    pki::ensure_host_certificates(out.path(), hosts);
    // The files' identities only count once their times have settled (util::file_identity).
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    pki::ensure_host_certificates(out.path(), hosts);
    const auto record_path = out / "ca/.verified/.ingress/blau";
    auto record = util::read_file(record_path);
    REQUIRE(record.find(" - -\n") == std::string::npos); // identities recorded
    // Spoil the recorded fingerprint: a run that read the files would notice and rewrite it.
    const auto at = record.find("\nhttpbin.blau.demo.lab ") + std::string("\nhttpbin.blau.demo.lab ").size();
    record[at] = record[at] == '0' ? '1' : '0';
    util::write_file_atomic(record_path, record);
    pki::ensure_host_certificates(out.path(), hosts);
    CHECK(util::read_file(record_path) == record);
    // A key swapped for another (a new file, so a new identity) is read, found wrong, replaced.
    const auto old_crt = util::read_file(blau_dir / "tls.crt");
    swap_blau_key();
    pki::ensure_host_certificates(out.path(), hosts);
    CHECK(util::read_file(blau_dir / "tls.crt") != old_crt);
    CHECK(util::read_file(record_path) != record);
  }

  SUBCASE("issued again when the key no longer matches (a crash between the two writes)") {
    pki::ensure_host_certificates(out.path(), hosts);
    const auto old_crt = util::read_file(blau_dir / "tls.crt");
    swap_blau_key();
    pki::ensure_host_certificates(out.path(), hosts);
    CHECK(util::read_file(blau_dir / "tls.crt") != old_crt);
    const auto ok = pki::verify_chain(util::read_file(blau_dir / "tls.crt"), util::read_file(out / "ca/root-cert.pem"),
                                      "httpbin.blau.demo.lab");
    CHECK(ok.ok);
  }

  SUBCASE("issued again when the intermediate was replaced") {
    pki::ensure_host_certificates(out.path(), hosts);
    const auto old_crt = util::read_file(out / "ca/blau/ingress/httpbin.blau.demo.lab/tls.crt");
    for (const char* file : {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"})
      fs::remove(out / "ca/blau" / file);
    pki::ensure_ca(test::small_ca(), {"blau", "verd"}, out.path(), out.path());
    pki::ensure_host_certificates(out.path(), hosts);
    const auto chain = util::read_file(out / "ca/blau/ingress/httpbin.blau.demo.lab/tls.crt");
    CHECK(chain != old_crt);
    CHECK(chain.ends_with(util::read_file(out / "ca/blau/ca-cert.pem")));
  }

  SUBCASE("a cluster without an intermediate") {
    CHECK_THROWS_WITH_AS(pki::ensure_host_certificates(out.path(), {{"rot", "a.demo.lab"}}),
                         doctest::Contains("cluster rot has no intermediate CA yet"), Error);
  }
}

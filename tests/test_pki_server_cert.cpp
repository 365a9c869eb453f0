#include "pki/server_cert.hpp"

#include "pki/ca.hpp"
#include "pki/verify.hpp"
#include "support/temp_dir.hpp"
#include "test_pki_support.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
namespace fs = std::filesystem;

TEST_CASE("pki::issue_server_certificate") {
  test::TempDir out;
  lab::Ca ca = test::small_ca();
  ca.intermediate_days = 20;
  pki::ensure_ca(ca, {"blau", "verd"}, out.path(), out.path());
  const std::string host = "httpbin.blau.demo.lab";

  SUBCASE("a TLS server certificate for the host, issued by the cluster's intermediate") {
    const auto server = pki::issue_server_certificate(out.path(), "blau", {host, "*.blau.demo.lab"});
    const auto leaf = pki::inspect_certificate(server.cert_pem, "server");
    CHECK(leaf.subject == "CN=" + host);
    CHECK(leaf.issuer == "O=meshlab, CN=Intermediate CA, L=blau");
    CHECK(leaf.dns_names == std::vector<std::string>{host, "*.blau.demo.lab"});
    CHECK(!leaf.is_ca);
    CHECK(leaf.basic_constraints_critical);
    CHECK(leaf.key_usage == std::vector<std::string>{"digitalSignature", "keyEncipherment"});
    CHECK(leaf.extended_key_usage == std::vector<std::string>{"serverAuth"});
    CHECK(leaf.authority_key_id ==
          pki::inspect_certificate(util::read_file(out / "ca/blau/ca-cert.pem"), "blau").subject_key_id);
    CHECK(server.key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    CHECK(server.chain_pem == server.cert_pem + util::read_file(out / "ca/blau/ca-cert.pem"));
    CHECK(server.root_pem == util::read_file(out / "ca/root-cert.pem"));
  }

  SUBCASE("the chain verifies for the host, and only for it") {
    const auto server = pki::issue_server_certificate(out.path(), "blau", {host});
    const auto ok = pki::verify_chain(server.chain_pem, server.root_pem, host);
    CHECK_MESSAGE(ok.ok, ok.reason);
    const auto wrong = pki::verify_chain(server.chain_pem, server.root_pem, "echo.verd.demo.lab");
    CHECK(!wrong.ok);
    CHECK(wrong.reason.find("hostname mismatch") != std::string::npos);
    CHECK(wrong.reason.find("echo.verd.demo.lab") != std::string::npos);
    // Without the intermediate the server's certificate cannot be traced to the root.
    const auto alone = pki::verify_chain(server.cert_pem, server.root_pem, host);
    CHECK(!alone.ok);
    CHECK(alone.reason.find("unable to get local issuer certificate") != std::string::npos);
  }

  SUBCASE("the openssl CLI agrees") {
    const auto openssl = test::find_program("openssl");
    if (!openssl) {
      MESSAGE("openssl not on PATH; skipping the CLI check (apt-get install openssl)");
      return;
    }
    const auto server = pki::issue_server_certificate(out.path(), "verd", {"echo.verd.demo.lab"});
    util::write_file_atomic(out / "tls/chain.pem", server.chain_pem);
    util::write_file_atomic(out / "tls/cert.pem", server.cert_pem);
    const auto run =
        test::run_tool({openssl->string(), "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname",
                        "echo.verd.demo.lab", "-CAfile", (out / "ca/root-cert.pem").string(), "-untrusted",
                        (out / "tls/chain.pem").string(), (out / "tls/cert.pem").string()});
    CAPTURE(run.output);
    CHECK(run.exit_code == 0);
  }

  SUBCASE("never outlives the intermediate") {
    const auto server = pki::issue_server_certificate(out.path(), "blau", {host}, 365);
    CHECK(pki::inspect_certificate(server.cert_pem, "server").not_after ==
          pki::inspect_certificate(util::read_file(out / "ca/blau/ca-cert.pem"), "blau").not_after);
  }

  SUBCASE("a cluster without an intermediate") {
    CHECK_THROWS_WITH_AS(pki::issue_server_certificate(out.path(), "rot", {host}),
                         doctest::Contains("cluster rot has no intermediate CA yet"), Error);
  }

  SUBCASE("host names a certificate cannot carry") {
    CHECK_THROWS_WITH_AS(pki::issue_server_certificate(out.path(), "blau", {}), doctest::Contains("at least one host"),
                         Error);
    CHECK_THROWS_WITH_AS(pki::issue_server_certificate(out.path(), "blau", {"a b.lab"}),
                         doctest::Contains("\"a b.lab\" is not a DNS name"), Error);
    CHECK_THROWS_WITH_AS(pki::issue_server_certificate(out.path(), "blau", {"x.lab,DNS:evil.lab"}),
                         doctest::Contains("is not a DNS name"), Error);
  }
}

#include "pki/verify.hpp"

#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

struct Issued {
  pki::KeyPtr key;
  pki::CertPtr cert;
  std::string pem;
};

Issued issue(pki::Profile profile, const std::string& cn, const Issued* issuer, int days = 30,
             std::vector<std::string> dns = {}) {
  Issued out;
  out.key = pki::generate_key({pki::KeyType::ecdsa, 256});
  const pki::CertificateSpec spec{.profile = profile, .subject = {cn, "Test", ""}, .days = days, .dns_names = dns};
  out.cert = pki::issue_certificate(spec, out.key.get(), issuer ? issuer->cert.get() : nullptr,
                                    issuer ? issuer->key.get() : out.key.get());
  out.pem = pki::certificate_pem(out.cert.get());
  return out;
}

} // namespace

TEST_CASE("pki::verify_chain") {
  const Issued root = issue(pki::Profile::root, "Root", nullptr);
  const Issued intermediate = issue(pki::Profile::intermediate, "Intermediate", &root);
  const Issued server = issue(pki::Profile::server, "app.lab", &intermediate, 30, {"app.lab"});

  SUBCASE("a complete chain verifies") {
    CHECK(pki::verify_chain(server.pem + intermediate.pem, root.pem, "app.lab").ok);
    CHECK(pki::verify_chain(intermediate.pem + root.pem, root.pem).ok);
  }
  SUBCASE("pathlen 0 forbids another CA below the intermediate") {
    const Issued sub = issue(pki::Profile::intermediate, "Sub", &intermediate);
    const Issued leaf = issue(pki::Profile::server, "leaf.lab", &sub, 30, {"leaf.lab"});
    const auto check = pki::verify_chain(leaf.pem + sub.pem + intermediate.pem, root.pem);
    CHECK(!check.ok);
    CHECK(check.reason.find("path length constraint exceeded") != std::string::npos);
  }
  SUBCASE("an expired certificate") {
    const Issued old = issue(pki::Profile::server, "old.lab", &intermediate, -1, {"old.lab"});
    const auto check = pki::verify_chain(old.pem + intermediate.pem, root.pem);
    CHECK(!check.ok);
    CHECK(check.reason.find("(depth 0: O=Test, CN=old.lab)") != std::string::npos);
  }
  SUBCASE("a server certificate is not a CA") {
    const Issued below = issue(pki::Profile::server, "below.lab", &server, 30, {"below.lab"});
    const auto check = pki::verify_chain(below.pem + server.pem + intermediate.pem, root.pem);
    CHECK(!check.ok);
    CHECK(check.reason.find("invalid CA certificate") != std::string::npos);
  }
  SUBCASE("input that is not PEM") {
    CHECK_THROWS_WITH_AS(pki::verify_chain("nope", root.pem), doctest::Contains("certificate chain"), Error);
    CHECK_THROWS_WITH_AS(pki::verify_chain(server.pem, ""), doctest::Contains("root certificate"), Error);
  }
}

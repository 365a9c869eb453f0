// Checking certificates the way their users will: a chain verified against a root with
// OpenSSL's X509_verify_cert, and a certificate's fields for structural checks (tests,
// golden comparisons, `meshlab verify`).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::pki {

// The outcome of verify_chain: ok, or why not.
struct ChainCheck {
  bool ok = false;
  std::string reason; // empty when ok: "certificate has expired (depth 0: CN=httpbin.demo.lab)"
  explicit operator bool() const { return ok; }
};

// Verifies the first certificate in `chain_pem`, using the others as untrusted
// intermediates, against the certificates in `root_pem` as trust anchors (as Istio treats
// root-cert.pem: a trusted certificate need not be self-signed). With `host`, the first
// certificate must also be a TLS server certificate for that name. Returns the outcome;
// throws meshlab::Error only when the PEM cannot be read.
ChainCheck verify_chain(std::string_view chain_pem, std::string_view root_pem, std::string_view host = {});

// What one certificate says, as plain values.
struct CertificateInfo {
  std::string subject; // "O=meshlab, CN=meshlab Root CA"
  std::string issuer;
  std::string serial_hex; // uppercase hex
  bool self_signed = false;
  bool is_ca = false; // basicConstraints CA:TRUE
  bool basic_constraints_critical = false;
  int path_length = -1;               // -1: no limit
  std::vector<std::string> key_usage; // as OpenSSL configs spell them: "digitalSignature", "keyCertSign", "cRLSign"
  bool key_usage_critical = false;
  std::vector<std::string> extended_key_usage; // short names: "serverAuth"
  std::vector<std::string> dns_names;          // subjectAltName DNS entries
  std::string subject_key_id;                  // hex, empty when absent
  std::string authority_key_id;                // hex, empty when absent
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  std::string key_type; // "RSA" or "EC"
  int key_bits = 0;
};

// Returns the fields of the first certificate in `pem`; throws meshlab::Error naming
// `source` when there is none.
CertificateInfo inspect_certificate(std::string_view pem, std::string_view source);

} // namespace meshlab::pki

// Building, signing, reading and comparing X.509 certificates: the three profiles the lab
// needs (root CA, per-cluster intermediate CA, TLS server) and the checks ensure_ca makes
// on material it finds on disk.
#pragma once

#include "pki/openssl.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::pki {

// Subject attributes; empty ones are left out.
struct DistinguishedName {
  std::string common_name;
  std::string organization;
  std::string locality;
};

enum class Profile {
  root,         // CA:TRUE; keyCertSign, cRLSign
  intermediate, // CA:TRUE, pathlen:0; keyCertSign, cRLSign, digitalSignature
  server,       // CA:FALSE; digitalSignature, keyEncipherment; serverAuth
};

struct CertificateSpec {
  Profile profile = Profile::root;
  DistinguishedName subject;
  int days = 365;                     // from now; never beyond the issuer's notAfter
  std::vector<std::string> dns_names; // subjectAltName DNS entries
};

// Returns a certificate for `subject_key`'s public key, signed by `issuer_key`: a random
// 128-bit serial, notBefore an hour ago (clock skew between host and nodes), SKI, AKI.
// `issuer` null means self-signed (then `issuer_key` must be `subject_key`).
// Throws meshlab::Error.
CertPtr issue_certificate(const CertificateSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key);

// Returns the first certificate in `pem`; throws meshlab::Error naming `source` when there is none.
CertPtr parse_certificate(std::string_view pem, std::string_view source);

// Returns every certificate in `pem`, in order; throws meshlab::Error naming `source`
// when there is none or one does not parse.
std::vector<CertPtr> parse_certificates(std::string_view pem, std::string_view source);

// Returns `cert` as PEM ("-----BEGIN CERTIFICATE-----").
std::string certificate_pem(X509* cert);

// True when both hold the same certificate (same DER encoding).
bool same_certificate(X509* a, X509* b);

// True when `cert` says it is a CA (basicConstraints CA:TRUE) that may sign certificates
// (keyUsage, if present, includes keyCertSign).
bool is_signing_ca(X509* cert);

// True when `cert` names `issuer` as its issuer and carries a valid signature by its key.
bool signed_by(X509* cert, X509* issuer);

// True when `cert`'s notAfter has passed.
bool expired(X509* cert);

// "O=meshlab, CN=meshlab Root CA" for messages.
std::string name_text(const X509_NAME* name);
std::string subject_text(X509* cert);

// notAfter as "2035-06-01 12:00:00 UTC" for messages.
std::string not_after_text(X509* cert);

} // namespace meshlab::pki

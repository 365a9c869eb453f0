#include "pki/certificate.hpp"

#include "pki/key.hpp"
#include "util/error.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include <ctime>

namespace meshlab::pki {

namespace {

void add_name_entry(X509_NAME* name, int nid, const char* field, const std::string& value) {
  if (value.empty()) return;
  const auto* bytes = reinterpret_cast<const unsigned char*>(value.data());
  if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, bytes, static_cast<int>(value.size()), -1, 0) != 1)
    throw_openssl_error(fmt::format("cannot use \"{}\" as the certificate's {}", value, field));
}

void set_subject(X509* cert, const DistinguishedName& dn) {
  const NamePtr name{X509_NAME_new()};
  if (!name) throw_openssl_error("cannot allocate a certificate subject");
  // Istio's tools/certs put O first, then CN, then L (the cluster).
  add_name_entry(name.get(), NID_organizationName, "organization", dn.organization);
  add_name_entry(name.get(), NID_commonName, "common name", dn.common_name);
  add_name_entry(name.get(), NID_localityName, "locality", dn.locality);
  if (X509_set_subject_name(cert, name.get()) != 1) throw_openssl_error("cannot set the certificate subject");
}

void set_random_serial(X509* cert) {
  const BignumPtr serial{BN_new()};
  if (!serial) throw_openssl_error("cannot allocate a serial number");
  do {
    if (BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
      throw_openssl_error("cannot draw a random serial number");
  } while (BN_is_zero(serial.get()));
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr)
    throw_openssl_error("cannot set the serial number");
}

void set_validity(X509* cert, int days, X509* issuer) {
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, nullptr) == nullptr)
    throw_openssl_error("cannot set the validity period");
  // A certificate must not outlive the one that vouches for it.
  if (issuer != nullptr && ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(issuer)) > 0 &&
      X509_set1_notAfter(cert, X509_get0_notAfter(issuer)) != 1)
    throw_openssl_error("cannot set the validity period");
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  const ExtensionPtr extension{X509V3_EXT_nconf_nid(nullptr, ctx, nid, value)};
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1)
    throw_openssl_error(fmt::format("cannot add the extension {} = {}", OBJ_nid2sn(nid), value));
}

void add_dns_names(X509* cert, const std::vector<std::string>& dns_names) {
  if (dns_names.empty()) return;
  // Built field by field, not through a config string, so no name can inject other entries.
  const GeneralNamesPtr names{GENERAL_NAMES_new()};
  if (!names) throw_openssl_error("cannot allocate subjectAltName");
  for (const auto& dns : dns_names) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (name == nullptr || text == nullptr || ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      GENERAL_NAME_free(name);
      ASN1_IA5STRING_free(text);
      throw_openssl_error(fmt::format("cannot add DNS name \"{}\"", dns));
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, text);
    if (sk_GENERAL_NAME_push(names.get(), name) == 0) {
      GENERAL_NAME_free(name);
      throw_openssl_error("cannot allocate subjectAltName");
    }
  }
  // RFC 5280 4.2.1.6: with an empty subject the names are the identity, so the extension is critical.
  const int critical = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0 ? 1 : 0;
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical, X509V3_ADD_DEFAULT) != 1)
    throw_openssl_error("cannot add subjectAltName");
}

void add_extensions(X509* cert, const CertificateSpec& spec, X509* issuer) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  switch (spec.profile) {
  case Profile::root:
    add_extension(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    break;
  case Profile::intermediate:
    // pathlen:0: the intermediate signs workload certificates only, never another CA.
    add_extension(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    break;
  case Profile::server:
    add_extension(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_extension(cert, &ctx, NID_ext_key_usage, "serverAuth");
    break;
  }
  add_dns_names(cert, spec.dns_names);
  // SKI first: for a self-signed certificate the AKI is taken from the certificate's own SKI.
  add_extension(cert, &ctx, NID_subject_key_identifier, "hash");
  add_extension(cert, &ctx, NID_authority_key_identifier, "keyid:always");
}

} // namespace

CertPtr issue_certificate(const CertificateSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key) {
  CertPtr cert{X509_new()};
  if (!cert) throw_openssl_error("cannot allocate a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) throw_openssl_error("cannot set the certificate version");
  set_random_serial(cert.get());
  set_subject(cert.get(), spec.subject);
  X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get());
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1) throw_openssl_error("cannot set the certificate issuer");
  set_validity(cert.get(), spec.days, issuer);
  if (X509_set_pubkey(cert.get(), subject_key) != 1) throw_openssl_error("cannot set the certificate's public key");
  add_extensions(cert.get(), spec, issuer);
  if (X509_sign(cert.get(), issuer_key, signature_digest(issuer_key)) <= 0)
    throw_openssl_error("cannot sign the certificate");
  return cert;
}

CertPtr parse_certificate(std::string_view pem, std::string_view source) {
  auto certs = parse_certificates(pem, source);
  return std::move(certs.front());
}

std::vector<CertPtr> parse_certificates(std::string_view pem, std::string_view source) {
  const BioPtr bio = memory_bio(pem);
  std::vector<CertPtr> certs;
  while (CertPtr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) certs.push_back(std::move(cert));
  // Running out of PEM blocks ends the loop with "no start line"; anything else is damage.
  const unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) ERR_clear_error();
  if (ERR_peek_error() != 0) throw_openssl_error(fmt::format("{}: cannot read the certificate", source));
  if (certs.empty()) throw Error(fmt::format("{}: no certificate in PEM format found", source));
  return certs;
}

std::string certificate_pem(X509* cert) {
  const BioPtr bio = memory_bio();
  if (PEM_write_bio_X509(bio.get(), cert) != 1) throw_openssl_error("cannot encode a certificate as PEM");
  return bio_contents(bio.get());
}

bool same_certificate(X509* a, X509* b) { return X509_cmp(a, b) == 0; }

bool is_signing_ca(X509* cert) {
  const uint32_t flags = X509_get_extension_flags(cert);
  const bool ca = (flags & EXFLAG_CA) != 0 && (flags & EXFLAG_INVALID) == 0;
  return ca && (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) != 0;
}

bool signed_by(X509* cert, X509* issuer) {
  const bool ok = X509_check_issued(issuer, cert) == X509_V_OK && X509_verify(cert, X509_get0_pubkey(issuer)) == 1;
  ERR_clear_error();
  return ok;
}

bool expired(X509* cert) { return X509_cmp_current_time(X509_get0_notAfter(cert)) < 0; }

std::string name_text(const X509_NAME* name) {
  const BioPtr bio = memory_bio();
  const unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_ESC_CTRL;
  X509_NAME_print_ex(bio.get(), name, 0, flags);
  return bio_contents(bio.get());
}

std::string subject_text(X509* cert) { return name_text(X509_get_subject_name(cert)); }

std::string not_after_text(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return "an unreadable date";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

} // namespace meshlab::pki

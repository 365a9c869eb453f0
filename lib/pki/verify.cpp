#include "pki/verify.hpp"

#include "pki/certificate.hpp"
#include "util/error.hpp"

#include <openssl/err.h>

#include <fmt/format.h>

#include <ctime>

namespace meshlab::pki {

namespace {

// Owns the stack, not the certificates on it (they stay owned by their CertPtr).
struct FreeStack {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), FreeStack>;

std::string hex(const ASN1_STRING* bytes) {
  if (bytes == nullptr) return {};
  const unsigned char* data = ASN1_STRING_get0_data(bytes);
  std::string text;
  for (int i = 0; i < ASN1_STRING_length(bytes); ++i) text += fmt::format("{:02X}", data[i]);
  return text;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

bool critical(X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

std::vector<std::string> key_usage_names(X509* cert) {
  const uint32_t usage = X509_get_key_usage(cert);
  if (usage == UINT32_MAX) return {}; // no keyUsage extension
  static constexpr std::pair<uint32_t, const char*> k_names[] = {{KU_DIGITAL_SIGNATURE, "digitalSignature"},
                                                                 {KU_NON_REPUDIATION, "nonRepudiation"},
                                                                 {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
                                                                 {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
                                                                 {KU_KEY_AGREEMENT, "keyAgreement"},
                                                                 {KU_KEY_CERT_SIGN, "keyCertSign"},
                                                                 {KU_CRL_SIGN, "cRLSign"},
                                                                 {KU_ENCIPHER_ONLY, "encipherOnly"},
                                                                 {KU_DECIPHER_ONLY, "decipherOnly"}};
  std::vector<std::string> names;
  for (const auto& [bit, name] : k_names)
    if ((usage & bit) != 0) names.emplace_back(name);
  return names;
}

std::vector<std::string> extended_key_usage_names(X509* cert) {
  const ExtendedKeyUsagePtr usage{
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr))};
  std::vector<std::string> names;
  if (!usage) return names;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usage.get()); ++i)
    names.emplace_back(OBJ_nid2sn(OBJ_obj2nid(sk_ASN1_OBJECT_value(usage.get(), i))));
  return names;
}

std::vector<std::string> dns_names(X509* cert) {
  const GeneralNamesPtr names{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  std::vector<std::string> result;
  if (!names) return result;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    result.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                        static_cast<std::size_t>(ASN1_STRING_length(dns)));
  }
  return result;
}

std::string serial_hex(X509* cert) {
  const BignumPtr serial{ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)};
  if (!serial) return {};
  char* text = BN_bn2hex(serial.get());
  if (text == nullptr) return {};
  std::string result = text;
  OPENSSL_free(text);
  return result;
}

} // namespace

ChainCheck verify_chain(std::string_view chain_pem, std::string_view root_pem, std::string_view host) {
  const auto chain = parse_certificates(chain_pem, "certificate chain");
  const auto roots = parse_certificates(root_pem, "root certificate");
  const StorePtr store{X509_STORE_new()};
  const CertStackPtr untrusted{sk_X509_new_null()};
  const StoreCtxPtr ctx{X509_STORE_CTX_new()};
  if (!store || !untrusted || !ctx) throw_openssl_error("cannot allocate a certificate store");
  for (const auto& root : roots)
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) throw_openssl_error("cannot add a root certificate");
  // Every certificate the user trusts is an anchor, as for Istio's root-cert.pem.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  for (std::size_t i = 1; i < chain.size(); ++i)
    if (sk_X509_push(untrusted.get(), chain[i].get()) == 0) throw_openssl_error("cannot build the chain");
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1)
    throw_openssl_error("cannot set up certificate verification");
  if (!host.empty()) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (X509_VERIFY_PARAM_set1_host(param, host.data(), host.size()) != 1 ||
        X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) != 1)
      throw_openssl_error(fmt::format("cannot check for host \"{}\"", host));
  }
  const int rc = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (rc == 1) return {true, ""};
  const int error = X509_STORE_CTX_get_error(ctx.get());
  X509* failing = X509_STORE_CTX_get_current_cert(ctx.get());
  std::string reason = X509_verify_cert_error_string(error);
  if (error == X509_V_ERR_HOSTNAME_MISMATCH) reason += fmt::format(" (wanted \"{}\")", host);
  if (failing != nullptr)
    reason += fmt::format(" (depth {}: {})", X509_STORE_CTX_get_error_depth(ctx.get()), subject_text(failing));
  return {false, reason};
}

CertificateInfo inspect_certificate(std::string_view pem, std::string_view source) {
  const CertPtr cert = parse_certificate(pem, source);
  X509* x = cert.get();
  CertificateInfo info;
  info.subject = subject_text(x);
  info.issuer = name_text(X509_get_issuer_name(x));
  info.serial_hex = serial_hex(x);
  info.self_signed = X509_self_signed(x, 1) == 1;
  info.is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
  info.basic_constraints_critical = critical(x, NID_basic_constraints);
  info.path_length = static_cast<int>(X509_get_pathlen(x));
  info.key_usage = key_usage_names(x);
  info.key_usage_critical = critical(x, NID_key_usage);
  info.extended_key_usage = extended_key_usage_names(x);
  info.dns_names = dns_names(x);
  info.subject_key_id = hex(X509_get0_subject_key_id(x));
  info.authority_key_id = hex(X509_get0_authority_key_id(x));
  info.not_before = to_time_point(X509_get0_notBefore(x));
  info.not_after = to_time_point(X509_get0_notAfter(x));
  const EVP_PKEY* key = X509_get0_pubkey(x);
  info.key_type = key != nullptr ? EVP_PKEY_get0_type_name(key) : "";
  info.key_bits = key != nullptr ? EVP_PKEY_get_bits(key) : 0;
  ERR_clear_error();
  return info;
}

} // namespace meshlab::pki

#include "pki/key.hpp"

#include "util/error.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <fmt/format.h>

namespace meshlab::pki {

KeySpec key_spec(std::string_view key_type, int key_size) {
  if (key_type == "rsa") {
    if (key_size < 2048 || key_size > 8192)
      throw Error(fmt::format("ca.keySize: {} is not a valid RSA key size; valid: 2048..8192", key_size));
    return {KeyType::rsa, key_size};
  }
  if (key_type == "ecdsa") {
    if (key_size != 256 && key_size != 384)
      throw Error(
          fmt::format("ca.keySize: {} is not a valid ECDSA key size; valid: 256 (P-256), 384 (P-384)", key_size));
    return {KeyType::ecdsa, key_size};
  }
  throw Error(fmt::format("ca.keyType: unknown key type \"{}\"; valid: rsa, ecdsa", key_type));
}

KeyPtr generate_key(const KeySpec& spec) {
  KeyPtr key;
  if (spec.type == KeyType::rsa) {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.bits)));
  } else {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", spec.bits == 384 ? "P-384" : "P-256"));
  }
  if (!key)
    throw_openssl_error(
        fmt::format("cannot generate a {} {} key", spec.type == KeyType::rsa ? "RSA" : "ECDSA", spec.bits));
  return key;
}

KeyPtr parse_private_key(std::string_view pem, std::string_view source) {
  const BioPtr bio = memory_bio(pem);
  // An empty passphrase makes an encrypted key fail instead of prompting on the terminal.
  char empty[] = "";
  KeyPtr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, empty)};
  if (!key)
    throw_openssl_error(fmt::format("{}: no unencrypted private key in PEM format (RSA or ECDSA) found", source));
  return key;
}

std::string private_key_pem(EVP_PKEY* key) {
  const BioPtr bio = memory_bio();
  // PEM_write_bio_PrivateKey writes PKCS#8; no cipher means unencrypted.
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw_openssl_error("cannot encode a private key as PEM");
  return bio_contents(bio.get());
}

const EVP_MD* signature_digest(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256) return EVP_sha384();
  return EVP_sha256();
}

bool key_matches(EVP_PKEY* key, X509* cert) {
  const EVP_PKEY* public_key = X509_get0_pubkey(cert);
  const bool match = public_key != nullptr && EVP_PKEY_eq(public_key, key) == 1;
  ERR_clear_error(); // a mismatch of key types leaves a reason we do not report
  return match;
}

} // namespace meshlab::pki

// Private keys of the lab's CA: generated (RSA or ECDSA), read from PEM and written as
// unencrypted PKCS#8 PEM, the form istiod and `openssl` both read.
#pragma once

#include "pki/openssl.hpp"

#include <string>
#include <string_view>

namespace meshlab::pki {

enum class KeyType { rsa, ecdsa };

// What kind of key to generate: RSA with `bits` 2048..8192, or ECDSA on P-256/P-384 (`bits` 256/384).
struct KeySpec {
  KeyType type = KeyType::ecdsa;
  int bits = 256;
};

// Returns the spec for the lab's `ca.keyType`/`ca.keySize`; throws meshlab::Error naming the
// field and the valid values when they do not describe a key meshlab can make.
KeySpec key_spec(std::string_view key_type, int key_size);

// Returns a new key. RSA generation is slow (4096 bits: about a second, 8192: much longer),
// which is one more reason an existing CA is reused. Throws meshlab::Error.
KeyPtr generate_key(const KeySpec& spec);

// Returns the private key in `pem` (PKCS#8, or the traditional RSA/EC forms); throws
// meshlab::Error naming `source` (a file name for people) when there is none or it is encrypted.
KeyPtr parse_private_key(std::string_view pem, std::string_view source);

// Returns `key` as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
std::string private_key_pem(EVP_PKEY* key);

// The digest a signature by `key` uses: SHA-384 for P-384 keys, SHA-256 otherwise.
const EVP_MD* signature_digest(EVP_PKEY* key);

// True when `key` is the private half of `cert`'s public key.
bool key_matches(EVP_PKEY* key, X509* cert);

} // namespace meshlab::pki

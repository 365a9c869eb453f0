#include "pki/key.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

TEST_CASE("pki::key_spec") {
  SUBCASE("accepts what the lab file allows") {
    CHECK(pki::key_spec("rsa", 2048).type == pki::KeyType::rsa);
    CHECK(pki::key_spec("rsa", 8192).bits == 8192);
    CHECK(pki::key_spec("ecdsa", 256).type == pki::KeyType::ecdsa);
    CHECK(pki::key_spec("ecdsa", 384).bits == 384);
  }
  SUBCASE("rejects the rest, saying what is valid") {
    CHECK_THROWS_WITH_AS(pki::key_spec("rsa", 8193), "ca.keySize: 8193 is not a valid RSA key size; valid: 2048..8192",
                         Error);
    CHECK_THROWS_WITH_AS(pki::key_spec("ecdsa", 521),
                         "ca.keySize: 521 is not a valid ECDSA key size; valid: 256 (P-256), 384 (P-384)", Error);
    CHECK_THROWS_WITH_AS(pki::key_spec("RSA", 2048), "ca.keyType: unknown key type \"RSA\"; valid: rsa, ecdsa", Error);
  }
}

TEST_CASE("pki::generate_key") {
  SUBCASE("ECDSA keys round-trip through PKCS#8 PEM") {
    const auto key = pki::generate_key({pki::KeyType::ecdsa, 384});
    CHECK(EVP_PKEY_is_a(key.get(), "EC"));
    CHECK(EVP_PKEY_get_bits(key.get()) == 384);
    CHECK(pki::signature_digest(key.get()) == EVP_sha384());
    const std::string pem = pki::private_key_pem(key.get());
    CHECK(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    const auto again = pki::parse_private_key(pem, "key.pem");
    CHECK(EVP_PKEY_eq(key.get(), again.get()) == 1);
    CHECK(pki::private_key_pem(again.get()) == pem); // re-encoding is stable
  }
  SUBCASE("RSA keys") {
    const auto key = pki::generate_key({pki::KeyType::rsa, 2048});
    CHECK(EVP_PKEY_is_a(key.get(), "RSA"));
    CHECK(EVP_PKEY_get_bits(key.get()) == 2048);
    CHECK(pki::signature_digest(key.get()) == EVP_sha256());
  }
  SUBCASE("a file without a key is an error naming it") {
    CHECK_THROWS_WITH_AS(pki::parse_private_key("not a key", "ca/root-key.pem"),
                         doctest::Contains("ca/root-key.pem: no unencrypted private key"), Error);
  }
}

// OpenSSL objects owned by std::unique_ptr, and OpenSSL's error queue turned into
// meshlab::Error. Internal to lib/pki: nothing outside pki sees an OpenSSL type.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace meshlab::pki {

// A deleter that calls OpenSSL's free function `F`.
template <auto F> struct Free {
  template <typename T> void operator()(T* p) const { F(p); }
};

using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Free<BN_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Free<X509_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Free<X509_NAME_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Free<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free<X509_STORE_CTX_free>>;
using AsnTimePtr = std::unique_ptr<ASN1_TIME, Free<ASN1_TIME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Free<GENERAL_NAMES_free>>;
using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, Free<EXTENDED_KEY_USAGE_free>>;

// Returns OpenSSL's queued error reasons joined by "; " (empty when none) and clears the queue.
std::string openssl_errors();

// Throws meshlab::Error "`what`: <OpenSSL's reasons>"; clears the error queue.
[[noreturn]] void throw_openssl_error(std::string_view what);

// A read-only memory BIO over `data` (which must outlive it).
BioPtr memory_bio(std::string_view data);

// A fresh, empty, writable memory BIO.
BioPtr memory_bio();

// Everything written to a memory BIO so far.
std::string bio_contents(BIO* bio);

} // namespace meshlab::pki

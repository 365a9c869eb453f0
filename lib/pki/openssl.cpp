#include "pki/openssl.hpp"

#include "util/error.hpp"

#include <openssl/err.h>

#include <fmt/format.h>

#include <climits>

namespace meshlab::pki {

std::string openssl_errors() {
  std::string reasons;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    // "error:1E08010C:DECODER routines::unsupported" reads better as its last part.
    std::string_view text = buffer;
    if (const auto colons = text.rfind("::"); colons != std::string_view::npos) text.remove_prefix(colons + 2);
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  return reasons;
}

void throw_openssl_error(std::string_view what) {
  const std::string reasons = openssl_errors();
  if (reasons.empty()) throw Error(std::string(what));
  throw Error(fmt::format("{}: {}", what, reasons));
}

BioPtr memory_bio(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) throw Error("input too large for OpenSSL");
  BioPtr bio{BIO_new_mem_buf(data.data(), static_cast<int>(data.size()))};
  if (!bio) throw_openssl_error("cannot allocate an OpenSSL buffer");
  return bio;
}

BioPtr memory_bio() {
  BioPtr bio{BIO_new(BIO_s_mem())};
  if (!bio) throw_openssl_error("cannot allocate an OpenSSL buffer");
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(size));
}

} // namespace meshlab::pki

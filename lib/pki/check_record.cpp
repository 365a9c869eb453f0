#include "pki/check_record.hpp"

#include "util/files.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <sstream>
#include <system_error>

namespace meshlab::pki {

namespace fs = std::filesystem;

std::string fingerprint_of(const std::vector<NamedContent>& parts) {
  const std::unique_ptr<EVP_MD_CTX, Free<EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw_openssl_error("cannot start SHA-256");
  for (const auto& [name, content] : parts) {
    // Name and size first, so moving bytes from one part to the next changes the digest.
    const std::string header = fmt::format("{}\n{}\n", name, content.size());
    if (EVP_DigestUpdate(ctx.get(), header.data(), header.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), content.data(), content.size()) != 1)
      throw_openssl_error("cannot compute SHA-256");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) throw_openssl_error("cannot compute SHA-256");
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex += k_hex[digest[i] >> 4];
    hex += k_hex[digest[i] & 0xf];
  }
  return hex;
}

std::string fingerprint(const std::vector<fs::path>& files) {
  std::vector<std::string> names, contents;
  for (const auto& file : files) {
    names.push_back(file.filename().string());
    contents.push_back(util::read_file(file));
  }
  std::vector<NamedContent> parts;
  for (std::size_t i = 0; i < files.size(); ++i) parts.push_back({names[i], contents[i]});
  return fingerprint_of(parts);
}

bool is_recorded(const fs::path& record, const std::string& fingerprint) {
  std::error_code ec;
  if (!fs::is_regular_file(record, ec)) return false;
  std::istringstream in(util::read_file(record));
  std::string recorded;
  long long not_after = 0;
  if (!(in >> recorded >> not_after) || recorded != fingerprint) return false;
  return std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) < not_after;
}

void write_record(const fs::path& record, const std::string& fingerprint, X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return; // no record: checked again next time
  util::write_file_atomic(record, fmt::format("{} {}\n", fingerprint, static_cast<long long>(::timegm(&tm))));
}

} // namespace meshlab::pki

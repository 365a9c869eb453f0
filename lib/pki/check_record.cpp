#include "pki/check_record.hpp"

#include "util/error.hpp"
#include "util/file_identity.hpp"
#include "util/files.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
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

namespace {

constexpr std::string_view k_no_identity = "-";

// One line: "<fingerprint> <notAfter, seconds since the epoch> [<identity>...]".
struct Record {
  std::string fingerprint;
  long long not_after = 0;
  std::vector<std::string> identities;
};

std::optional<Record> read_record(const fs::path& path) {
  std::string text;
  try {
    text = util::read_file(path);
  } catch (const Error&) {
    return std::nullopt; // no record (yet): checked the slow way
  }
  std::istringstream in(text);
  Record record;
  if (!(in >> record.fingerprint >> record.not_after)) return std::nullopt;
  for (std::string identity; in >> identity;) record.identities.push_back(identity);
  return record;
}

bool still_ahead(const Record& record) {
  return std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) < record.not_after;
}

// Identities only count all together (is_recorded_unchanged): with one missing, none is kept.
bool complete(const std::vector<std::string>& identities) {
  return std::find(identities.begin(), identities.end(), k_no_identity) == identities.end();
}

void write_line(const fs::path& path, Record record) {
  if (!complete(record.identities)) record.identities.clear();
  util::write_file_atomic(path, fmt::format("{} {}{}{}\n", record.fingerprint, record.not_after,
                                            record.identities.empty() ? "" : " ",
                                            fmt::join(record.identities, " ")));
}

} // namespace

bool is_recorded(const fs::path& record, const std::string& fingerprint) {
  const auto read = read_record(record);
  return read && read->fingerprint == fingerprint && still_ahead(*read);
}

std::vector<std::string> identities_of(const std::vector<fs::path>& files) {
  std::vector<std::string> out;
  for (const auto& file : files) {
    const auto identity = util::stable_file_identity(file);
    out.push_back(identity ? *identity : std::string(k_no_identity));
  }
  return out;
}

bool is_recorded_unchanged(const fs::path& record, const std::vector<fs::path>& files) {
  const auto read = read_record(record);
  if (!read || !still_ahead(*read) || read->identities.size() != files.size()) return false;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto identity = util::stable_file_identity(files[i]);
    if (!identity || *identity != read->identities[i]) return false;
  }
  return true;
}

void write_record(const fs::path& record, const std::string& fingerprint, X509* cert,
                  const std::vector<std::string>& identities) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return; // no record: checked again next time
  write_line(record, {fingerprint, static_cast<long long>(::timegm(&tm)), identities});
}

void refresh_identities(const fs::path& record, const std::string& fingerprint,
                        const std::vector<std::string>& identities) {
  auto read = read_record(record);
  if (!read || read->fingerprint != fingerprint || read->identities == identities || !complete(identities)) return;
  read->identities = identities;
  write_line(record, *read);
}

} // namespace meshlab::pki

// Notes that a part of the CA tree was checked in exactly its current state, so a
// re-render does not re-parse every key and certificate: with OpenSSL 3.0's decoders that
// costs about 1.5 ms per cluster, too much for a 100-cluster lab rendered in under 100 ms.
#pragma once

#include "pki/openssl.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::pki {

// A SHA-256 over the names and contents of `files`, in order (hex). Throws meshlab::Error
// when one cannot be read.
std::string fingerprint(const std::vector<std::filesystem::path>& files);

// A named piece of content already in memory, for fingerprint_of.
struct NamedContent {
  std::string_view name;
  std::string_view content;
};

// The same digest as fingerprint() over files of these names and contents, for callers that
// read a file once and check it many times (an intermediate signs every host of its cluster).
std::string fingerprint_of(const std::vector<NamedContent>& parts);

// True when `record` holds `fingerprint` and the notAfter stored with it is still ahead.
bool is_recorded(const std::filesystem::path& record, const std::string& fingerprint);

// The identities (util::stable_file_identity) of `files`, "-" for each that has none yet,
// taken before the files are read, for write_record.
std::vector<std::string> identities_of(const std::vector<std::filesystem::path>& files);

// True when `record`'s notAfter is still ahead and it holds identities of exactly these
// files as they are now: nothing changed since the fingerprint was taken, so the files need
// not even be read. False whenever a file has no identity yet (changed just now).
bool is_recorded_unchanged(const std::filesystem::path& record, const std::vector<std::filesystem::path>& files);

// Writes `record`: `fingerprint`, `cert`'s notAfter and the files' `identities`
// (atomically; it is only a cache, so it is not listed as a CA file).
void write_record(const std::filesystem::path& record, const std::string& fingerprint, X509* cert,
                  const std::vector<std::string>& identities = {});

// `record` again with these identities, when it still vouches for `fingerprint` and held
// others: the next check then stats the files instead of reading them.
void refresh_identities(const std::filesystem::path& record, const std::string& fingerprint,
                        const std::vector<std::string>& identities);

} // namespace meshlab::pki

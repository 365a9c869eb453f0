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

// Writes `record`: `fingerprint` and `cert`'s notAfter (atomically; it is only a cache,
// so it is not listed as a CA file).
void write_record(const std::filesystem::path& record, const std::string& fingerprint, X509* cert);

} // namespace meshlab::pki

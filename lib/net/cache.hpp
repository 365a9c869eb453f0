// Files downloaded once into the lab's cache directory (the Argo CD install manifest, the
// istio-sidecar package, MetalLB's manifest): each with a record of its SHA-256 and URL
// beside it, so a later launch reuses a copy only while it is intact and from the same URL.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

namespace meshlab::net {

struct CachedFile {
  std::filesystem::path file;
  std::string sha256;      // hex; also in file + ".sha256" as "<sha256>  <url>\n"
  bool downloaded = false; // false: the cached copy was used
};

// `url` as `file`: the cached copy when `file`.sha256 names the same URL and the content
// still has the SHA-256 recorded there, else downloaded with libcurl (the file written
// atomically, then its record), saying in `log` what it did and why it downloaded again.
// Calls for the same `file` are serialised within the process, so steps running in parallel
// download it once. Throws meshlab::Error when the download fails; the cache then keeps
// what it had.
CachedFile cached_download(const std::string& url, const std::filesystem::path& file, std::ostream& log);

// `text` (a version) made safe as part of a cache file name: '/', '\' and NUL become '_',
// and "", "." or ".." becomes "unversioned".
std::string cache_name_part(std::string_view text);

} // namespace meshlab::net

#include "net/cache.hpp"

#include "net/http.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace meshlab::net {

namespace {

namespace fs = std::filesystem;

// One mutex per cache file: two VMs of one architecture must not fetch the same 30 MB
// twice, nor write the same file at once, while different files download in parallel.
std::mutex& mutex_for(const fs::path& file) {
  static std::mutex guard;
  static std::map<std::string, std::unique_ptr<std::mutex>> mutexes;
  const std::lock_guard lock(guard);
  auto& mutex = mutexes[file.lexically_normal().string()];
  if (!mutex) mutex = std::make_unique<std::mutex>();
  return *mutex;
}

// The "<sha256>  <url>" record beside a cached file; empties when there is none.
std::pair<std::string, std::string> read_record(const fs::path& record) {
  std::error_code ec;
  if (!fs::is_regular_file(record, ec)) return {};
  const auto text = util::read_file(record);
  const auto space = text.find("  ");
  if (space == std::string::npos) return {};
  return {text.substr(0, space), util::trim_end(text.substr(space + 2), "\r\n")};
}

} // namespace

CachedFile cached_download(const std::string& url, const fs::path& file, std::ostream& log) {
  const std::lock_guard lock(mutex_for(file));
  CachedFile cached{file, "", false};
  const auto record = fs::path(file.string() + ".sha256");
  const auto [sha, recorded_url] = read_record(record);
  std::error_code ec;
  if (!sha.empty() && fs::is_regular_file(file, ec)) {
    const auto actual = sha256_hex(util::read_file(file));
    if (recorded_url != url) {
      log << fmt::format("cached {} came from {}; downloading {}\n", file.string(), recorded_url, url);
    } else if (actual != sha) {
      log << fmt::format("cached {} has SHA-256 {}, not the {} recorded when it was downloaded; downloading again\n",
                         file.string(), actual, sha);
    } else {
      log << fmt::format("using cached {} (SHA-256 {})\n", file.string(), sha);
      cached.sha256 = sha;
      return cached;
    }
  }
  log << fmt::format("downloading {} into {}\n", url, file.string());
  cached.sha256 = download(url, file);
  cached.downloaded = true;
  util::write_file_atomic(record, fmt::format("{}  {}\n", cached.sha256, url));
  log << fmt::format("SHA-256 {}\n", cached.sha256);
  return cached;
}

std::string cache_name_part(std::string_view text) {
  std::string safe;
  for (const char c : text) safe += (c == '/' || c == '\\' || c == '\0') ? '_' : c;
  if (safe.empty() || safe == "." || safe == "..") safe = "unversioned";
  return safe;
}

} // namespace meshlab::net

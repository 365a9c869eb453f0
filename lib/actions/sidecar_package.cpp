#include "actions/sidecar_package.hpp"

#include "net/http.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <mutex>

namespace meshlab::actions {

namespace {

namespace fs = std::filesystem;

// One download at a time in the whole process: two VMs of one architecture must not fetch
// the same 30 MB twice, nor write the same cache file at once.
std::mutex g_cache_mutex;

// The "<sha256>  <url>" record beside a cached file; empties when there is none.
std::pair<std::string, std::string> read_record(const fs::path& record) {
  std::error_code ec;
  if (!fs::is_regular_file(record, ec)) return {};
  const auto text = util::read_file(record);
  const auto space = text.find("  ");
  if (space == std::string::npos) return {};
  auto url = text.substr(space + 2);
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  return {text.substr(0, space), url};
}

std::string file_name(const std::string& version, const std::string& arch) {
  std::string safe;
  for (const char c : version) safe += (c == '/' || c == '\\' || c == '\0') ? '_' : c;
  if (safe.empty() || safe == "." || safe == "..") safe = "unversioned";
  return fmt::format("istio-sidecar-{}-{}.deb", safe, arch);
}

} // namespace

bool sidecar_arch_supported(std::string_view arch) { return arch == "amd64" || arch == "arm64"; }

std::string sidecar_package_url(const std::string& version, const std::string& arch) {
  if (!sidecar_arch_supported(arch))
    throw Error(fmt::format("Istio publishes no istio-sidecar package for architecture \"{}\"; it does for amd64 "
                            "and arm64",
                            arch));
  const char* env = std::getenv("MESHLAB_ISTIO_DEB_URL_BASE");
  std::string base = env != nullptr && *env != '\0' ? std::string(env) : std::string(k_istio_deb_url_base);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return fmt::format("{}/{}/deb/{}", base, version, arch == "amd64" ? "istio-sidecar.deb" : "istio-sidecar-arm64.deb");
}

CachedPackage cache_sidecar_package(const std::string& version, const std::string& arch, const fs::path& state_dir,
                                    std::ostream& log) {
  const auto url = sidecar_package_url(version, arch);
  const std::lock_guard lock(g_cache_mutex);
  CachedPackage cached{state_dir / "cache" / file_name(version, arch), "", false};
  const auto record = fs::path(cached.file.string() + ".sha256");
  const auto [sha, recorded_url] = read_record(record);
  std::error_code ec;
  if (!sha.empty() && fs::is_regular_file(cached.file, ec)) {
    const auto actual = net::sha256_hex(util::read_file(cached.file));
    if (recorded_url != url) {
      log << fmt::format("cached {} came from {}; downloading {}\n", cached.file.string(), recorded_url, url);
    } else if (actual != sha) {
      log << fmt::format("cached {} has SHA-256 {}, not the {} recorded when it was downloaded; downloading again\n",
                         cached.file.string(), actual, sha);
    } else {
      log << fmt::format("using cached {} (SHA-256 {})\n", cached.file.string(), sha);
      cached.sha256 = sha;
      return cached;
    }
  }
  log << fmt::format("downloading {} into {}\n", url, cached.file.string());
  cached.sha256 = net::download(url, cached.file);
  cached.downloaded = true;
  util::write_file_atomic(record, fmt::format("{}  {}\n", cached.sha256, url));
  log << fmt::format("SHA-256 {}\n", cached.sha256);
  return cached;
}

} // namespace meshlab::actions

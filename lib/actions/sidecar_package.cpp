#include "actions/sidecar_package.hpp"

#include "net/cache.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace meshlab::actions {

namespace {

namespace fs = std::filesystem;

std::string file_name(const std::string& version, const std::string& arch) {
  return fmt::format("istio-sidecar-{}-{}.deb", net::cache_name_part(version), arch);
}

} // namespace

bool sidecar_arch_supported(std::string_view arch) { return arch == "amd64" || arch == "arm64"; }

std::string sidecar_package_url(const std::string& version, const std::string& arch) {
  if (!sidecar_arch_supported(arch))
    throw Error(fmt::format("Istio publishes no istio-sidecar package for architecture \"{}\"; it does for amd64 "
                            "and arm64",
                            arch));
  const char* env = std::getenv("MESHLAB_ISTIO_DEB_URL_BASE");
  const auto base =
      util::trim_end(env != nullptr && *env != '\0' ? std::string(env) : std::string(k_istio_deb_url_base), "/");
  return fmt::format("{}/{}/deb/{}", base, version, arch == "amd64" ? "istio-sidecar.deb" : "istio-sidecar-arm64.deb");
}

net::CachedFile cache_sidecar_package(const std::string& version, const std::string& arch, const fs::path& state_dir,
                                      std::ostream& log) {
  return net::cached_download(sidecar_package_url(version, arch), state_dir / "cache" / file_name(version, arch), log);
}

} // namespace meshlab::actions

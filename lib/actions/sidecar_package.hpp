// The istio-sidecar Debian package a VM installs to join the mesh: where it comes from and
// its copy in the lab's cache (downloaded once with libcurl, its SHA-256 recorded beside it).
#pragma once

#include "net/cache.hpp"

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

namespace meshlab::actions {

// Istio's release bucket; $MESHLAB_ISTIO_DEB_URL_BASE replaces it (tests, offline mirrors).
inline constexpr std::string_view k_istio_deb_url_base = "https://storage.googleapis.com/istio-release/releases";

// The architectures Istio publishes the package for, as `dpkg --print-architecture` names them.
bool sidecar_arch_supported(std::string_view arch);

// <base>/<version>/deb/istio-sidecar.deb (amd64) or istio-sidecar-arm64.deb, base from
// $MESHLAB_ISTIO_DEB_URL_BASE when set and not empty. Throws meshlab::Error for an
// architecture Istio does not publish, naming the ones it does.
std::string sidecar_package_url(const std::string& version, const std::string& arch);

// The package for `version` and `arch` as state_dir/cache/istio-sidecar-<version>-<arch>.deb
// (net::cached_download: the cached copy when its record names the same URL and its content
// still has the recorded SHA-256, else downloaded once, even by VMs joining in parallel).
// Writes what it did to `log`. Throws meshlab::Error when the download fails.
net::CachedFile cache_sidecar_package(const std::string& version, const std::string& arch,
                                      const std::filesystem::path& state_dir, std::ostream& log);

} // namespace meshlab::actions

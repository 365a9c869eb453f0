#include "net/curl_api.hpp"

#include "util/error.hpp"

#include <fmt/format.h>

#include <dlfcn.h>

#include <mutex>
#include <optional>
#include <string>

namespace meshlab::net {

namespace {

// libcurl's ABI has been version 4 since 2006; the -dev package's headers match it.
constexpr const char* k_library = "libcurl.so.4";

template <typename Function>
void resolve(void* library, const char* name, Function& out) {
  void* symbol = ::dlsym(library, name);
  if (symbol == nullptr)
    throw Error(fmt::format("{} has no {}: install a libcurl of version 7.x or 8.x (Debian: libcurl4)", k_library, name));
  out = reinterpret_cast<Function>(symbol);
}

CurlApi load() {
  // Never closed: libcurl stays for the rest of the process, as if linked.
  void* library = ::dlopen(k_library, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr)
    throw Error(fmt::format("cannot load {} for HTTP requests: {} (Debian: apt-get install libcurl4)", k_library,
                            ::dlerror()));
  CurlApi api{};
  resolve(library, "curl_global_init", api.global_init);
  resolve(library, "curl_easy_init", api.easy_init);
  resolve(library, "curl_easy_setopt", api.easy_setopt);
  resolve(library, "curl_easy_perform", api.easy_perform);
  resolve(library, "curl_easy_getinfo", api.easy_getinfo);
  resolve(library, "curl_easy_cleanup", api.easy_cleanup);
  resolve(library, "curl_easy_strerror", api.easy_strerror);
  resolve(library, "curl_slist_append", api.slist_append);
  resolve(library, "curl_slist_free_all", api.slist_free_all);
  if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("libcurl failed to initialise");
  return api;
}

} // namespace

const CurlApi& curl_api() {
  static std::mutex mutex;
  static std::optional<CurlApi> api;
  const std::lock_guard lock(mutex);
  if (!api) api = load(); // a failure is thrown to this caller and tried again by the next
  return *api;
}

} // namespace meshlab::net

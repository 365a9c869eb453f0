#include "net/http.hpp"

#include "net/curl_api.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <memory>

namespace meshlab::net {

namespace {

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

} // namespace

Response fetch(const Request& request) {
  const CurlApi& api = curl_api();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(api.easy_init(), api.easy_cleanup);
  if (!curl) throw Error("cannot start an HTTP request: libcurl failed to initialise");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, api.slist_free_all);
  for (const auto& [name, value] : request.headers)
    headers.reset(api.slist_append(headers.release(), fmt::format("{}: {}", name, value).c_str()));

  std::unique_ptr<curl_slist, void (*)(curl_slist*)> resolve(nullptr, api.slist_free_all);
  for (const auto& entry : request.resolve) resolve.reset(api.slist_append(resolve.release(), entry.c_str()));

  Response response;
  char error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  api.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L); // we run in worker threads
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  api.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  if (headers) api.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "POST") {
    api.easy_setopt(h, CURLOPT_POST, 1L);
    const std::string& body = request.body ? *request.body : std::string();
    api.easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    api.easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body.c_str());
  }
  if (resolve) api.easy_setopt(h, CURLOPT_RESOLVE, resolve.get());
  if (!request.ca_file.empty()) api.easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
  if (request.tls == Tls::insecure) {
    api.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    api.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const CURLcode rc = api.easy_perform(h);
  if (rc != CURLE_OK)
    throw Error(fmt::format("cannot reach {}: {}", request.url, error[0] ? error : api.easy_strerror(rc)));
  api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw Error("cannot compute a SHA-256 digest");
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string download(const std::string& url, const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  const auto response = fetch(Request{.url = url, .timeout = timeout});
  if (response.status < 200 || response.status > 299)
    throw Error(fmt::format("downloading {} failed: HTTP status {}", url, response.status));
  util::write_file_atomic(path, response.body);
  return sha256_hex(response.body);
}

} // namespace meshlab::net

// Plain HTTP(S) through libcurl: registry readiness probes, the Argo CD install manifest
// download, and the Argo CD login check. No proxies are guessed; libcurl's defaults apply.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::net {

enum class Tls { verify, insecure }; // insecure: accept a self-signed certificate (Argo CD's)

struct Request {
  std::string method = "GET"; // GET or POST
  std::string url;
  std::map<std::string, std::string> headers;
  std::optional<std::string> body;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  Tls tls = Tls::verify;
  // Certificates to trust instead of the system store (the lab's root for its ingress).
  std::filesystem::path ca_file;
  // "host:port:address" entries, as curl's --resolve: reach a lab host at a known address
  // while SNI and certificate verification still use the host name.
  std::vector<std::string> resolve;
};

struct Response {
  long status = 0; // HTTP status code
  std::string body;
};

// Performs `request`. Returns the response for any HTTP status; throws meshlab::Error
// ("cannot reach <url>: <curl's reason>") when no HTTP answer came back.
Response fetch(const Request& request);

// Downloads `url` into `path` atomically and returns the hex SHA-256 of the content.
// Throws meshlab::Error on a transport failure or a non-2xx status.
std::string download(const std::string& url, const std::filesystem::path& path,
                     std::chrono::milliseconds timeout = std::chrono::minutes(5));

// Hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

} // namespace meshlab::net

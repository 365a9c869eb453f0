#include "net/cache.hpp"

#include "net/http.hpp"
#include "support/loopback_http.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <thread>
#include <vector>

using namespace meshlab;

namespace {

// The names in `dir`, to show that no temporary file is left behind.
std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

TEST_CASE("net::cached_download") {
  const std::string body = "kind: List\nitems: []\n";
  test::LoopbackHttp server([&](const test::LoopbackHttp::Seen& seen) -> std::pair<int, std::string> {
    if (seen.request_line.rfind("GET /missing", 0) == 0) return {404, "not found"};
    return {200, body};
  });
  test::TempDir dir;
  const auto file = dir / "cache/install.yaml";
  const auto record = dir / "cache/install.yaml.sha256";
  const auto url = server.url("/install.yaml");
  std::ostringstream log;

  SUBCASE("the first call downloads and records the SHA-256 and the URL; the next uses the copy") {
    const auto first = net::cached_download(url, file, log);
    CHECK(first.downloaded);
    CHECK(first.file == file);
    CHECK(first.sha256 == net::sha256_hex(body));
    CHECK(util::read_file(file) == body);
    CHECK(util::read_file(record) == net::sha256_hex(body) + "  " + url + "\n");
    CHECK(names_in(dir / "cache") == std::vector<std::string>{"install.yaml", "install.yaml.sha256"});
    CHECK(log.str().find("downloading " + url) != std::string::npos);

    const auto again = net::cached_download(url, file, log);
    CHECK_FALSE(again.downloaded);
    CHECK(again.sha256 == first.sha256);
    CHECK(server.seen().size() == 1);
    CHECK(log.str().find("using cached") != std::string::npos);
  }

  SUBCASE("a copy changed on disk is downloaded again") {
    net::cached_download(url, file, log);
    util::write_file_atomic(file, "tampered");
    const auto again = net::cached_download(url, file, log);
    CHECK(again.downloaded);
    CHECK(util::read_file(file) == body);
    CHECK(log.str().find("downloading again") != std::string::npos);
    CHECK(server.seen().size() == 2);
  }

  SUBCASE("a copy from another URL is replaced and its record updated") {
    net::cached_download(url, file, log);
    const auto other = server.url("/other.yaml");
    CHECK(net::cached_download(other, file, log).downloaded);
    CHECK(util::read_file(record) == net::sha256_hex(body) + "  " + other + "\n");
    CHECK(log.str().find("came from " + url) != std::string::npos);
  }

  SUBCASE("a file without a record is not trusted") {
    util::write_file_atomic(file, body);
    CHECK(net::cached_download(url, file, log).downloaded);
    CHECK(server.seen().size() == 1);
  }

  SUBCASE("a failed download throws and leaves no file, nor a half-written one") {
    CHECK_THROWS_WITH_AS(net::cached_download(server.url("/missing.yaml"), file, log),
                         doctest::Contains("HTTP status 404"), Error);
    CHECK_FALSE(std::filesystem::exists(file));
    CHECK_FALSE(std::filesystem::exists(record));

    SUBCASE("and keeps the copy it had") {
      net::cached_download(url, file, log);
      CHECK_THROWS_AS(net::cached_download(server.url("/missing.yaml"), file, log), Error);
      CHECK(util::read_file(file) == body);
      CHECK(util::read_file(record) == net::sha256_hex(body) + "  " + url + "\n");
      CHECK(names_in(dir / "cache") == std::vector<std::string>{"install.yaml", "install.yaml.sha256"});
    }
  }

  SUBCASE("parallel calls for one file download it once") {
    std::vector<std::thread> threads;
    std::vector<std::ostringstream> logs(4);
    for (auto& each : logs) threads.emplace_back([&] { net::cached_download(url, file, each); });
    for (auto& thread : threads) thread.join();
    CHECK(server.seen().size() == 1);
    CHECK(util::read_file(file) == body);
  }
}

TEST_CASE("net::cache_name_part") {
  CHECK(net::cache_name_part("v3.1.8") == "v3.1.8");
  CHECK(net::cache_name_part("a/b\\c") == "a_b_c");
  CHECK(net::cache_name_part("") == "unversioned");
  CHECK(net::cache_name_part("..") == "unversioned");
}

#include "net/http.hpp"

#include "support/loopback_http.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

TEST_CASE("net::fetch") {
  test::LoopbackHttp server([](const test::LoopbackHttp::Seen& seen) -> std::pair<int, std::string> {
    if (seen.request_line.rfind("POST /api/v1/session", 0) == 0) return {200, R"({"token":"t"})"};
    if (seen.request_line.rfind("GET /v2/", 0) == 0) return {200, "{}"};
    return {404, "not found"};
  });

  SUBCASE("GET returns status and body") {
    const auto r = net::fetch({.url = server.url("/v2/")});
    CHECK(r.status == 200);
    CHECK(r.body == "{}");
  }
  SUBCASE("POST sends the body") {
    const auto r = net::fetch({.method = "POST",
                               .url = server.url("/api/v1/session"),
                               .headers = {{"Content-Type", "application/json"}},
                               .body = R"({"username":"admin"})"});
    CHECK(r.body == R"({"token":"t"})");
    CHECK(server.seen().back().body == R"({"username":"admin"})");
  }
  SUBCASE("a non-2xx status is an answer, not an error") { CHECK(net::fetch({.url = server.url("/x")}).status == 404); }
  SUBCASE("download writes the file and returns its SHA-256") {
    test::TempDir dir;
    const auto sha = net::download(server.url("/v2/"), dir / "cache/m.yaml");
    CHECK(util::read_file(dir / "cache/m.yaml") == "{}");
    CHECK(sha == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    CHECK_THROWS_WITH_AS(net::download(server.url("/missing"), dir / "x"), doctest::Contains("HTTP status 404"), Error);
  }
}

TEST_CASE("net::fetch without a server") {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  CHECK_THROWS_WITH_AS(net::fetch({.url = "http://127.0.0.1:1/v2/", .timeout = std::chrono::seconds(5)}),
                       doctest::Contains("cannot reach http://127.0.0.1:1/v2/"), Error);
}

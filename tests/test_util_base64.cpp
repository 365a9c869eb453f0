#include "util/base64.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

TEST_CASE("util::base64") {
  SUBCASE("RFC 4648 test vectors, both ways") {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
      CAPTURE(plain);
      CHECK(util::base64_encode(plain) == encoded);
      CHECK(util::base64_decode(encoded) == std::string(plain));
    }
  }
  SUBCASE("binary bytes survive") {
    const std::string bytes{"\x00\xff\x10\x80", 4};
    CHECK(util::base64_decode(util::base64_encode(bytes)) == bytes);
  }
  SUBCASE("line breaks are ignored, junk is refused") {
    CHECK(util::base64_decode("Zm9v\nYmFy\n") == std::string("foobar"));
    CHECK_FALSE(util::base64_decode("Zm9"));
    CHECK_FALSE(util::base64_decode("Zm9v!A=="));
    CHECK_FALSE(util::base64_decode("Zg==Zg=="));
    CHECK_FALSE(util::base64_decode("Z==="));
  }
}

#include "render/index.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace meshlab;
using namespace meshlab::render;

namespace {

// What index.json held when nlohmann wrote it; index_json must stay byte-identical.
std::string nlohmann_index(const std::string& lab_name, const std::vector<IndexEntry>& files) {
  nlohmann::ordered_json index;
  index["lab"] = lab_name;
  index["files"] = nlohmann::ordered_json::array();
  for (const auto& file : files)
    index["files"].push_back(
        {{"path", file.path}, {"kind", file.kind}, {"cluster", file.cluster}, {"purpose", file.purpose}});
  return index.dump(2) + "\n";
}

} // namespace

TEST_CASE("render::index_json") {
  SUBCASE("no files") { CHECK(index_json("lab", {}) == nlohmann_index("lab", {})); }
  SUBCASE("plain entries") {
    const std::vector<IndexEntry> files{
        {"ca/root-cert.pem", "ca", "", "root certificate"},
        {"clusters/east/kind-config.yaml", "kind-config", "east", "kind Cluster config for mesh-east"}};
    CHECK(index_json("mesh", files) == nlohmann_index("mesh", files));
  }
  SUBCASE("strings JSON must escape, and non-ASCII text") {
    const std::vector<std::string> hostile{"quote \" backslash \\ slash /", "\b\f\n\r\t",
                                           std::string("nul\0 \x01 \x1f \x7f", 10), "grüße ✓ 𝄞 \xef\xbf\xbf"};
    for (const auto& text : hostile) {
      CAPTURE(text);
      const std::vector<IndexEntry> files{{text, text, text, text}};
      CHECK(index_json(text, files) == nlohmann_index(text, files));
    }
  }
  SUBCASE("a string that is not UTF-8 is an error, as it was with nlohmann") {
    for (const std::string bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
      CAPTURE(bad);
      CHECK_THROWS(nlohmann_index(bad, {}));
      CHECK_THROWS_WITH_AS(index_json("lab", {{bad, "k", "", "p"}}), doctest::Contains("not valid UTF-8"), Error);
    }
  }
}

TEST_CASE("render::listed_paths") {
  CHECK(listed_paths(index_json("lab", {{"a/b.yaml", "k", "", "p"}, {"c.yaml", "k", "c", "p"}})) ==
        std::vector<std::string>{"a/b.yaml", "c.yaml"});
  CHECK(listed_paths("not json").empty());
  CHECK(listed_paths(R"({"files": [{"path": 1}, {"path": "x"}, "y"]})") == std::vector<std::string>{"x"});
}

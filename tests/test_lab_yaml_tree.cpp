#include "lab/yaml_tree.hpp"

#include <doctest/doctest.h>

#include <string>

using meshlab::lab::YamlNode;
using meshlab::lab::YamlStream;

TEST_CASE("lab::yaml_tree") {
  SUBCASE("kinds, scalars, positions and styles") {
    const YamlStream stream("name: demo\nlist:\n  - a\n  - \"1.0\"\nflow: {k: [x, y]}\nempty:\nnull: ~\n");
    REQUIRE(stream.error() == nullptr);
    REQUIRE(stream.documents().size() == 1);
    const auto root = stream.documents()[0];
    REQUIRE(root.is_map());
    CHECK_FALSE(root.flow());
    const auto entries = root.entries();
    REQUIRE(entries.size() == 5);
    CHECK(entries[0].first.scalar() == "name");
    CHECK(entries[0].second.scalar() == "demo");
    CHECK(entries[0].second.line() == 0);
    CHECK(entries[0].second.column() == 6);
    const auto items = entries[1].second.items();
    REQUIRE(items.size() == 2);
    CHECK(entries[1].second.is_sequence());
    CHECK(items[1].line() == 3);
    CHECK(items[1].column() == 4);
    CHECK_FALSE(items[0].quoted());
    CHECK(items[1].quoted()); // "1.0" stays a string
    CHECK(entries[2].second.flow());
    CHECK(entries[2].second.entries()[0].second.flow());
    CHECK(entries[3].second.is_null());
    CHECK(entries[4].second.is_null());
    CHECK(entries[4].second.scalar().empty());
    CHECK_FALSE(YamlNode().defined());
    CHECK_FALSE(YamlNode().is_null());
  }
  SUBCASE("null words, quoted or tagged strings") {
    const YamlStream stream("[null, Null, NULL, ~, 'null', !!str null, nil, \"\"]");
    REQUIRE(stream.error() == nullptr);
    const auto items = stream.documents()[0].items();
    REQUIRE(items.size() == 8);
    for (int i = 0; i < 4; ++i) CHECK(items[i].is_null());
    CHECK(items[4].scalar() == "null");
    CHECK(items[5].is_scalar());
    CHECK(items[5].quoted());
    CHECK(items[6].scalar() == "nil");
    CHECK(items[7].is_scalar());
  }
  SUBCASE("aliases name the anchored node itself, cycles included") {
    const YamlStream stream("a: &x {k: v}\nb: *x\nc: &c [*c]\n");
    REQUIRE(stream.error() == nullptr);
    const auto entries = stream.documents()[0].entries();
    CHECK(entries[1].second.entries()[0].second.scalar() == "v");
    const auto cyclic = entries[2].second;
    CHECK(cyclic.items()[0].items()[0].items().size() == 1);
  }
  SUBCASE("documents") {
    CHECK(YamlStream("").documents().empty());
    CHECK(YamlStream("---\n").documents().at(0).is_null());
    CHECK(YamlStream("a: 1\n---\nb: 2\n").documents().size() == 2);
  }
  SUBCASE("syntax errors say what and where") {
    const YamlStream unclosed("a: 1\nb: [x\n");
    REQUIRE(unclosed.error() != nullptr);
    CHECK(unclosed.documents().empty());
    CHECK(unclosed.error()->message == "did not find expected ',' or ']' while parsing a flow sequence (begun at line 2)");
    CHECK(unclosed.error()->line == 3);
    const YamlStream alias("a: *nowhere\n");
    REQUIRE(alias.error() != nullptr);
    CHECK(alias.error()->message == "the alias *nowhere names no anchor (&nowhere) written before it");
    CHECK(alias.error()->line == 1);
    CHECK(alias.error()->column == 4);
    // Reader errors come with an offset, turned into a line and column.
    const YamlStream bytes(std::string("a: 1\nb: \"\xff\"\n"));
    REQUIRE(bytes.error() != nullptr);
    CHECK(bytes.error()->line == 2);
    CHECK(bytes.error()->column == 5);
  }
}

#include "render/engine.hpp"

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

using namespace meshlab;
using namespace meshlab::render;

TEST_CASE("render::yaml_quote") {
  const std::vector<std::string> hostile{
      "plain", "", "a: b", "# not a comment", "- item", "\"quoted\"", "back\\slash", "line\nbreak",
      "tab\there", "{flow: map}", "[1, 2]", "yes", "null", "~", "0755", "*alias", "&anchor", "!tag",
      "%directive", "@at", "`tick`", "unicode: grüße ✓", std::string("nul\0byte", 8), "\x01\x7f", "  padded  ",
      "key: value\n- list: [x]\n---\n..."};
  for (const auto& value : hostile) {
    CAPTURE(value);
    const auto doc = YAML::Load("key: " + yaml_quote(value) + "\n");
    CHECK(doc["key"].as<std::string>() == value);
  }
}

TEST_CASE("render::indent") {
  CHECK(indent("a: 1\nb:\n  c: 2\n", 4) == "    a: 1\n    b:\n      c: 2\n");
  CHECK(indent("a\n\nb", 2) == "  a\n\n  b");
}

TEST_CASE("render::render_template") {
  test::TempDir dir;
  util::write_file_atomic(dir / "t.mustache", "name: {{name}}\n{{#items}}- {{.}}\n{{/items}}");
  util::write_file_atomic(dir / "broken.mustache", "{{#open}}never closed");
  TemplateSource source{dir.path()};

  SUBCASE("does not HTML-escape") {
    Data data;
    data.set("name", "<a & b>");
    Data items{Data::type::list};
    items.push_back(Data{"x"});
    data.set("items", items);
    CHECK(render_template(source, "t.mustache", data) == "name: <a & b>\n- x\n");
  }
  SUBCASE("lines holding only a section tag vanish whether the section renders or not") {
    util::write_file_atomic(dir / "s.mustache", "a:\n{{#on}}\n  - x\n  {{/on}}\n{{#off}}\n  - y\n{{/off}}\n"
                                                "{{^on}}\n  - z\n{{/on}}\nb: {{#on}}1{{/on}}\n");
    Data data;
    data.set("on", true);
    data.set("off", Data{Data::type::list});
    CHECK(render_template(source, "s.mustache", data) == "a:\n  - x\nb: 1\n");
    data.set("on", false);
    CHECK(render_template(source, "s.mustache", data) == "a:\n  - z\nb: \n");
  }
  SUBCASE("a template that does not parse is an error naming it") {
    CHECK_THROWS_WITH_AS(render_template(source, "broken.mustache", Data{}), doctest::Contains("broken.mustache"),
                         Error);
  }
  SUBCASE("a missing template is an error naming it") {
    CHECK_THROWS_WITH_AS(render_template(source, "missing.mustache", Data{}), doctest::Contains("missing.mustache"),
                         Error);
  }
}

TEST_CASE("util::write_file_atomic") {
  test::TempDir dir;
  const auto key = dir / "a/b/key.pem";
  util::write_file_atomic(key, "secret", std::filesystem::perms(0600));
  CHECK(util::read_file(key) == "secret");
  CHECK((std::filesystem::status(key).permissions() & std::filesystem::perms::all) == std::filesystem::perms(0600));
  util::write_file_atomic(key, "replaced", std::filesystem::perms(0600));
  CHECK(util::read_file(key) == "replaced");
  int leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "a/b")) leftovers += entry.path() != key;
  CHECK(leftovers == 0);
}

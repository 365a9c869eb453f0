// `meshlab schema` prints docs/lab.schema.json exactly, and that file is a JSON Schema
// whose shape the rest of meshlab relies on (draft-07, closed top level, the lab's keys).
#include "render/embedded_templates.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

using namespace meshlab;

namespace {

struct Output {
  std::string out;
  int exit_code = -1;
};

// Runs the meshlab binary under test with `args` and collects its stdout.
Output run_meshlab(const std::string& args) {
  const std::string command = std::string("'") + MESHLAB_BINARY + "' " + args;
  Output result;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string schema_file() { return util::read_file(std::string(MESHLAB_SOURCE_DIR) + "/docs/lab.schema.json"); }

} // namespace

TEST_CASE("cli::schema") {
  SUBCASE("prints docs/lab.schema.json byte for byte") {
    const auto result = run_meshlab("schema");
    CHECK(result.exit_code == 0);
    CHECK(result.out == schema_file());
  }
  SUBCASE("the embedded copy is the file in docs/") {
    const auto& docs = render::embedded_docs();
    REQUIRE(docs.count("lab.schema.json") == 1);
    CHECK(docs.at("lab.schema.json") == schema_file());
    CHECK(docs.size() == 1); // only the schema, not every document in docs/
  }
  SUBCASE("--help says what it prints") {
    const auto result = run_meshlab("schema --help");
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("JSON Schema") != std::string::npos);
  }
}

TEST_CASE("docs::lab_schema") {
  const auto schema = nlohmann::json::parse(schema_file()); // throws (fails the test) when not JSON

  SUBCASE("is a draft-07 schema of a closed mapping") {
    CHECK(schema.at("$schema") == "http://json-schema.org/draft-07/schema#");
    CHECK(schema.at("type") == "object");
    CHECK(schema.at("additionalProperties") == false);
    CHECK(schema.at("required") == nlohmann::json{"apiVersion", "kind", "name", "clusters"});
    CHECK(schema.at("properties").at("apiVersion").at("const") == "meshlab.dev/v1alpha1");
    CHECK(schema.at("properties").at("kind").at("const") == "Lab");
  }
  SUBCASE("every object it defines is closed, except Helm values") {
    // Walks every subschema; a typo in a lab must never pass silently.
    std::vector<std::pair<std::string, const nlohmann::json*>> stack{{"", &schema}};
    int objects = 0;
    while (!stack.empty()) {
      const std::string where = stack.back().first;
      const nlohmann::json* node = stack.back().second;
      stack.pop_back();
      if (!node->is_object()) continue;
      if (node->contains("properties") && node->value("type", "") == "object") {
        CAPTURE(where);
        ++objects;
        CHECK(node->contains("additionalProperties"));
        if (node->contains("additionalProperties")) CHECK(node->at("additionalProperties") == false);
      }
      for (const auto& [key, child] : node->items()) {
        if (child.is_object()) stack.emplace_back(where + "/" + key, &child);
        if (child.is_array())
          for (std::size_t i = 0; i < child.size(); ++i)
            stack.emplace_back(where + "/" + key + "/" + std::to_string(i), &child[i]);
      }
    }
    CHECK(objects > 20);
    CHECK(schema.at("definitions").at("app").at("properties").at("values").at("type") == "object");
    CHECK_FALSE(schema.at("definitions").at("app").at("properties").at("values").contains("additionalProperties"));
  }
}

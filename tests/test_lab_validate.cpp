#include "lab/load.hpp"
#include "lab/validate.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace meshlab;
using namespace meshlab::lab;

namespace {

namespace fs = std::filesystem;

const fs::path k_corpus = fs::path(MESHLAB_SOURCE_DIR) / "tests" / "data" / "labs";

std::vector<fs::path> fixtures(std::string_view prefix) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(k_corpus))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The "# expect: LINE:COLUMN: MESSAGE" lines at the top of a fixture.
std::vector<std::string> expectations(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  const std::string marker = "# expect: ";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(marker, 0) == 0) out.push_back(line.substr(marker.size()));
  return out;
}

// Diagnostics for a lab given as text (loader and validator), as LINE:COLUMN: MESSAGE.
std::vector<std::string> problems(const std::string& text) {
  auto result = load_string(text, "t.yaml");
  auto semantic = validate(result.lab);
  result.diagnostics.insert(result.diagnostics.end(), semantic.begin(), semantic.end());
  std::vector<std::string> out;
  for (const auto& d : result.diagnostics) out.push_back(fmt::format("{}:{}: {}", d.line, d.column, d.message));
  return out;
}

const std::string k_head = "apiVersion: meshlab.dev/v1alpha1\nkind: Lab\nname: t\ncells: {mesh: {}}\n";

} // namespace

TEST_CASE("lab::validate invalid corpus") {
  const auto files = fixtures("invalid-");
  CHECK(files.size() >= 45);
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    const auto expected = expectations(file);
    CHECK_FALSE(expected.empty());
    std::vector<std::string> actual;
    bool threw = false;
    try {
      load_valid_lab(file.string());
    } catch (const LabError& e) {
      threw = true;
      for (const auto& d : e.diagnostics()) {
        actual.push_back(fmt::format("{}:{}: {}", d.line, d.column, d.message));
        CHECK(d.file == file.string());
        CHECK_FALSE(d.hint.empty());
      }
    }
    CHECK(threw);
    CHECK(actual == expected);
  }
}

TEST_CASE("lab::validate valid fixtures and example labs") {
  auto files = fixtures("valid-");
  CHECK(files.size() >= 4);
  for (const auto& entry : fs::directory_iterator(fs::path(MESHLAB_SOURCE_DIR) / "labs")) files.push_back(entry.path());
  for (const auto& file : files) {
    CAPTURE(file.string());
    std::vector<std::string> headlines;
    try {
      load_valid_lab(file.string());
    } catch (const LabError& e) {
      for (const auto& d : e.diagnostics()) headlines.push_back(d.headline());
    }
    CHECK(headlines == std::vector<std::string>{});
  }
}

TEST_CASE("lab::validate") {
  SUBCASE("an empty lab reports only what the loader found") {
    CHECK(problems("") == std::vector<std::string>{"1:1: the lab file is empty"});
  }
  SUBCASE("diagnostics come sorted by position") {
    const auto found = problems(k_head + "clusters:\n  b: {provider: kind, cell: mesh, role: management}\n"
                                         "  a: {provider: kind, cell: mesh, role: management}\n"
                                         "vms:\n  b: {cluster: a}\n");
    REQUIRE(found.size() == 2);
    CHECK(found[0] == "7:41: clusters.a.role: a second management cluster; \"b\" is already the management cluster");
    CHECK(found[1] == "9:3: vms.b: name \"b\" is already used by clusters.b (line 6)");
  }
  SUBCASE("a value the loader rejected is not reported again by the validator") {
    test::TempDir dir;
    const auto file = (dir / "lab.yaml").string();
    std::ofstream(file) << k_head << "clusters: {a: {provider: kind, cell: mesh}}\nregistries:\n  docker.io: {port: abc}\n";
    // Without the rule, the validator would add "port 0 is out of range" at the same spot.
    CHECK(problems(k_head + "clusters: {a: {provider: kind, cell: mesh}}\nregistries:\n  docker.io: {port: abc}\n")
              .size() == 2);
    std::vector<std::string> reported;
    try {
      load_valid_lab(file);
    } catch (const LabError& e) {
      for (const auto& d : e.diagnostics()) reported.push_back(d.message);
    }
    CHECK(reported == std::vector<std::string>{"registries.docker.io.port: expected an integer, got \"abc\""});
  }
  SUBCASE("wildcards only in traffic localities") {
    CHECK(problems(k_head + "clusters: {a: {provider: kind, cell: mesh, locality: east/*}}\n") ==
          std::vector<std::string>{
              "5:54: clusters.a.locality: locality \"east/*\" has a wildcard zone; only traffic policies may use \"*\""});
  }
  SUBCASE("a variable in Helm values is checked however the YAML spells it") {
    auto result = load_string(k_head + "clusters: {m: {provider: kind, role: management}, a: {provider: kind, cell: "
                                       "mesh}}\napps: {x: {git: {repo: https://e.org/r, path: p}, values: {k: v}}}\n",
                              "t.yaml");
    for (const std::string values : {"k: \"\\x24{nope}\"\n", "k: \"${nope}\"\n", "k: [\"${cluster}\", \"${nope}\"]\n"}) {
      CAPTURE(values);
      result.lab.apps.at(0).values_yaml = values;
      std::vector<std::string> messages;
      for (const auto& d : validate(result.lab)) messages.push_back(d.message);
      REQUIRE(messages.size() == 1);
      CHECK(messages[0].find("unknown variable \"${nope}\"") != std::string::npos);
    }
  }
  SUBCASE("a cluster name may not be reused by a VM, whatever the order") {
    const auto found = problems(k_head + "clusters: {x: {provider: multipass, cell: mesh}}\nvms: {x: {cluster: x}}\n");
    REQUIRE(found.size() == 1);
    CHECK(found[0].find("vms.x: name \"x\" is already used by clusters.x") != std::string::npos);
  }
}

// Robustness of the loader and validator: truncated and garbled versions of every lab in
// labs/ must give diagnostics or a valid lab, and never crash or throw anything but
// LabError.
#include "lab/load.hpp"
#include "lab/validate.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

using namespace meshlab;
using namespace meshlab::lab;

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Loads `text` through the whole public path; returns a description of what went wrong
// beyond a clean LabError ("" when all is well).
std::string misbehaviour(const test::TempDir& dir, const std::string& text) {
  const auto file = (dir / "fuzz.yaml").string();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
  }
  try {
    load_valid_lab(file);
  } catch (const LabError& e) {
    for (const auto& d : e.diagnostics()) {
      if (d.message.empty() || d.hint.empty()) return "a diagnostic without message or hint: " + d.headline();
      if (d.line < 1 || d.column < 1) return "a diagnostic without a position: " + d.headline();
      if (d.file != file) return "a diagnostic naming another file: " + d.headline();
    }
  } catch (const std::exception& e) {
    return std::string("threw ") + typeid(e).name() + ": " + e.what();
  } catch (...) {
    return "threw a non-standard exception";
  }
  return {};
}

std::vector<std::string> example_labs() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(fs::path(MESHLAB_SOURCE_DIR) / "labs")) out.push_back(read(entry.path()));
  return out;
}

const std::string k_head = "apiVersion: meshlab.dev/v1alpha1\nkind: Lab\nname: t\n";

} // namespace

TEST_CASE("lab::load robustness: truncated labs") {
  test::TempDir dir;
  for (const auto& text : example_labs()) {
    for (std::size_t cut = 0; cut < text.size(); ++cut) {
      if (text[cut] != '\n' && cut % 7 != 0) continue; // every line end, and some cuts mid-line
      const std::string variant = text.substr(0, cut);
      CAPTURE(variant);
      CHECK(misbehaviour(dir, variant) == "");
    }
  }
}

TEST_CASE("lab::load robustness: garbled labs") {
  test::TempDir dir;
  std::mt19937 random(20240601); // fixed seed: failures reproduce
  const std::string specials = ":-[]{}&*!|>'\"#%@`,?\t\n \\\x01\xff";
  for (const auto& text : example_labs()) {
    std::uniform_int_distribution<std::size_t> where(0, text.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> special(0, specials.size() - 1);
    for (int round = 0; round < 300; ++round) {
      std::string variant = text;
      const int edits = 1 + round % 4;
      for (int e = 0; e < edits; ++e) {
        const auto at = where(random);
        if (round % 2 == 0) variant[at] = static_cast<char>(byte(random));
        else variant.insert(at, 1, specials[special(random)]);
      }
      CAPTURE(variant);
      CHECK(misbehaviour(dir, variant) == "");
    }
  }
}

TEST_CASE("lab::load robustness: lines removed, doubled and swapped") {
  test::TempDir dir;
  for (const auto& text : example_labs()) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string removed, doubled, swapped;
      const std::size_t next = (i + 1) % lines.size();
      for (std::size_t j = 0; j < lines.size(); ++j) {
        if (j != i) removed += lines[j] + "\n";
        doubled += lines[j] + "\n" + (j == i ? lines[j] + "\n" : "");
        swapped += lines[j == i ? next : j == next ? i : j] + "\n";
      }
      CAPTURE(i);
      CHECK(misbehaviour(dir, removed) == "");
      CHECK(misbehaviour(dir, doubled) == "");
      CHECK(misbehaviour(dir, swapped) == "");
    }
  }
}

TEST_CASE("lab::load robustness: pathological YAML") {
  test::TempDir dir;
  SUBCASE("deep nesting") {
    CHECK(misbehaviour(dir, std::string(100000, '[')) == "");
    CHECK(misbehaviour(dir, k_head + "clusters: " + std::string(5000, '{')) == "");
    std::string nested = k_head + "clusters: {m: {provider: kind, role: management}}\napps:\n  a:\n    values:\n";
    for (int depth = 0; depth < 500; ++depth) nested += std::string(6 + 2 * depth, ' ') + "k:\n";
    CHECK(misbehaviour(dir, nested) == "");
  }
  SUBCASE("aliases: cycles and exponential expansion") {
    // "Billion laughs": ten references per level, nine levels, in Helm values.
    std::string bomb = k_head + "clusters: {m: {provider: kind, role: management}}\napps:\n  a:\n    values:\n"
                                "      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int level = 1; level < 9; ++level) {
      bomb += "      l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
      for (int i = 0; i < 10; ++i) bomb += (i ? ", *l" : "*l") + std::to_string(level - 1);
      bomb += "]\n";
    }
    CHECK(misbehaviour(dir, bomb) == "");
    CHECK(misbehaviour(dir, k_head + "clusters: &c {a: *c}\n") == "");
    CHECK(misbehaviour(dir, k_head + "clusters: {a: {provider: kind, nodes: &n [*n]}}\n") == "");
    CHECK(misbehaviour(dir, k_head + "clusters: {a: {provider: kind}}\n"
                                     "traffic: {t: {host: h, distribute: &d [{from: a, to: *d}]}}\n") == "");
  }
  SUBCASE("odd bytes and directives") {
    CHECK(misbehaviour(dir, std::string("\0\0\0", 3)) == "");
    CHECK(misbehaviour(dir, "\xef\xbb\xbf" + k_head) == "");
    CHECK(misbehaviour(dir, k_head + "clusters: {a: {provider: kind}}\napps: {a: {values: {k: \"\xff\xfe\"}}}\n") == "");
    CHECK(misbehaviour(dir, "--- !!binary\n" + k_head) == "");
    CHECK(misbehaviour(dir, "%YAML 9.9\n---\n" + k_head) == "");
  }
}

// The "Errors you may see" example in docs/lab-file.md is real output: this test runs
// meshlab on the example lab and compares, so the doc cannot drift from the validator.
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace meshlab;

namespace {

// The text of the first ``` block of `fence` type after `from` in `doc`.
std::string block_after(const std::string& doc, std::size_t from, const std::string& fence) {
  const auto open = doc.find("```" + fence + "\n", from);
  REQUIRE(open != std::string::npos);
  const auto start = open + 4 + fence.size();
  const auto close = doc.find("```", start);
  REQUIRE(close != std::string::npos);
  return doc.substr(start, close - start);
}

} // namespace

TEST_CASE("docs::errors example") {
  const auto doc = util::read_file(std::string(MESHLAB_SOURCE_DIR) + "/docs/lab-file.md");
  const auto section = doc.find("## Errors you may see");
  REQUIRE(section != std::string::npos);
  const auto lab = block_after(doc, section, "yaml");
  // The output block starts with the command line; stderr follows it up to the fence.
  const auto command = doc.find("$ meshlab validate -f mesh.yaml\n", section);
  REQUIRE(command != std::string::npos);
  const auto output_start = doc.find('\n', command) + 1;
  const std::string expected = doc.substr(output_start, doc.find("```", output_start) - output_start);

  test::TempDir dir;
  util::write_file_atomic(dir / "mesh.yaml", lab);
  const auto result = test::run_binary({MESHLAB_BINARY, "validate", "-f", (dir / "mesh.yaml").string()});
  CHECK(result.exit_code == 2);

  // The doc shows paths relative to the lab's folder.
  std::string actual = result.err;
  const std::string prefix = (dir / "").string();
  for (auto pos = actual.find(prefix); pos != std::string::npos; pos = actual.find(prefix))
    actual.erase(pos, prefix.size());
  CHECK(actual == expected);
}

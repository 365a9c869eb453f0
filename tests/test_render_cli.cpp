// `meshlab render` end to end: the real binary, its output directory, summary line and
// exit codes (0 ok, 2 invalid lab or usage, 1 any other failure).
#include "render/embedded_templates.hpp"
#include "support/scoped_env.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace meshlab;
namespace fs = std::filesystem;

namespace {

const std::string k_meshlab = MESHLAB_BINARY;
const fs::path k_labs = fs::path(MESHLAB_SOURCE_DIR) / "labs";

// A copy of labs/<name>.yaml in `dir` with ECDSA keys: RSA 4096 costs seconds per key,
// and nothing checked here depends on the key type.
std::string fast_lab(const test::TempDir& dir, const std::string& name) {
  const auto path = dir / (name + ".yaml");
  const auto text = util::read_file(k_labs / (name + ".yaml"));
  util::write_file_atomic(path, text + "\nca:\n  keyType: ecdsa\n  keySize: 256\n");
  return path.string();
}

} // namespace

TEST_CASE("cli render") {
  test::TempDir dir;
  const auto out = dir / "out";

  SUBCASE("renders a lab into -o DIR and says so on one line") {
    const auto result = test::run({k_meshlab, "render", "-f", fast_lab(dir, "ci-smoke"), "-o", out.string()});
    CAPTURE(result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("rendered ") == 0);
    CHECK(result.output.find(" files to " + out.string()) != std::string::npos);
    CHECK(std::count(result.output.begin(), result.output.end(), '\n') == 1);
    CHECK(fs::is_regular_file(out / "index.json"));
    CHECK(fs::is_regular_file(out / "clusters/two/kind-config.yaml"));
    CHECK(fs::is_regular_file(out / "ca/two/cert-chain.pem"));
  }

  SUBCASE("--templates DIR replaces the built-in templates") {
    const auto templates = dir / "templates";
    for (const auto& [name, content] : render::embedded_templates())
      util::write_file_atomic(templates / std::string(name), std::string(content));
    util::write_file_atomic(templates / "kind/cluster.yaml.mustache", "name: {{name}}\n# mine\n");
    const auto result = test::run({k_meshlab, "--templates", templates.string(), "render", "-f",
                                   fast_lab(dir, "ci-smoke"), "-o", out.string()});
    CAPTURE(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(util::read_file(out / "clusters/one/kind-config.yaml") == "name: \"ci-smoke-one\"\n# mine\n");
  }

  SUBCASE("render, and only render, asks mimalloc for huge pages; the user's setting wins") {
    // MIMALLOC_VERBOSE=1 makes mimalloc list its options on stderr when the process starts.
    const auto large_pages = [&](const std::vector<std::string>& argv) {
      const auto result = test::run(argv);
      CAPTURE(result.output);
      return result.output.find("option 'large_os_pages': 1") != std::string::npos;
    };
    const test::ScopedEnv verbose("MIMALLOC_VERBOSE", "1");
    const auto lab = fast_lab(dir, "ci-smoke");
    CHECK(large_pages({k_meshlab, "render", "-f", lab, "-o", out.string()}));
    CHECK_FALSE(large_pages({k_meshlab, "validate", "-f", lab}));
    CHECK_FALSE(large_pages({k_meshlab, "--version"}));
    const test::ScopedEnv off("MIMALLOC_LARGE_OS_PAGES", "0");
    CHECK_FALSE(large_pages({k_meshlab, "render", "-f", lab, "-o", out.string()}));
  }

  SUBCASE("an invalid lab exits 2") {
    util::write_file_atomic(dir / "bad.yaml", "apiVersion: meshlab.dev/v1alpha1\nkind: Lab\nname: bad\nclusterz: {}\n");
    const auto result = test::run({k_meshlab, "render", "-f", (dir / "bad.yaml").string(), "-o", out.string()});
    CAPTURE(result.output);
    CHECK(result.exit_code == 2);
    CHECK_FALSE(fs::exists(out / "index.json"));
  }

  SUBCASE("an output directory that cannot be written exits 1 with a message") {
    util::write_file_atomic(dir / "file", "not a directory");
    const auto result = test::run({k_meshlab, "render", "-f", fast_lab(dir, "ci-smoke"), "-o",
                                   (dir / "file" / "out").string()});
    CAPTURE(result.output);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("meshlab: error: ") == 0);
  }

  SUBCASE("--help describes the options") {
    const auto result = test::run({k_meshlab, "render", "--help"});
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("--output") != std::string::npos);
    CHECK(result.output.find("--file") != std::string::npos);
  }
}

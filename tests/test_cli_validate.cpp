#include "support/run_binary.hpp"

#include <doctest/doctest.h>

#include <string>

using meshlab::test::run_binary;

namespace {

const std::string k_meshlab = MESHLAB_BINARY;
const std::string k_source = MESHLAB_SOURCE_DIR;

} // namespace

TEST_CASE("cli validate") {
  SUBCASE("a valid lab: one summary line on stdout, exit 0") {
    const auto lab = k_source + "/labs/ci-smoke.yaml";
    const auto result = run_binary({k_meshlab, "validate", "-f", lab});
    CHECK(result.exit_code == 0);
    CHECK(result.out == lab + ": valid (lab \"ci-smoke\": 2 clusters, 1 cell, 0 VMs, 1 app)\n");
    CHECK(result.err == "");
  }
  SUBCASE("no -f: the built-in lab") {
    const auto result = run_binary({k_meshlab, "validate"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "<built-in>/multi-primary.yaml: valid (lab \"multi-primary\": 3 clusters, 1 cell, 1 VM, 1 app)\n");
  }
  SUBCASE("an invalid lab: every diagnostic with its hint on stderr, exit 2") {
    const auto lab = k_source + "/tests/data/labs/invalid-resource-sizes.yaml";
    const auto result = run_binary({k_meshlab, "validate", "--file", lab});
    CHECK(result.exit_code == 2);
    CHECK(result.out == "");
    const std::string hint =
        "  hint: write bytes, or a number with K, M or G optionally followed by B or iB: 4G, 512M, 10GiB\n";
    CHECK(result.err == lab + ":13:13: error: clusters.east.memory: \"4Gi\" is not a size multipass understands\n" +
                            hint + lab + ":14:11: error: clusters.east.disk: \"banana\" is not a size multipass understands\n" +
                            hint + "meshlab: error: lab is invalid (2 problems)\n");
  }
  SUBCASE("a file that cannot be read: exit 1") {
    const auto result = run_binary({k_meshlab, "validate", "-f", "/nonexistent/lab.yaml"});
    CHECK(result.exit_code == 1);
    CHECK(result.out == "");
    CHECK(result.err == "meshlab: error: cannot read /nonexistent/lab.yaml: No such file or directory\n");
  }
  SUBCASE("a directory is not a lab file: exit 1") {
    const auto result = run_binary({k_meshlab, "validate", "-f", k_source + "/labs"});
    CHECK(result.exit_code == 1);
    CHECK(result.err == "meshlab: error: cannot read " + k_source + "/labs: it is a directory, not a lab file\n");
  }
  SUBCASE("--help describes the command, exit 0") {
    const auto result = run_binary({k_meshlab, "validate", "--help"});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("-f,--file LAB") != std::string::npos);
  }
}

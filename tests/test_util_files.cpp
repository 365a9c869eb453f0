#include "util/files.hpp"

#include "support/temp_dir.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
namespace fs = std::filesystem;

TEST_CASE("util::read_file") {
  test::TempDir dir;
  SUBCASE("whole files, empty or larger than a read") {
    util::write_file_atomic(dir / "empty", "");
    CHECK(util::read_file(dir / "empty").empty());
    const std::string big(200000, 'x');
    util::write_file_atomic(dir / "big", big + std::string("\0end", 4));
    CHECK(util::read_file(dir / "big") == big + std::string("\0end", 4));
  }
  SUBCASE("files whose size says nothing (procfs) are read to the end") {
    CHECK(util::read_file("/proc/self/status").find("Name:") == 0);
  }
  SUBCASE("a missing file or a directory is an error naming it") {
    CHECK_THROWS_WITH_AS(util::read_file(dir / "missing"), doctest::Contains("cannot read"), Error);
    CHECK_THROWS_WITH_AS(util::read_file(dir.path()), doctest::Contains(dir.path().string().c_str()), Error);
  }
}

TEST_CASE("util::file_holds") {
  test::TempDir dir;
  const auto file = dir / "f.yaml";
  util::write_file_atomic(file, "a: 1\n", fs::perms(0644));
  CHECK(util::file_holds(file, "a: 1\n", fs::perms(0644)));
  CHECK_FALSE(util::file_holds(file, "a: 2\n", fs::perms(0644))); // same size, other bytes
  CHECK_FALSE(util::file_holds(file, "a: 1\n\n", fs::perms(0644)));
  CHECK_FALSE(util::file_holds(file, "a: 1", fs::perms(0644)));
  CHECK_FALSE(util::file_holds(file, "a: 1\n", fs::perms(0600))); // other mode
  CHECK_FALSE(util::file_holds(dir / "missing", "", fs::perms(0644)));
  CHECK_FALSE(util::file_holds(dir.path(), "", fs::perms(0755))); // not a regular file
  util::write_file_atomic(dir / "empty", "", fs::perms(0600));
  CHECK(util::file_holds(dir / "empty", "", fs::perms(0600)));
}

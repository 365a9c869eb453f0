#include "util/file_identity.hpp"

#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace meshlab;
namespace fs = std::filesystem;

TEST_CASE("util::stable_file_identity") {
  test::TempDir dir;
  const auto file = dir / "tls.crt";
  util::write_file_atomic(file, "one");
  // Files change with the coarse kernel clock: "later" is well past any tick.
  const auto later = std::chrono::system_clock::now() + std::chrono::seconds(10);

  SUBCASE("none for a missing file, or one that changed just now") {
    CHECK_FALSE(util::stable_file_identity(dir / "missing", later));
    CHECK_FALSE(util::stable_file_identity(file));
  }

  SUBCASE("the same while the file is untouched, one word for a record") {
    const auto identity = util::stable_file_identity(file, later);
    REQUIRE(identity);
    CHECK(identity->find_first_of(" \t\n") == std::string::npos);
    CHECK(util::stable_file_identity(file, later) == identity);
    util::read_file(file); // reading is not a change
    CHECK(util::stable_file_identity(file, later) == identity);
  }

  SUBCASE("another after the file is replaced (even by one of the same size) or grows") {
    const auto identity = util::stable_file_identity(file, later);
    util::write_file_atomic(file, "two"); // a new file renamed over it
    const auto replaced = util::stable_file_identity(file, later);
    REQUIRE(replaced);
    CHECK(replaced != identity);
    std::ofstream(file, std::ios::app) << "!"; // written in place
    const auto edited = util::stable_file_identity(file, later);
    REQUIRE(edited);
    CHECK(edited != replaced);
    // A same-size edit in place within one clock tick would keep the times: that is what the
    // settle window is for (no identity at all right after a change, as above).
  }
}

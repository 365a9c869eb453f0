#include "state/lock.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <string>
#include <unistd.h>

using namespace meshlab;

TEST_CASE("state::LabLock") {
  test::TempDir dir;
  const auto state_dir = dir / "state" / "mesh"; // created on demand

  SUBCASE("the holder's pid is written into the lock file") {
    const auto lock = state::LabLock::acquire(state_dir, "mesh");
    CHECK(lock.path() == state_dir / "lock");
    CHECK(util::read_file(lock.path()) == std::to_string(::getpid()) + "\n");
  }

  SUBCASE("a second lock fails at once, naming the holder's pid and the file") {
    const auto lock = state::LabLock::acquire(state_dir, "mesh");
    const std::string expected = "lab \"mesh\" is busy: meshlab (pid " + std::to_string(::getpid()) + ") holds " +
                                 (state_dir / "lock").string();
    CHECK_THROWS_WITH_AS(state::LabLock::acquire(state_dir, "mesh"), expected.c_str(), Error);
  }

  SUBCASE("the lock is free again once released or destroyed") {
    {
      auto lock = state::LabLock::acquire(state_dir, "mesh");
      lock.release();
      auto again = state::LabLock::acquire(state_dir, "mesh");
    }
    CHECK_NOTHROW(state::LabLock::acquire(state_dir, "mesh"));
  }

  SUBCASE("a moved lock is held until its last owner ends") {
    auto first = state::LabLock::acquire(state_dir, "mesh");
    state::LabLock second = std::move(first);
    CHECK_THROWS_AS(state::LabLock::acquire(state_dir, "mesh"), Error);
  }

  SUBCASE("a state directory that cannot be created is named") {
    util::write_file_atomic(dir / "file", "x");
    CHECK_THROWS_WITH_AS(state::LabLock::acquire(dir / "file" / "mesh", "mesh"),
                         doctest::Contains("cannot create the state directory"), Error);
  }
}

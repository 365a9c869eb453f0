#include "state/journal.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <regex>

using namespace meshlab;
namespace fs = std::filesystem;

TEST_CASE("state::Journal") {
  test::TempDir dir;
  const auto path = dir / "journal.json";

  SUBCASE("a missing journal is empty, without a warning") {
    const auto journal = state::Journal::load(path);
    CHECK(journal.entries().empty());
    CHECK(journal.warning().empty());
  }

  SUBCASE("entries survive a save and a load, in finishing order") {
    auto journal = state::Journal::load(path);
    journal.record({"cluster/east/create", "h1", {{"server", "https://127.0.0.1:6443"}}, "2026-01-01T00:00:00Z"});
    journal.record({"vm/db/create", "h2", {}, "2026-01-01T00:00:01Z"});
    journal.record({"cluster/east/create", "h3", {}, "2026-01-01T00:00:02Z"}); // replaces, moves to the end
    journal.save();
    CHECK((fs::status(path).permissions() & fs::perms::all) == fs::perms(0600));
    const auto loaded = state::Journal::load(path);
    CHECK(loaded.warning().empty());
    REQUIRE(loaded.entries().size() == 2);
    CHECK(loaded.entries()[0] == state::JournalEntry{"vm/db/create", "h2", {}, "2026-01-01T00:00:01Z"});
    CHECK(loaded.entries()[1].id == "cluster/east/create");
    CHECK(loaded.entries()[1].inputs_hash == "h3");
    CHECK(loaded.find("vm/db/create") != nullptr);
    CHECK(loaded.find("nope") == nullptr);
  }

  SUBCASE("forget removes one step") {
    auto journal = state::Journal::load(path);
    journal.record({"a", "1", {}, ""});
    journal.record({"b", "2", {}, ""});
    journal.forget("a");
    journal.forget("not-there");
    REQUIRE(journal.entries().size() == 1);
    CHECK(journal.entries()[0].id == "b");
  }

  SUBCASE("a damaged journal is ignored with a warning naming it") {
    for (const std::string text : {"{not json", R"({"version": 7, "steps": []})", R"({"version": 1, "steps": [{"id": 3}]})"}) {
      CAPTURE(text);
      util::write_file_atomic(path, text);
      const auto journal = state::Journal::load(path);
      CHECK(journal.entries().empty());
      CHECK(journal.warning().find("ignoring the journal " + path.string()) == 0);
    }
  }

  SUBCASE("utc_now is RFC 3339 in UTC") {
    CHECK(std::regex_match(state::utc_now(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  }
}

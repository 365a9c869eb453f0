#include "render/written_files.hpp"

#include "support/temp_dir.hpp"
#include "util/file_identity.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <thread>

using namespace meshlab;
namespace fs = std::filesystem;

namespace {

// Ensures every (path, content) of `files` through a fresh WrittenFiles, as a render does;
// returns how many it wrote.
int render_files(const fs::path& out, const std::vector<std::pair<std::string, std::string>>& files,
                 fs::perms mode = fs::perms(0644)) {
  render::WrittenFiles written(out);
  written.expect(files.size());
  int wrote = 0;
  for (std::size_t i = 0; i < files.size(); ++i) wrote += written.ensure(i, files[i].first, files[i].second, mode);
  written.save();
  return wrote;
}

ino_t inode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

} // namespace

TEST_CASE("render::WrittenFiles") {
  test::TempDir out;
  const auto record = out / std::string(render::k_written_files_record);
  const std::vector<std::pair<std::string, std::string>> files{{"a/one.yaml", "one: 1\n"}, {"two.yaml", "two: 2\n"}};

  SUBCASE("writes what is missing or different, and nothing else") {
    CHECK(render_files(out.path(), files) == 2);
    CHECK(util::read_file(out / "a/one.yaml") == "one: 1\n");
    CHECK(render_files(out.path(), files) == 0);
    util::write_file_atomic(out / "two.yaml", "two: 3\n"); // a user's edit
    CHECK(render_files(out.path(), files) == 1);
    CHECK(util::read_file(out / "two.yaml") == "two: 2\n");
    fs::remove(out / "a/one.yaml");
    CHECK(render_files(out.path(), files) == 1);
    CHECK(render_files(out.path(), files, fs::perms(0600)) == 2); // same bytes, another mode
    CHECK((fs::status(out / "two.yaml").permissions() & fs::perms::all) == fs::perms(0600));
  }

  SUBCASE("a garbled or missing record only costs a byte comparison") {
    render_files(out.path(), files);
    util::write_file_atomic(record, "garbage\n");
    CHECK(render_files(out.path(), files) == 0);
    fs::remove(record);
    CHECK(render_files(out.path(), files) == 0);
    CHECK(fs::exists(record));
  }

  SUBCASE("settled files are trusted by identity; a record that disagrees is corrected") {
    render_files(out.path(), files);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100)); // util::stable_file_identity's window
    CHECK(render_files(out.path(), files) == 0);
    const auto text = util::read_file(record);
    CHECK(text.find(*util::stable_file_identity(out / "two.yaml") + " ") != std::string::npos);
    // Unchanged files: the record is left alone.
    const auto record_inode = inode_of(record);
    CHECK(render_files(out.path(), files) == 0);
    CHECK(inode_of(record) == record_inode);
    // A digest that does not match (say, new content of the same size) means reading the
    // file; here it holds the bytes already, so nothing is written but the record.
    auto spoiled = text;
    spoiled[spoiled.find(' ') + 1] = spoiled[spoiled.find(' ') + 1] == '0' ? '1' : '0';
    util::write_file_atomic(record, spoiled);
    CHECK(render_files(out.path(), files) == 0);
    CHECK(util::read_file(record) == text);
  }
}

// What meshlab last wrote (or found already right) in an output directory: each rendered
// file's identity on disk and a digest of its content and mode, so a re-render of an
// unchanged lab stats its thousands of files instead of reading each one back.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace meshlab::render {

class WrittenFiles {
public:
  // The record kept in `out_dir` (k_written_files_record). It is only a cache: a missing,
  // unreadable or garbled record reads as empty and every file is compared byte by byte.
  explicit WrittenFiles(std::filesystem::path out_dir);

  // Makes `out_dir / path` hold exactly `content` with `mode`, writing it (atomically)
  // only when it does not; true when it wrote. Skips reading the file when its identity
  // and the digest match the record. Safe to call from several threads for distinct paths
  // once `expect(count)` has sized the record; `index` is the file's slot in [0, count).
  bool ensure(std::size_t index, const std::string& path, std::string_view content, std::filesystem::perms mode);
  void expect(std::size_t count);

  // Writes the record back when a file's entry changed (or files left it).
  void save() const;

private:
  struct Entry {
    std::string path;
    std::string identity; // util::stable_file_identity, or "-" (none yet: compare bytes next time)
    std::string digest;   // of content and mode
    bool operator==(const Entry&) const = default;
  };

  std::filesystem::path m_out_dir;
  std::unordered_map<std::string, Entry> m_previous; // by path
  std::vector<Entry> m_current;                     // by index given to ensure
};

// Its file name in the output directory (hidden: index.json does not list it).
inline constexpr std::string_view k_written_files_record = ".written-files";

} // namespace meshlab::render

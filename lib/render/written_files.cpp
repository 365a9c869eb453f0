#include "render/written_files.hpp"

#include "util/error.hpp"
#include "util/file_identity.hpp"
#include "util/files.hpp"

#include <fmt/format.h>

#include <charconv>
#include <functional>

namespace meshlab::render {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_no_identity = "-";

// Not a cryptographic digest: it only has to tell a file's next content from its last
// one, and it runs over megabytes on every render. Size and mode ride along.
std::string digest_of(std::string_view content, fs::perms mode) {
  // By hand rather than with fmt: this runs for every rendered file.
  char buffer[64];
  char* end = std::to_chars(buffer, buffer + 24, std::hash<std::string_view>{}(content), 16).ptr;
  *end++ = '.';
  end = std::to_chars(end, buffer + 44, content.size()).ptr;
  *end++ = '.';
  end = std::to_chars(end, buffer + sizeof buffer, static_cast<unsigned>(mode), 8).ptr;
  return std::string(buffer, end);
}

} // namespace

WrittenFiles::WrittenFiles(fs::path out_dir) : m_out_dir(std::move(out_dir)) {
  std::string text;
  try {
    text = util::read_file(m_out_dir / k_written_files_record);
  } catch (const Error&) {
    return;
  }
  // One line per file: "<identity> <digest> <path>" (the path last: it is the only field
  // that could hold a blank).
  for (std::size_t start = 0; start < text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    const auto first = line.find(' ');
    const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos || second + 1 >= line.size()) {
      m_previous.clear(); // garbled: trust none of it
      return;
    }
    Entry entry{std::string(line.substr(second + 1)), std::string(line.substr(0, first)),
                std::string(line.substr(first + 1, second - first - 1))};
    m_previous.emplace(entry.path, std::move(entry));
  }
}

void WrittenFiles::expect(std::size_t count) { m_current.assign(count, Entry{}); }

bool WrittenFiles::ensure(std::size_t index, const std::string& path, std::string_view content, fs::perms mode) {
  const auto file = m_out_dir / path;
  auto& entry = m_current.at(index);
  entry.path = path;
  entry.digest = digest_of(content, mode);
  const auto identity = util::stable_file_identity(file);
  entry.identity = identity ? *identity : std::string(k_no_identity);
  if (const auto it = m_previous.find(path); it != m_previous.end() && identity && it->second == entry) return false;
  if (util::file_holds(file, content, mode)) return false; // right already (identity taken before the read)
  util::write_file_atomic(file, content, mode);
  entry.identity = std::string(k_no_identity); // just written: too recent to stand for the content
  return true;
}

void WrittenFiles::save() const {
  bool same = m_current.size() == m_previous.size();
  for (std::size_t i = 0; same && i < m_current.size(); ++i) {
    const auto it = m_previous.find(m_current[i].path);
    same = it != m_previous.end() && it->second == m_current[i];
  }
  if (same) return;
  std::string text;
  for (const auto& entry : m_current) text += fmt::format("{} {} {}\n", entry.identity, entry.digest, entry.path);
  util::write_file_atomic(m_out_dir / k_written_files_record, text);
}

} // namespace meshlab::render

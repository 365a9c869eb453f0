#include "util/files.hpp"

#include "util/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace meshlab::util {

namespace fs = std::filesystem;

// With read(2) into a string sized from fstat: a render reads thousands of small files
// (to leave unchanged ones alone), and a stream costs more than the reading itself.
std::string read_file(const fs::path& path) {
  const auto fail = [&path] { throw Error(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno))); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail();
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail();
  // The size is a hint: a file may change while it is read, and /proc files report 0.
  std::string content(st.st_size > 0 ? static_cast<std::size_t>(st.st_size) + 1 : 4096, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == content.size()) content.resize(content.size() * 2);
    const ssize_t n = ::read(fd, content.data() + used, content.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail();
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  content.resize(used);
  return content;
}

bool file_holds(const fs::path& path, std::string_view content, fs::perms mode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0777) != static_cast<mode_t>(mode) ||
      static_cast<std::size_t>(st.st_size) != content.size())
    return false;
  // One byte more than expected, to see a file that grew since the fstat.
  std::string held(content.size() + 1, '\0');
  std::size_t used = 0;
  while (used < held.size()) {
    const ssize_t n = ::read(fd, held.data() + used, held.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
  }
  return used == content.size() && std::string_view(held.data(), used) == content;
}

namespace {

// Closes the descriptor and removes the temporary file unless released.
class TempFile {
public:
  TempFile(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
  ~TempFile() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_path.empty()) ::unlink(m_path.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return m_fd; }
  const std::string& path() const { return m_path; }
  int close() {
    const int rc = ::close(m_fd);
    m_fd = -1;
    return rc;
  }
  void release() { m_path.clear(); }

private:
  int m_fd;
  std::string m_path;
};

[[noreturn]] void fail(const fs::path& path, const char* what) {
  throw Error(fmt::format("cannot write {}: {}: {}", path.string(), what, std::strerror(errno)));
}

} // namespace

void write_file_atomic(const fs::path& path, std::string_view content, fs::perms mode) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw Error(fmt::format("cannot create directory {}: {}", path.parent_path().string(), ec.message()));
  }
  std::string pattern = path.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(pattern.data()); // created 0600
  if (fd < 0) fail(path, "mkstemp");
  TempFile temp(fd, pattern);
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) fail(path, "fchmod");
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "write");
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail(path, "fsync");
  if (temp.close() != 0) fail(path, "close");
  if (::rename(temp.path().c_str(), path.c_str()) != 0) fail(path, "rename");
  temp.release();
}

} // namespace meshlab::util

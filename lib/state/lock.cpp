#include "state/lock.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace meshlab::state {

namespace fs = std::filesystem;

namespace {

// The pid the holder wrote, or nothing when it cannot be read (yet).
std::string holder_pid(int fd) {
  char buffer[32] = {};
  const auto n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return {};
  const std::string text(util::trim_end(std::string_view(buffer, static_cast<std::size_t>(n)), "\n "));
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return {};
  return text;
}

} // namespace

LabLock LabLock::acquire(const fs::path& state_dir, std::string_view lab_name) {
  const fs::path path = state_dir / k_lock_file;
  std::error_code error;
  fs::create_directories(state_dir, error);
  if (error) throw Error(fmt::format("cannot create the state directory {}: {}", state_dir.string(), error.message()));
  // O_CLOEXEC: a child that outlives meshlab (a daemon a tool starts) must not keep the lab locked.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("cannot open the lock file {}: {}", path.string(), std::strerror(errno)));
  int result = 0;
  do {
    result = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    const int flock_error = errno;
    const std::string pid = holder_pid(fd);
    ::close(fd);
    if (flock_error == EWOULDBLOCK) {
      const std::string holder = pid.empty() ? "another meshlab" : fmt::format("meshlab (pid {})", pid);
      throw Error(fmt::format("lab \"{}\" is busy: {} holds {}", lab_name, holder, path.string()));
    }
    throw Error(fmt::format("cannot lock {}: {}", path.string(), std::strerror(flock_error)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int write_error = errno;
    ::close(fd);
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(write_error)));
  }
  return LabLock(fd, path);
}

LabLock::LabLock(LabLock&& other) noexcept : m_fd(other.m_fd), m_path(std::move(other.m_path)) { other.m_fd = -1; }

LabLock& LabLock::operator=(LabLock&& other) noexcept {
  if (this != &other) {
    release();
    m_fd = other.m_fd;
    m_path = std::move(other.m_path);
    other.m_fd = -1;
  }
  return *this;
}

LabLock::~LabLock() { release(); }

void LabLock::release() {
  if (m_fd < 0) return;
  ::close(m_fd); // closing the only descriptor drops the flock
  m_fd = -1;
}

} // namespace meshlab::state

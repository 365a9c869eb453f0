// The lock on a lab's state directory: one launch or delete of a lab at a time, and a
// second one fails at once naming the process that holds it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace meshlab::state {

// Name of the lock file in the state directory.
inline constexpr std::string_view k_lock_file = "lock";

class LabLock {
public:
  // Takes an exclusive flock on `state_dir`/lock (creating both), without waiting, and
  // writes this process's pid into it. The lock ends with the object or the process, so a
  // crash never leaves a lab locked. Throws meshlab::Error
  //   lab "mesh" is busy: meshlab (pid 1234) holds /home/u/.local/state/meshlab/mesh/lock
  // when another process holds it, or naming the path when it cannot be created.
  static LabLock acquire(const std::filesystem::path& state_dir, std::string_view lab_name);

  LabLock(LabLock&& other) noexcept;
  LabLock& operator=(LabLock&& other) noexcept;
  LabLock(const LabLock&) = delete;
  LabLock& operator=(const LabLock&) = delete;
  ~LabLock();

  const std::filesystem::path& path() const { return m_path; }
  // Releases the lock early (the destructor does nothing afterwards).
  void release();

private:
  LabLock(int fd, std::filesystem::path path) : m_fd(fd), m_path(std::move(path)) {}
  int m_fd = -1;
  std::filesystem::path m_path;
};

} // namespace meshlab::state

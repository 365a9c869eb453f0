#include "measure.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <spawn.h>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace meshlab::bench {
namespace {

constexpr std::size_t k_capture_limit = 64 * 1024;

// An unnamed temporary file that takes a child's output; closed when it goes out of scope.
// O_CLOEXEC keeps it out of the child except where dup2 puts it on fd 1 or 2.
class CaptureFile {
public:
  CaptureFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "meshlab-bench-XXXXXX").string();
    m_fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (m_fd < 0) throw std::runtime_error(fmt::format("cannot create a temporary file: {}", std::strerror(errno)));
    ::unlink(pattern.c_str());
  }
  ~CaptureFile() { ::close(m_fd); }
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;

  int fd() const { return m_fd; }

  std::string read_back() const {
    std::string text(k_capture_limit, '\0');
    const auto n = ::pread(m_fd, text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return text;
  }

private:
  int m_fd = -1;
};

} // namespace

Run run_once(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("run_once needs a program");
  CaptureFile out;
  CaptureFile err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd(), STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(spawned)));

  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error(fmt::format("wait4 failed: {}", std::strerror(errno)));
  }
  const auto end = std::chrono::steady_clock::now();

  Run run;
  run.wall_ms = std::chrono::duration<double, std::milli>(end - start).count();
  const auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  run.cpu_ms = ms(usage.ru_utime) + ms(usage.ru_stime);
  run.peak_rss_mb = static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e6; // Linux reports KiB
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = out.read_back();
  run.err = err.read_back();
  return run;
}

Figures figures(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

} // namespace meshlab::bench

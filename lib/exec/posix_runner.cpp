#include "exec/posix_runner.hpp"

#include "exec/log.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <utility>

extern char** environ; // NOLINT: POSIX declares it nowhere

namespace meshlab::exec {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Owns one file descriptor.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  void reset() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

private:
  int m_fd = -1;
};

struct Pipe {
  Fd read, write;
};

// O_CLOEXEC from the start, so a child spawned by another thread never inherits our ends
// (which would keep a pipe open and hang the reader).
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(const Fd& fd) {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
}

// Writing to a pipe whose reader is gone raises SIGPIPE, which would kill meshlab. The
// signal is blocked in this thread while it runs a command, and one that was raised
// meanwhile is consumed, so nothing changes for the rest of the process.
class SigpipeBlocked {
public:
  SigpipeBlocked() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &m_old);
    m_was_pending = is_pending();
  }
  ~SigpipeBlocked() {
    if (!m_was_pending && is_pending()) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      const timespec no_wait{0, 0};
      ::sigtimedwait(&set, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
  static bool is_pending() {
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    return sigismember(&pending, SIGPIPE) == 1;
  }
  sigset_t m_old{};
  bool m_was_pending = false;
};

// The inherited environment with `cmd.env` added, as "NAME=value" strings.
std::vector<std::string> child_environment(const Command& cmd) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto name = text.substr(0, text.find('='));
    if (!cmd.env.contains(std::string(name))) result.emplace_back(text);
  }
  for (const auto& [name, value] : cmd.env) result.push_back(name + "=" + value);
  return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

std::string spawn_error(const std::string& program, int error) {
  if (error == ENOENT && program.find('/') == std::string::npos)
    return fmt::format("cannot run \"{}\": program not found on PATH; is it installed?", program);
  if (error == ENOENT) return fmt::format("cannot run \"{}\": no such file", program);
  if (error == EACCES) return fmt::format("cannot run \"{}\": permission denied (not executable?)", program);
  return fmt::format("cannot run \"{}\": {}", program, std::strerror(error));
}

// Starts the child as the leader of a new process group, with default signal dispositions
// and an empty signal mask whatever meshlab's threads have. Returns its pid.
pid_t spawn(const Command& cmd, const Pipe& out, const Pipe& err, const Pipe* in) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  if (in != nullptr) posix_spawn_file_actions_adddup2(&actions, in->read.get(), STDIN_FILENO);
  else posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);

  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP}) sigaddset(&defaults, sig);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_copy = cmd.argv;
  std::vector<std::string> env = child_environment(cmd);
  const auto argv_c = c_strings(argv_copy);
  const auto env_c = c_strings(env);
  pid_t pid = -1;
  const int error = ::posix_spawnp(&pid, argv_c[0], &actions, &attr, argv_c.data(), env_c.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (error != 0) throw Error(spawn_error(cmd.argv.front(), error));
  return pid;
}

pid_t wait_for(pid_t pid, int& status, int flags) {
  for (;;) {
    const pid_t result = ::waitpid(pid, &status, flags);
    if (result >= 0 || errno != EINTR) return result;
  }
}

// Appends what is readable now; closes `fd` at end of file (or on an error).
void drain(Fd& fd, std::string& text) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) fd.reset();
      return;
    }
  }
}

// Writes what the pipe takes now; closes `fd` when all is written or the reader is gone.
void feed(Fd& fd, const std::string& input, std::size_t& offset) {
  while (offset < input.size()) {
    const ssize_t n = ::write(fd.get(), input.data() + offset, input.size() - offset);
    if (n > 0) {
      offset += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      break; // EPIPE: the program does not read its input, which is its business
    }
  }
  fd.reset(); // end of file on the child's stdin
}

int exit_code_of(int status) {
  if (status == -1) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int poll_timeout(Clock::time_point now, Clock::time_point next_event, milliseconds cap) {
  const auto until = std::chrono::ceil<milliseconds>(next_event - now);
  return static_cast<int>(std::clamp(until, milliseconds(0), cap).count());
}

} // namespace

Completed PosixRunner::run(const Command& cmd) {
  if (cmd.argv.empty() || cmd.argv.front().empty()) throw Error("cannot run an empty command");
  util::throw_if_interrupted();
  const int interrupt_fd = util::interrupt_fd();
  if (cmd.log != nullptr) log_start(*cmd.log, cmd);

  const auto start = Clock::now();
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  std::optional<Pipe> in;
  if (cmd.input) in = make_pipe();
  const SigpipeBlocked sigpipe_blocked;
  pid_t pid = -1;
  try {
    pid = spawn(cmd, out, err, in ? &*in : nullptr);
  } catch (const Error& e) {
    if (cmd.log != nullptr) *cmd.log << e.what() << '\n' << std::flush;
    throw;
  }
  out.write.reset();
  err.write.reset();
  Fd input_fd;
  if (in) {
    in->read.reset();
    input_fd = std::move(in->write);
    set_nonblocking(input_fd);
  }
  set_nonblocking(out.read);
  set_nonblocking(err.read);

  enum class Phase { running, terminating, killed };
  enum class Reason { none, timeout, interrupt };
  Phase phase = Phase::running;
  Reason reason = Reason::none;
  const auto deadline = start + cmd.timeout;
  Clock::time_point kill_at{};
  std::size_t input_offset = 0;
  Completed completed;
  int status = 0;
  auto reap_backoff = milliseconds(1);

  for (;;) {
    const auto now = Clock::now();
    if (phase == Phase::running && (util::interrupted() || now >= deadline)) {
      reason = util::interrupted() ? Reason::interrupt : Reason::timeout;
      ::kill(-pid, SIGTERM); // the whole group: the program and whatever it started
      phase = Phase::terminating;
      kill_at = now + m_options.grace;
      input_fd.reset();
    }
    if (phase == Phase::terminating && now >= kill_at) {
      ::kill(-pid, SIGKILL);
      phase = Phase::killed;
      // Stop reading: a process that left the group must not keep us waiting for EOF.
      out.read.reset();
      err.read.reset();
    }
    const bool pipes_open = out.read || err.read;
    if (!pipes_open) {
      // Reap only now: until then the group id cannot be reused, so kill(-pid) is safe.
      const pid_t reaped = wait_for(pid, status, phase == Phase::killed ? 0 : WNOHANG);
      if (reaped == pid) break;
      if (reaped < 0) { // ECHILD: someone else reaped it (SIGCHLD ignored); the status is lost
        status = -1;
        break;
      }
    }

    std::vector<pollfd> fds;
    const auto watch = [&](const Fd& fd, short events) {
      if (fd) fds.push_back(pollfd{fd.get(), events, 0});
      return fd ? fds.size() - 1 : SIZE_MAX;
    };
    const auto out_index = watch(out.read, POLLIN);
    const auto err_index = watch(err.read, POLLIN);
    const auto in_index = watch(input_fd, POLLOUT);
    // Once terminating the interrupt pipe stays readable; watching it would spin.
    if (phase == Phase::running) fds.push_back(pollfd{interrupt_fd, POLLIN, 0});
    auto cap = milliseconds(500);
    if (!pipes_open) {
      cap = reap_backoff; // nothing to read: check on the process with a growing interval
      reap_backoff = std::min(reap_backoff * 2, milliseconds(50));
    }
    const int timeout = poll_timeout(now, phase == Phase::running ? deadline : kill_at, cap);
    if (::poll(fds.data(), fds.size(), timeout) < 0) continue; // EINTR: a signal, maybe ours

    const auto ready = [&](std::size_t index) { return index != SIZE_MAX && fds[index].revents != 0; };
    if (ready(out_index)) drain(out.read, completed.out);
    if (ready(err_index)) drain(err.read, completed.err);
    if (ready(in_index)) feed(input_fd, *cmd.input, input_offset);
  }

  completed.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  completed.exit_code = exit_code_of(status);
  completed.timed_out = reason == Reason::timeout;
  if (cmd.log != nullptr)
    log_finish(*cmd.log, cmd, completed, reason == Reason::interrupt ? Ending::interrupted : Ending::completed);
  if (reason == Reason::interrupt) throw Interrupted();
  return completed;
}

} // namespace meshlab::exec

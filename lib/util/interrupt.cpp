#include "util/interrupt.hpp"

#include "util/error.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <string>
#include <unistd.h>

namespace meshlab::util {

namespace {

// Lock-free atomics only: the signal handler reads them.
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_read_fd{-1};
std::atomic<int> g_write_fd{-1};
std::once_flag g_pipe_once;
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

void make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
    throw Error(std::string("cannot create the interrupt pipe: ") + std::strerror(errno));
  g_read_fd.store(fds[0]);
  g_write_fd.store(fds[1]);
}

} // namespace

bool interrupted() noexcept { return g_interrupted.load(); }

void throw_if_interrupted() {
  if (interrupted()) throw Interrupted();
}

void request_interrupt() noexcept {
  g_interrupted.store(true);
  const int fd = g_write_fd.load();
  if (fd < 0) return;
  const int saved_errno = errno;
  // A full pipe (EAGAIN) is fine: it is readable already, which is all that matters.
  [[maybe_unused]] const auto ignored = ::write(fd, "!", 1);
  errno = saved_errno;
}

void clear_interrupt() {
  // Flag first, then drain: an interrupt racing with this leaves the flag set, which
  // every waiter re-checks, rather than a readable pipe with the flag clear (a busy loop).
  g_interrupted.store(false);
  const int fd = interrupt_fd();
  char buffer[256];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
}

int interrupt_fd() {
  std::call_once(g_pipe_once, make_pipe);
  return g_read_fd.load();
}

bool sleep_for(std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  pollfd pfd{interrupt_fd(), POLLIN, 0};
  for (;;) {
    if (interrupted()) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    // request_interrupt() before interrupt_fd() existed sets only the flag: re-check it at
    // least every 100 ms so such an interrupt is still noticed.
    const auto slice = std::min<std::chrono::milliseconds::rep>(left.count(), 100);
    const int ready = ::poll(&pfd, 1, static_cast<int>(slice));
    if (ready < 0 && errno != EINTR) return !interrupted();
  }
}

} // namespace meshlab::util

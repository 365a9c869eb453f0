#include "util/wait.hpp"

#include "util/error.hpp"
#include "util/interrupt.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::util {

void wait_until_true(Clock::time_point deadline, std::chrono::milliseconds interval,
                     const std::function<bool()>& probe, std::string_view what) {
  using std::chrono::milliseconds;
  const auto start = Clock::now();
  const auto cap = std::max(interval, k_max_wait_interval);
  auto sleep = std::max(interval, milliseconds(1));
  for (;;) {
    throw_if_interrupted();
    if (probe()) return;
    const auto now = Clock::now();
    if (now >= deadline) {
      const auto waited = std::chrono::duration<double>(now - start).count();
      // Tenths only for short waits: "0.3s" says more than "0s", "120.4s" no more than "120s".
      throw Error(fmt::format("timed out after {:.{}f}s waiting for {}", waited, waited < 10 ? 1 : 0, what));
    }
    const auto left = std::chrono::ceil<milliseconds>(deadline - now);
    if (!sleep_for(std::min(sleep, left))) throw Interrupted();
    sleep = std::min(sleep * 2, cap);
  }
}

} // namespace meshlab::util

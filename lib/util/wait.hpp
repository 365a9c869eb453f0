// Readiness waits without fixed sleeps: probe, sleep a little longer each time (capped),
// stop at a deadline with a message saying what was awaited, and stop at once on Ctrl-C.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace meshlab::util {

using Clock = std::chrono::steady_clock;

// The sleep between probes starts at `interval` and doubles up to this cap (or stays at
// `interval` when that is longer), so a quick readiness is seen quickly and a slow one
// costs few probes.
inline constexpr std::chrono::milliseconds k_max_wait_interval{2000};

// Calls `probe` until it returns true, sleeping between calls (see k_max_wait_interval);
// the last probe runs at `deadline`. Exceptions from `probe` propagate.
// Throws meshlab::Error "timed out after Ns waiting for <what>" when the deadline passes,
// meshlab::Interrupted when interrupted (checked before each probe and while sleeping).
void wait_until_true(Clock::time_point deadline, std::chrono::milliseconds interval,
                     const std::function<bool()>& probe, std::string_view what);

// wait_until for a probe returning bool: see wait_until_true.
// For a probe returning std::optional<T>: waits until it holds a value and returns it.
template <typename Probe>
auto wait_until(Clock::time_point deadline, std::chrono::milliseconds interval, Probe&& probe,
                std::string_view what) {
  using Result = std::invoke_result_t<Probe&>;
  if constexpr (std::is_same_v<Result, bool>) {
    wait_until_true(deadline, interval, std::function<bool()>(std::forward<Probe>(probe)), what);
  } else {
    Result result;
    wait_until_true(
        deadline, interval,
        [&] {
          result = probe();
          return result.has_value();
        },
        what);
    return std::move(*result);
  }
}

} // namespace meshlab::util

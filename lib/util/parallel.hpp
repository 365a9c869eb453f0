// Runs the iterations of a loop side by side, for work whose items do not depend on each
// other: on the machine's cores (rendering thousands of files, checking them against the
// disk), or on a few threads that wait for tools (probes).
#pragma once

#include <cstddef>
#include <functional>

namespace meshlab::util {

// How many threads parallel_for uses for `count` items: up to hardware_concurrency (the
// calling thread is one of them), never more than one per `min_per_thread` items, so
// small loops stay on the calling thread.
std::size_t parallel_workers(std::size_t count, std::size_t min_per_thread);

// Calls `body(i, worker)` once for every i in [0, count); worker in [0,
// parallel_workers(count, min_per_thread)) names the thread, for state a thread keeps to
// itself. Each thread takes a contiguous block of indexes. If iterations throw, every
// thread still finishes its block and the exception of the lowest index is rethrown, so
// the error a user sees does not depend on timing.
void parallel_for(std::size_t count, std::size_t min_per_thread,
                  const std::function<void(std::size_t index, std::size_t worker)>& body);

// For work that mostly waits on a subprocess (status and verify probes), not on a core:
// calls `body(i)` for every i in [0, count) on up to `jobs` threads whatever the cores
// (the calling thread is one), each taking the next index as it frees up. Same error rule
// as parallel_for: every call runs, then the exception of the lowest index is rethrown.
void run_tasks(std::size_t count, std::size_t jobs, const std::function<void(std::size_t index)>& body);

} // namespace meshlab::util

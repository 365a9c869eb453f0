// Runs the iterations of a loop on the machine's cores, for work whose items do not
// depend on each other (rendering thousands of files, checking them against the disk).
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

} // namespace meshlab::util

// Runs independent probes side by side on a few threads, so `meshlab status` costs one
// round of calls however large the lab is. Not util::parallel_for (main): that one is for
// CPU-bound loops, at most one thread per core in fixed blocks; a probe mostly waits for a
// tool, so here more tasks than cores run at once and each thread takes the next task.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace meshlab::status {

// Runs every task, at most `workers` at a time, and returns when all have finished. A task
// that throws does not stop the others; the first exception is rethrown at the end (tasks
// catch their own failures; what escapes is Interrupted or a bug).
void run_parallel(const std::vector<std::function<void()>>& tasks, std::size_t workers);

} // namespace meshlab::status

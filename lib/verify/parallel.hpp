// Runs independent probes side by side with a small, fixed number of threads, keeping
// the results in input order so the report reads the same on every run.
#pragma once

#include "util/parallel.hpp"

#include <cstddef>
#include <functional>
#include <vector>

namespace meshlab::verify {

// How many probes verify runs at once, per level (checks, clusters within a check): the
// tools are cheap to run but each kubectl holds a connection, and labs are small.
inline constexpr std::size_t k_parallel_jobs = 4;

// Calls `work(i)` for every i in [0, count) on up to `jobs` threads and returns the
// results in index order. If a call throws, the first exception (by index) is rethrown
// once every call has finished.
template <typename T>
std::vector<T> parallel_map(std::size_t count, std::size_t jobs, const std::function<T(std::size_t)>& work) {
  std::vector<T> out(count);
  util::run_tasks(count, jobs, [&](std::size_t i) { out[i] = work(i); });
  return out;
}

} // namespace meshlab::verify

// Runs independent probes side by side with a small, fixed number of threads, keeping
// the results in input order so the report reads the same on every run.
#pragma once

#include <cstddef>
#include <exception>
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
std::vector<T> parallel_map(std::size_t count, std::size_t jobs, const std::function<T(std::size_t)>& work);

// Type-erased core of parallel_map: runs `work(i)` for each index, storing nothing.
void run_parallel(std::size_t count, std::size_t jobs, const std::function<void(std::size_t)>& work);

template <typename T>
std::vector<T> parallel_map(std::size_t count, std::size_t jobs, const std::function<T(std::size_t)>& work) {
  std::vector<T> out(count);
  std::vector<std::exception_ptr> errors(count);
  run_parallel(count, jobs, [&](std::size_t i) {
    try {
      out[i] = work(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  return out;
}

} // namespace meshlab::verify

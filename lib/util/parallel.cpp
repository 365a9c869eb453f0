#include "util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace meshlab::util {

namespace {

struct Failure {
  std::size_t index = 0;
  std::exception_ptr error;
};

// Runs body over [begin, end) and returns the first failure in that block, if any.
Failure run_block(std::size_t begin, std::size_t end, std::size_t worker,
                  const std::function<void(std::size_t, std::size_t)>& body) {
  Failure failure{end, nullptr};
  for (std::size_t i = begin; i < end; ++i) {
    try {
      body(i, worker);
    } catch (...) {
      if (!failure.error) failure = {i, std::current_exception()};
    }
  }
  return failure;
}

} // namespace

std::size_t parallel_workers(std::size_t count, std::size_t min_per_thread) {
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::clamp<std::size_t>(count / std::max<std::size_t>(min_per_thread, 1), 1, cores);
}

void parallel_for(std::size_t count, std::size_t min_per_thread,
                  const std::function<void(std::size_t, std::size_t)>& body) {
  const std::size_t threads = parallel_workers(count, min_per_thread);
  std::vector<Failure> failures(threads);
  const std::size_t block = (count + threads - 1) / threads;
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 1; t < threads; ++t) {
      const std::size_t begin = std::min(count, t * block), end = std::min(count, begin + block);
      workers.emplace_back([&failures, &body, t, begin, end] { failures[t] = run_block(begin, end, t, body); });
    }
    failures[0] = run_block(0, std::min(count, block), 0, body);
  } // joins the workers
  for (const auto& failure : failures) // blocks are in index order
    if (failure.error) std::rethrow_exception(failure.error);
}

void run_tasks(std::size_t count, std::size_t jobs, const std::function<void(std::size_t)>& body) {
  std::vector<std::exception_ptr> errors(count);
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (auto i = next++; i < count; i = next++) {
      try {
        body(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 1; t < std::min(count, std::max<std::size_t>(jobs, 1)); ++t) workers.emplace_back(work);
    work();
  } // joins the workers
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
}

} // namespace meshlab::util

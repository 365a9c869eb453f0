#include "status/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace meshlab::status {

void run_parallel(const std::vector<std::function<void()>>& tasks, std::size_t workers) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::exception_ptr first;
  const auto work = [&] {
    for (auto i = next++; i < tasks.size(); i = next++) {
      try {
        tasks[i]();
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!first) first = std::current_exception();
      }
    }
  };
  const auto count = std::clamp<std::size_t>(workers, 1, std::max<std::size_t>(tasks.size(), 1));
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < count; ++i) threads.emplace_back(work);
  work(); // the calling thread is one of the workers
  for (auto& thread : threads) thread.join();
  if (first) std::rethrow_exception(first);
}

} // namespace meshlab::status

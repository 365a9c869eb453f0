#include "verify/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

namespace meshlab::verify {

void run_parallel(std::size_t count, std::size_t jobs, const std::function<void(std::size_t)>& work) {
  const auto threads = std::min(count, std::max<std::size_t>(jobs, 1));
  if (threads <= 1) {
    for (std::size_t i = 0; i < count; ++i) work(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (auto i = next++; i < count; i = next++) work(i);
    });
}

} // namespace meshlab::verify

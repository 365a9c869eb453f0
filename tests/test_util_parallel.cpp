#include "util/parallel.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using meshlab::util::parallel_for;
using meshlab::util::parallel_workers;
using meshlab::util::run_tasks;

TEST_CASE("util::parallel") {
  SUBCASE("every index runs exactly once, on no more workers than announced") {
    constexpr std::size_t count = 10'000;
    std::vector<std::atomic<int>> hits(count);
    const auto workers = parallel_workers(count, 100);
    std::atomic<std::size_t> highest_worker = 0;
    parallel_for(count, 100, [&](std::size_t i, std::size_t worker) {
      ++hits[i];
      auto seen = highest_worker.load();
      while (worker > seen && !highest_worker.compare_exchange_weak(seen, worker)) {}
    });
    for (const auto& hit : hits) CHECK(hit == 1);
    CHECK(highest_worker < workers);
    CHECK(workers <= std::max(1u, std::thread::hardware_concurrency()));
  }
  SUBCASE("small loops stay on the calling thread") {
    CHECK(parallel_workers(10, 256) == 1);
    CHECK(parallel_workers(0, 256) == 1);
    const auto caller = std::this_thread::get_id();
    bool elsewhere = false;
    parallel_for(10, 256, [&](std::size_t, std::size_t) { elsewhere |= std::this_thread::get_id() != caller; });
    CHECK_FALSE(elsewhere);
  }
  SUBCASE("the error of the lowest failing index wins, whatever the timing") {
    for (int round = 0; round < 20; ++round) {
      std::atomic<int> ran = 0;
      try {
        parallel_for(4000, 10, [&](std::size_t i, std::size_t) {
          ++ran;
          if (i == 3999 || i == 1500 || i == 2500) throw std::runtime_error(std::to_string(i));
        });
        FAIL("no exception");
      } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "1500");
      }
      CHECK(ran == 4000); // a failure does not abandon the other items
    }
  }
}

TEST_CASE("util::run_tasks") {
  SUBCASE("runs `jobs` tasks at once whatever the cores, each index once") {
    std::atomic<int> running = 0, most = 0;
    std::vector<std::atomic<int>> hits(12);
    run_tasks(hits.size(), 6, [&](std::size_t i) {
      const int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {}
      std::this_thread::sleep_for(std::chrono::milliseconds(50)); // a probe waiting on a tool
      --running;
      ++hits[i];
    });
    for (const auto& hit : hits) CHECK(hit == 1);
    CHECK(most == 6);
  }
  SUBCASE("every task runs; the error of the lowest failing index is rethrown") {
    std::atomic<int> ran = 0;
    try {
      run_tasks(20, 4, [&](std::size_t i) {
        ++ran;
        if (i == 17 || i == 5) throw std::runtime_error(std::to_string(i));
      });
      FAIL("no exception");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "5");
    }
    CHECK(ran == 20);
  }
  SUBCASE("no tasks, no threads") { run_tasks(0, 4, [](std::size_t) { FAIL("called"); }); }
}

#include "util/memo.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

using meshlab::Error;
using meshlab::Interrupted;
using meshlab::util::Memo;

namespace {

// A gate a computation waits at until the test opens it.
class Gate {
public:
  void open() {
    const std::lock_guard lock(m_mutex);
    m_open = true;
    m_cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_open; });
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_open = false;
};

} // namespace

TEST_CASE("util::Memo") {
  Memo<int> memo;
  std::atomic<int> computed{0};
  const auto count = [&](int value) {
    return [&computed, value] {
      ++computed;
      return value;
    };
  };

  SUBCASE("computed once, the same answer for later askers; keys are apart") {
    CHECK(memo.get("a", count(1)) == 1);
    CHECK(memo.get("a", count(2)) == 1);
    CHECK(memo.get("b", count(3)) == 3);
    CHECK(computed == 2);
  }

  SUBCASE("askers that come while it is computed wait for that computation") {
    Gate started, release;
    std::thread first([&] {
      CHECK(memo.get("a", [&] {
        started.open();
        release.wait();
        ++computed;
        return 7;
      }) == 7);
    });
    started.wait();
    std::thread second([&] { CHECK(memo.get("a", count(8)) == 7); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // second is waiting now, not computing
    CHECK(computed == 0);
    release.open();
    first.join();
    second.join();
    CHECK(computed == 1);
  }

  SUBCASE("an error is the answer for every asker") {
    const auto fail = [&]() -> int {
      ++computed;
      throw Error("docker: cannot connect");
    };
    CHECK_THROWS_WITH_AS(memo.get("a", fail), "docker: cannot connect", Error);
    CHECK_THROWS_WITH_AS(memo.get("a", count(1)), "docker: cannot connect", Error);
    CHECK(computed == 1);
  }

  SUBCASE("Ctrl-C is passed on but not kept") {
    CHECK_THROWS_AS(memo.get("a", []() -> int { throw Interrupted(); }), Interrupted);
    CHECK(memo.get("a", count(4)) == 4);
  }

  SUBCASE("forget: every key is computed again") {
    memo.get("a", count(1));
    memo.get("b", count(2));
    memo.forget();
    CHECK(memo.get("a", count(5)) == 5);
    CHECK(memo.get("b", count(6)) == 6);
    CHECK(computed == 4);
  }

  SUBCASE("forget during a computation: its askers get it, later askers compute afresh") {
    Gate started, release;
    std::thread first([&] {
      CHECK(memo.get("a", [&] {
        started.open();
        release.wait();
        return 1; // read before the world changed
      }) == 1);
    });
    started.wait();
    memo.forget(); // a step changed the world meanwhile
    release.open();
    first.join();
    CHECK(memo.get("a", count(2)) == 2);
  }
}

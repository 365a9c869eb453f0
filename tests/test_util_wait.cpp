#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/wait.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using namespace std::chrono_literals;

TEST_CASE("util::wait_until") {
  util::clear_interrupt();
  int probes = 0;

  SUBCASE("returns once the probe says ready") {
    util::wait_until(util::Clock::now() + 5s, 1ms, [&] { return ++probes == 3; }, "three probes");
    CHECK(probes == 3);
  }
  SUBCASE("an optional probe's value is returned") {
    const auto address = util::wait_until(util::Clock::now() + 5s, 1ms, [&]() -> std::optional<std::string> {
      if (++probes < 2) return std::nullopt;
      return "127.0.0.5";
    }, "an address");
    CHECK(address == "127.0.0.5");
  }
  SUBCASE("probes at least once, even past the deadline") {
    util::wait_until(util::Clock::now() - 1s, 1ms, [&] { return ++probes == 1; }, "x");
    CHECK(probes == 1);
  }
  SUBCASE("the timeout says what was awaited") {
    CHECK_THROWS_WITH_AS(util::wait_until(util::Clock::now() + 300ms, 50ms, [&] { return ++probes < 0; },
                                          "nodes of mesh-east to be Ready"),
                         doctest::Contains("waiting for nodes of mesh-east to be Ready"), Error);
    CHECK_THROWS_WITH_AS(util::wait_until(util::Clock::now() + 100ms, 50ms, [] { return false; }, "x"),
                         doctest::Contains("timed out after 0."), Error);
    CHECK(probes >= 2); // the first probe, and the one at the deadline
  }
  SUBCASE("the probe's own errors propagate") {
    CHECK_THROWS_WITH_AS(util::wait_until(util::Clock::now() + 5s, 1ms, []() -> bool { throw Error("bad json"); }, "x"),
                         "bad json", Error);
  }
  SUBCASE("an interrupt ends the wait") {
    CHECK_THROWS_AS(util::wait_until(util::Clock::now() + 60s, 10s,
                                     [&] {
                                       util::request_interrupt();
                                       return false;
                                     },
                                     "something slow"),
                    Interrupted);
  }
  util::clear_interrupt();
}

TEST_CASE("util::sleep_for") {
  util::clear_interrupt();
  CHECK(util::sleep_for(1ms));
  util::request_interrupt();
  CHECK_FALSE(util::sleep_for(60s)); // returns at once: the test would hang otherwise
  util::clear_interrupt();
  CHECK_FALSE(util::interrupted());
}

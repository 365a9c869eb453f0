#include "exec/interrupt.hpp"
#include "exec/posix_runner.hpp"
#include "exec/quote.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/wait.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace meshlab;
using namespace std::chrono_literals;
using exec::Command;

namespace {

// /bin/sh is the program under test here, never a way of running meshlab's commands.
Command sh(const std::string& script) { return Command{.argv = {"/bin/sh", "-c", script}}; }

// True while `pid` runs; a zombie nobody reaped yet counts as gone.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto state = line.find(") ");
  return state == std::string::npos || line.at(state + 2) != 'Z';
}

// The pid a test script wrote to `path` with `echo $! > path`, once it is there.
pid_t read_pid(const std::filesystem::path& path) {
  return util::wait_until(util::Clock::now() + 5s, 10ms, [&]() -> std::optional<pid_t> {
    std::ifstream in(path);
    std::string text;
    if (!std::getline(in, text) || text.empty()) return std::nullopt;
    return static_cast<pid_t>(std::stol(text));
  }, "the script to write its background pid");
}

void wait_gone(pid_t pid) {
  CAPTURE(pid);
  CHECK_NOTHROW(util::wait_until(util::Clock::now() + 5s, 10ms, [&] { return !alive(pid); }, "the grandchild to exit"));
}

} // namespace

TEST_CASE("exec::PosixRunner") {
  exec::PosixRunner runner;

  SUBCASE("exit status, stdout and stderr kept apart") {
    const auto done = runner.run(sh("echo out; echo err >&2; exit 3"));
    CHECK(done.exit_code == 3);
    CHECK(done.out == "out\n");
    CHECK(done.err == "err\n");
    CHECK_FALSE(done.timed_out);
    CHECK(runner.run(sh("true")).exit_code == 0);
  }
  SUBCASE("a program killed by a signal reports 128 + the signal") {
    CHECK(runner.run(sh("kill -KILL $$")).exit_code == 128 + SIGKILL);
  }
  SUBCASE("argv words reach the program unchanged: no shell in between") {
    const std::string hostile = "$(touch /tmp/meshlab-pwned) `id`; rm -rf / 'x' \"y\"\n";
    const auto done = runner.run(Command{.argv = {"printf", "%s", hostile}});
    CHECK(done.out == hostile);
  }
  SUBCASE("stdin gets the input, or /dev/null without one") {
    CHECK(runner.run(Command{.argv = {"cat"}, .input = "user-data\n"}).out == "user-data\n");
    const auto no_input = runner.run(Command{.argv = {"cat"}, .timeout = 5s});
    CHECK(no_input.out.empty());
    CHECK_FALSE(no_input.timed_out);
  }
  SUBCASE("env is added to the inherited environment") {
    auto cmd = sh("printf '%s|%s' \"$MESHLAB_TEST_VALUE\" \"$PATH\"");
    cmd.env["MESHLAB_TEST_VALUE"] = "a b'c";
    CHECK(runner.run(cmd).out == std::string("a b'c|") + std::getenv("PATH"));
  }
  SUBCASE("more output than a pipe holds, on both streams, and as much input") {
    const auto big = runner.run(sh("head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2"));
    CHECK(big.out.size() == 1048576);
    CHECK(big.err.size() == 1048576);
    const std::string input(1048576, 'x');
    CHECK(runner.run(Command{.argv = {"cat"}, .input = input}).out == input);
  }
  SUBCASE("a program that does not read its input is not an error") {
    CHECK(runner.run(Command{.argv = {"true"}, .input = std::string(1048576, 'x')}).exit_code == 0);
  }
  SUBCASE("a missing program is an error naming it") {
    CHECK_THROWS_WITH_AS(runner.run(Command{.argv = {"meshlab-no-such-program"}}),
                         doctest::Contains("\"meshlab-no-such-program\": program not found on PATH"), Error);
    CHECK_THROWS_AS(runner.run(Command{}), Error);
  }
}

TEST_CASE("exec::PosixRunner timeout") {
  test::TempDir dir;
  const auto pid_file = dir / "grandchild.pid";

  SUBCASE("terminates the whole process group, grandchildren included") {
    exec::PosixRunner runner;
    auto cmd = sh("sleep 100 & echo $! > " + exec::quote(pid_file.string()) + "; wait");
    cmd.timeout = 500ms;
    const auto done = runner.run(cmd);
    CHECK(done.timed_out);
    CHECK(done.exit_code == 128 + SIGTERM);
    wait_gone(read_pid(pid_file));
  }
  SUBCASE("a group that ignores SIGTERM is killed after the grace period") {
    exec::PosixRunner runner({.grace = 300ms});
    auto cmd = sh("trap '' TERM; sleep 100");
    cmd.timeout = 300ms;
    const auto done = runner.run(cmd);
    CHECK(done.timed_out);
    CHECK(done.exit_code == 128 + SIGKILL);
  }
}

TEST_CASE("exec::PosixRunner interrupt") {
  test::TempDir dir;
  const auto pid_file = dir / "grandchild.pid";
  exec::PosixRunner runner;
  util::clear_interrupt();

  SUBCASE("SIGINT terminates the running group and the run reports Interrupted") {
    const exec::InterruptHandlers handlers;
    auto cmd = sh("sleep 100 & echo $! > " + exec::quote(pid_file.string()) + "; wait");
    cmd.timeout = 20s; // a bound should the interrupt get lost; never reached
    std::ostringstream log;
    cmd.log = &log;
    bool interrupted = false;
    std::jthread worker([&] {
      try {
        runner.run(cmd);
      } catch (const Interrupted&) {
        interrupted = true;
      }
    });
    const pid_t grandchild = read_pid(pid_file);
    REQUIRE(::raise(SIGINT) == 0);
    worker.join();
    CHECK(interrupted);
    CHECK(exec::interrupted());
    util::clear_interrupt(); // wait_gone waits, and waits honour the flag
    wait_gone(grandchild);
    CHECK(log.str().find("interrupted after") != std::string::npos);
  }
  SUBCASE("nothing starts once interrupted") {
    util::request_interrupt();
    CHECK_THROWS_AS(runner.run(sh("touch " + exec::quote((dir / "ran").string()))), Interrupted);
    CHECK_FALSE(std::filesystem::exists(dir / "ran"));
  }
  util::clear_interrupt();
}

TEST_CASE("exec::PosixRunner log") {
  exec::PosixRunner runner;
  std::ostringstream log;

  SUBCASE("command line, input, status and output") {
    auto cmd = sh("cat; echo oops >&2; exit 2");
    cmd.input = "hello\n";
    cmd.log = &log;
    runner.run(cmd);
    CHECK(log.str().starts_with("$ /bin/sh -c 'cat; echo oops >&2; exit 2'\n"));
    CHECK(log.str().find("stdin (6 bytes):\nhello\n") != std::string::npos);
    CHECK(log.str().find("exit status 2 after") != std::string::npos);
    CHECK(log.str().find("stdout:\nhello\n") != std::string::npos);
    CHECK(log.str().find("stderr:\noops\n") != std::string::npos);
  }
  SUBCASE("secrets are redacted") {
    auto cmd = Command{.argv = {"cat"}, .input = "s3cr3t-token", .secret_input = true, .secret_output = true};
    cmd.log = &log;
    CHECK(runner.run(cmd).out == "s3cr3t-token");
    CHECK(log.str().find("s3cr3t") == std::string::npos);
    CHECK(log.str().find("stdin: <12 bytes redacted>") != std::string::npos);
    CHECK(log.str().find("stdout: <12 bytes redacted>") != std::string::npos);
  }
}

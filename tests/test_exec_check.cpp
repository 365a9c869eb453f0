#include "exec/check.hpp"
#include "exec/dry_run_runner.hpp"
#include "exec/quote.hpp"
#include "support/recording_runner.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace meshlab;
using exec::Command;
using exec::Completed;
using test::Argv;
using test::RecordingRunner;

TEST_CASE("exec::quote") {
  CHECK(exec::quote(Argv{"kubectl", "--context", "kind-mesh-east", "get", "pods", "-o", "json"}) ==
        "kubectl --context kind-mesh-east get pods -o json");
  CHECK(exec::quote(Argv{"echo", "", "a b", "it's", "$HOME", "x;y"}) == "echo '' 'a b' 'it'\\''s' '$HOME' 'x;y'");
  CHECK(exec::quote(Argv{"printf", "a\nb\t'c'"}) == "printf $'a\\nb\\t\\'c\\''");
  CHECK(exec::quote(std::string_view("user@host:/path,x=1+2%")) == "user@host:/path,x=1+2%");
}

TEST_CASE("exec::check") {
  RecordingRunner runner;
  runner.on({"helm", "upgrade"}, Completed{.exit_code = 1, .out = "stdout\n", .err = "line 1\nError: boom\n"});
  runner.on({"kind", "get"}, Completed{.exit_code = 2, .out = "only stdout\n"});
  runner.on({"kubectl", "get", "secret"}, Completed{.exit_code = 1, .out = "token\n"});
  runner.on({"slow"}, Completed{.exit_code = 143, .timed_out = true});

  SUBCASE("success returns what the command printed") {
    runner.on({"kind", "version"}, Completed{.out = "kind v0.20.0\n"});
    CHECK(exec::check(runner, Command{.argv = {"kind", "version"}}).out == "kind v0.20.0\n");
  }
  SUBCASE("a non-zero exit is a CommandError with argv, status and stderr's last lines") {
    try {
      exec::check(runner, Command{.argv = {"helm", "upgrade"}});
      FAIL("no exception");
    } catch (const CommandError& e) {
      CHECK(std::string(e.what()) == "helm exited with status 1 after 0s");
      CHECK(e.argv() == Argv{"helm", "upgrade"});
      CHECK(e.exit_code() == 1);
      CHECK(e.output() == "line 1\nError: boom");
      CHECK(exec::describe(e) == "  command: helm upgrade\n  output (last 2 lines):\n    line 1\n    Error: boom\n");
    }
  }
  SUBCASE("stdout stands in for an empty stderr, unless it is secret") {
    CHECK_THROWS_WITH_AS(exec::check(runner, Command{.argv = {"kind", "get"}}), "kind exited with status 2 after 0s",
                         CommandError);
    try {
      exec::check(runner, Command{.argv = {"kind", "get"}});
    } catch (const CommandError& e) {
      CHECK(e.output() == "only stdout");
    }
    try {
      exec::check(runner, Command{.argv = {"kubectl", "get", "secret"}, .secret_output = true});
    } catch (const CommandError& e) {
      CHECK(e.output().empty());
      CHECK(exec::describe(e) == "  command: kubectl get secret\n");
    }
  }
  SUBCASE("a timeout is a CommandError even with status 0") {
    CHECK_THROWS_WITH_AS(exec::check(runner, Command{.argv = {"slow"}}), doctest::Contains("slow timed out"),
                         CommandError);
  }
}

TEST_CASE("exec::last_lines") {
  CHECK(exec::last_lines("a\nb\nc\n", 2) == "b\nc");
  CHECK(exec::last_lines("a\nb\nc", 5) == "a\nb\nc");
  CHECK(exec::last_lines("", 3).empty());
  CHECK(exec::last_lines("a\nb", 0).empty());
}

TEST_CASE("exec::DryRunRunner") {
  std::ostringstream out;
  exec::DryRunRunner runner(out);
  const auto done = runner.run(Command{.argv = {"multipass", "launch", "--name", "mesh db", "--cloud-init", "-"},
                                       .input = "secret", .secret_input = true});
  CHECK(done.exit_code == 0);
  CHECK(done.out.empty());
  CHECK(out.str() == "multipass launch --name 'mesh db' --cloud-init -  # stdin: 6 bytes\n");
}

TEST_CASE("test::RecordingRunner") {
  RecordingRunner runner;

  SUBCASE("unscripted commands succeed and are recorded with everything") {
    const auto done = runner.run(Command{.argv = {"kind", "get", "clusters"}, .input = "in"});
    CHECK(done.exit_code == 0);
    CHECK(runner.argvs() == std::vector<Argv>{{"kind", "get", "clusters"}});
    CHECK(runner.calls().back().input == "in");
  }
  SUBCASE("exact argv before the longest prefix") {
    runner.on_prefix({"kubectl"}, Completed{.out = "short"});
    runner.on_prefix({"kubectl", "get"}, Completed{.out = "long"});
    runner.on({"kubectl", "get", "nodes"}, Completed{.out = "exact"});
    CHECK(runner.run(Command{.argv = {"kubectl", "get", "nodes"}}).out == "exact");
    CHECK(runner.run(Command{.argv = {"kubectl", "get", "pods"}}).out == "long");
    CHECK(runner.run(Command{.argv = {"kubectl", "apply"}}).out == "short");
    CHECK(runner.run(Command{.argv = {"helm"}}).out.empty());
    CHECK(runner.count({"kubectl", "get"}) == 2);
  }
  SUBCASE("queued results are taken in turn and the last repeats") {
    runner.on({"probe"}, Completed{.exit_code = 1});
    runner.on({"probe"}, Completed{.exit_code = 0, .out = "ready"});
    CHECK(runner.run(Command{.argv = {"probe"}}).exit_code == 1);
    CHECK(runner.run(Command{.argv = {"probe"}}).out == "ready");
    CHECK(runner.run(Command{.argv = {"probe"}}).out == "ready");
  }
  SUBCASE("a handler sees the command") {
    runner.on({"cat"}, [](const Command& cmd) { return Completed{.out = cmd.input.value_or("")}; });
    CHECK(runner.run(Command{.argv = {"cat"}, .input = "echo"}).out == "echo");
  }
}

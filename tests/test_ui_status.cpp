#include "ui/make_status.hpp"
#include "ui/plain_status.hpp"
#include "ui/terminal_status.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace meshlab;
using namespace std::chrono_literals;
using ui::Outcome;

namespace {

std::size_t occurrences(const std::string& text, std::string_view what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

} // namespace

TEST_CASE("ui::format_duration") {
  CHECK(ui::format_duration(0ms) == "0.0s");
  CHECK(ui::format_duration(300ms) == "0.3s");
  CHECK(ui::format_duration(9'940ms) == "9.9s");
  CHECK(ui::format_duration(48'000ms) == "48s");
  CHECK(ui::format_duration(72'000ms) == "1m12s");
  CHECK(ui::format_duration(3'725'000ms) == "1h02m");
}

TEST_CASE("ui::PlainStatus") {
  std::ostringstream out;
  ui::PlainStatus status(out);
  status.begin(4);
  status.step_started("vm/db", "Creating VM mesh-db");
  status.step_finished("vm/db", "Creating VM mesh-db", Outcome::done, 48s);
  status.step_finished("cluster/east", "Creating cluster mesh-east", Outcome::already_done, 0ms);
  status.step_finished("istio/east", "Installing Istio on east", Outcome::failed, 41s);
  status.step_finished("argocd", "Installing Argo CD", Outcome::interrupted, 3s);
  status.info("Argo CD: https://127.0.0.1:8443");
  status.warn("cluster east has no zone");
  status.end();
  CHECK(out.str() == " • Creating VM mesh-db\n"
                     " ✓ Creating VM mesh-db (48s)\n"
                     " ✓ Creating cluster mesh-east (already done)\n"
                     " ✗ Installing Istio on east (41s)\n"
                     " ✗ Installing Argo CD (interrupted after 3.0s)\n"
                     "Argo CD: https://127.0.0.1:8443\n"
                     "warning: cluster east has no zone\n");
  CHECK(out.str().find('\x1b') == std::string::npos);
  CHECK(out.str().find('\r') == std::string::npos);
}

TEST_CASE("ui::TerminalStatus") {
  std::ostringstream out;
  ui::TerminalStatus::Options options;
  options.animation = ui::Animation::off;
  options.width = 100;

  SUBCASE("one live line rewritten in place; finished steps become permanent lines") {
    {
      ui::TerminalStatus status(out, options);
      status.begin(14);
      status.step_started("cluster/west", "Creating cluster mesh-west");
      status.step_started("argocd", "Installing Argo CD");
      status.step_finished("vm/db", "Creating VM mesh-db", Outcome::done, 48s);
      status.end();
    }
    const auto text = out.str();
    CHECK(text.find("\r ⠋ [0/14] Creating cluster mesh-west (") != std::string::npos);
    CHECK(text.find("\r ⠋ [0/14] Creating cluster mesh-west, Installing Argo CD (") != std::string::npos);
    CHECK(text.find("\r\x1b[K ✓ Creating VM mesh-db (48s)\n\r ⠋ [1/14] Creating cluster mesh-west, Installing Argo CD (") !=
          std::string::npos);
    CHECK(text.ends_with("\r\x1b[K"));
    // Plain colours: no SGR sequence ("\x1b[...m") anywhere.
    CHECK(text.find("\x1b[3") == std::string::npos);
    CHECK(text.find("\x1b[0m") == std::string::npos);
  }
  SUBCASE("colour marks success and failure when allowed") {
    options.colour = ui::Colour::on;
    ui::TerminalStatus status(out, options);
    status.begin(2);
    status.step_finished("a", "A", Outcome::done, 1s);
    status.step_finished("b", "B", Outcome::failed, 1s);
    status.warn("w");
    CHECK(out.str().find(" \x1b[32m✓\x1b[0m A (1.0s)\n") != std::string::npos);
    CHECK(out.str().find(" \x1b[31m✗\x1b[0m B (1.0s)\n") != std::string::npos);
    CHECK(out.str().find("\x1b[33mwarning:\x1b[0m w\n") != std::string::npos);
  }
  SUBCASE("running titles are elided to the terminal width") {
    options.width = 40;
    ui::TerminalStatus status(out, options);
    status.begin(3);
    status.step_started("a", "Creating cluster mesh-west-with-a-long-name");
    status.step_started("b", "Installing Argo CD");
    const auto text = out.str();
    const auto last = text.substr(text.rfind('\r') + 1);
    const auto line = last.substr(0, last.find("\x1b[K"));
    CAPTURE(line);
    CHECK(ui::columns_of(line) == 39);
    CHECK(line.find("…") != std::string::npos);
    CHECK(line.starts_with(" ⠋ [0/3] Creating cluster"));
  }
  SUBCASE("the spinner turns while steps run") {
    options.animation = ui::Animation::on;
    ui::TerminalStatus status(out, options);
    status.begin(1);
    status.step_started("a", "Waiting");
    std::this_thread::sleep_for(350ms); // a few ticks of 100 ms; only "more than one frame" is checked
    status.end();
    CHECK(occurrences(out.str(), "Waiting") > 1);
    CHECK(out.str().find("⠙") != std::string::npos);
  }
}

TEST_CASE("ui::elide") {
  CHECK(ui::elide("short", 10) == "short");
  CHECK(ui::elide("exactly10!", 10) == "exactly10!");
  CHECK(ui::elide("much too long", 8) == "much to…");
  CHECK(ui::elide("grüße aus köln", 6) == "grüße…");
  CHECK(ui::columns_of("grüße") == 5);
  CHECK(ui::elide("abc", 0).empty());
}

TEST_CASE("ui::make_status") {
  SUBCASE("smart terminals and colour") {
    CHECK(ui::classify_terminal(true, "xterm-256color", nullptr).smart);
    CHECK(ui::classify_terminal(true, "xterm-256color", nullptr).colour);
    CHECK(ui::classify_terminal(true, "xterm", "").colour); // NO_COLOR set but empty counts as unset
    CHECK_FALSE(ui::classify_terminal(true, "xterm", "1").colour);
    CHECK(ui::classify_terminal(true, "xterm", "1").smart);
    CHECK_FALSE(ui::classify_terminal(true, "dumb", nullptr).smart);
    CHECK_FALSE(ui::classify_terminal(true, nullptr, nullptr).smart);
    CHECK_FALSE(ui::classify_terminal(false, "xterm", nullptr).smart);
    CHECK_FALSE(ui::classify_terminal(false, "xterm", nullptr).colour);
  }
  SUBCASE("plain lines when the stream is not a terminal") {
    const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    std::ostringstream out;
    const auto status = ui::make_status(out, fd);
    ::close(fd);
    CHECK(dynamic_cast<ui::PlainStatus*>(status.get()) != nullptr);
  }
}

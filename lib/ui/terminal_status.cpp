#include "ui/terminal_status.hpp"

#include "ui/plain_status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <sys/ioctl.h>
#include <unistd.h>

namespace meshlab::ui {

namespace {

constexpr std::array<std::string_view, 10> k_spinner{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr auto k_tick = std::chrono::milliseconds(100);
constexpr std::string_view k_clear_to_eol = "\x1b[K";
constexpr int k_default_width = 80;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string paint(std::string_view text, std::string_view sgr, Colour colour) {
  if (colour == Colour::off) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", sgr, text);
}

} // namespace

std::size_t columns_of(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

std::string elide(std::string_view text, std::size_t columns) {
  if (columns_of(text) <= columns) return std::string(text);
  if (columns == 0) return {};
  // Keep columns - 1 code points, then the ellipsis.
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < text.size()) {
    if (!is_continuation(text[end]) && kept++ == columns - 1) break;
    ++end;
  }
  return std::string(text.substr(0, end)) + "…";
}

TerminalStatus::TerminalStatus(std::ostream& out, Options options) : m_out(out), m_options(options) {}

TerminalStatus::~TerminalStatus() { end(); }

int TerminalStatus::width() const {
  if (m_options.width > 0) return m_options.width;
  winsize size{};
  if (::ioctl(m_options.width_fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    const int parsed = std::atoi(columns);
    if (parsed > 0) return parsed;
  }
  return k_default_width;
}

std::string TerminalStatus::live_line() {
  if (m_running.empty()) return {};
  const auto prefix = fmt::format(" {} [{}/{}] ", k_spinner[m_frame % k_spinner.size()], m_finished, m_total);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_begin);
  const auto suffix = fmt::format(" ({})", format_duration(elapsed));
  std::string titles;
  for (const auto& [id, title] : m_running) titles += (titles.empty() ? "" : ", ") + title;
  // One column short of the width: writing the last column makes some terminals wrap.
  const auto fixed = columns_of(prefix) + columns_of(suffix) + 1;
  const auto room = static_cast<std::size_t>(width()) > fixed ? static_cast<std::size_t>(width()) - fixed : 0;
  return prefix + elide(titles, room) + suffix;
}

void TerminalStatus::redraw() { m_out << ("\r" + live_line() + std::string(k_clear_to_eol)) << std::flush; }

void TerminalStatus::print_above(const std::string& line) {
  m_out << ("\r" + std::string(k_clear_to_eol) + line + "\n") << std::flush;
  redraw();
}

void TerminalStatus::begin(std::size_t total_steps) {
  const std::lock_guard lock(m_mutex);
  m_total = total_steps;
  m_finished = 0;
  m_begin = Clock::now();
  m_stopping = false;
  m_active = true;
  if (m_options.animation == Animation::on && !m_ticker.joinable()) m_ticker = std::thread([this] { tick(); });
}

void TerminalStatus::step_started(std::string_view id, std::string_view title) {
  const std::lock_guard lock(m_mutex);
  m_running.emplace_back(id, title);
  redraw();
}

void TerminalStatus::step_finished(std::string_view id, std::string_view title, Outcome outcome,
                                   std::chrono::milliseconds duration) {
  const std::lock_guard lock(m_mutex);
  std::erase_if(m_running, [&](const auto& running) { return running.first == id; });
  ++m_finished;
  std::string line = finished_line(title, outcome, duration);
  if (m_options.colour == Colour::on) {
    // The glyph is the line's second code point, after one space; colour just it.
    const bool ok = outcome == Outcome::done || outcome == Outcome::already_done;
    const auto glyph = std::string_view(line).substr(1, std::string_view(ok ? "✓" : "✗").size());
    line = " " + paint(glyph, ok ? "32" : "31", Colour::on) + line.substr(1 + glyph.size());
  }
  print_above(line);
}

void TerminalStatus::info(std::string_view message) {
  const std::lock_guard lock(m_mutex);
  print_above(std::string(message));
}

void TerminalStatus::warn(std::string_view message) {
  const std::lock_guard lock(m_mutex);
  print_above(paint("warning:", "33", m_options.colour) + " " + std::string(message));
}

void TerminalStatus::end() {
  stop_ticker();
  const std::lock_guard lock(m_mutex);
  m_running.clear();
  if (std::exchange(m_active, false)) m_out << ("\r" + std::string(k_clear_to_eol)) << std::flush;
}

void TerminalStatus::tick() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, k_tick, [this] { return m_stopping; });
    if (m_stopping || m_running.empty()) continue;
    ++m_frame;
    redraw();
  }
}

void TerminalStatus::stop_ticker() {
  {
    const std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_ticker.joinable()) m_ticker.join();
}

} // namespace meshlab::ui

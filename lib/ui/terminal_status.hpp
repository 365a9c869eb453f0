// Progress for a person at a terminal: one live line rewritten in place (spinner, counts,
// running steps, elapsed time), and a permanent line for each finished step.
#pragma once

#include "ui/status.hpp"

#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace meshlab::ui {

enum class Colour { off, on };
enum class Animation { off, on }; // off: redraw only on events (tests)

class TerminalStatus : public Status {
public:
  struct Options {
    Colour colour = Colour::off;
    Animation animation = Animation::on;
    int width = 0; // columns; 0: ask the terminal behind `width_fd` on every redraw
    int width_fd = 2;
  };

  TerminalStatus(std::ostream& out, Options options);
  ~TerminalStatus() override;
  TerminalStatus(const TerminalStatus&) = delete;
  TerminalStatus& operator=(const TerminalStatus&) = delete;

  void begin(std::size_t total_steps) override;
  void step_started(std::string_view id, std::string_view title) override;
  void step_finished(std::string_view id, std::string_view title, Outcome outcome,
                     std::chrono::milliseconds duration) override;
  void info(std::string_view message) override;
  void warn(std::string_view message) override;
  void end() override;

private:
  using Clock = std::chrono::steady_clock;

  // All with m_mutex held.
  std::string live_line();
  void redraw();
  void print_above(const std::string& line);
  int width() const;

  void tick();
  void stop_ticker();

  std::ostream& m_out;
  Options m_options;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::vector<std::pair<std::string, std::string>> m_running; // id, title; in start order
  std::size_t m_total = 0;
  std::size_t m_finished = 0;
  std::size_t m_frame = 0;
  Clock::time_point m_begin = Clock::now();
  bool m_stopping = false;
  bool m_active = false; // between begin() and end(): the live line may be on screen
  std::thread m_ticker;
};

// At most `columns` code points of `text`, ending in "…" when shortened; never splits a
// UTF-8 sequence. (Counts code points, not cell widths: titles are ASCII in practice.)
std::string elide(std::string_view text, std::size_t columns);

// Code points in `text`.
std::size_t columns_of(std::string_view text);

} // namespace meshlab::ui

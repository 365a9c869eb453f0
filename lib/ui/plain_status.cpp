#include "ui/plain_status.hpp"

#include <fmt/format.h>

namespace meshlab::ui {

std::string finished_line(std::string_view title, Outcome outcome, std::chrono::milliseconds duration) {
  switch (outcome) {
  case Outcome::done: return fmt::format(" ✓ {} ({})", title, format_duration(duration));
  case Outcome::already_done: return fmt::format(" ✓ {} (already done)", title);
  case Outcome::failed: return fmt::format(" ✗ {} ({})", title, format_duration(duration));
  case Outcome::interrupted: return fmt::format(" ✗ {} (interrupted after {})", title, format_duration(duration));
  }
  return std::string(title);
}

void PlainStatus::write_line(const std::string& line) {
  const std::lock_guard lock(m_mutex);
  m_out << (line + '\n') << std::flush; // one write per line: nothing interleaves within it
}

void PlainStatus::begin(std::size_t /*total_steps*/) {}

void PlainStatus::step_started(std::string_view /*id*/, std::string_view title) {
  write_line(fmt::format(" • {}", title));
}

void PlainStatus::step_finished(std::string_view /*id*/, std::string_view title, Outcome outcome,
                                std::chrono::milliseconds duration) {
  write_line(finished_line(title, outcome, duration));
}

void PlainStatus::info(std::string_view message) { write_line(std::string(message)); }

void PlainStatus::warn(std::string_view message) { write_line(fmt::format("warning: {}", message)); }

void PlainStatus::end() {}

} // namespace meshlab::ui

// Progress as plain lines, one per step start and finish, without escape codes: what
// pipes, CI logs and dumb terminals get.
#pragma once

#include "ui/status.hpp"

#include <mutex>
#include <ostream>

namespace meshlab::ui {

// Writes, each as one whole line:
//    • Creating VM mesh-db
//    ✓ Creating VM mesh-db (48s)
//    ✗ Installing Istio on east (41s)
//    ✓ Creating cluster mesh-east (already done)
//    ✗ Installing Argo CD (interrupted after 3.0s)
//   <info message>
//   warning: <warn message>
class PlainStatus : public Status {
public:
  explicit PlainStatus(std::ostream& out) : m_out(out) {}

  void begin(std::size_t total_steps) override;
  void step_started(std::string_view id, std::string_view title) override;
  void step_finished(std::string_view id, std::string_view title, Outcome outcome,
                     std::chrono::milliseconds duration) override;
  void info(std::string_view message) override;
  void warn(std::string_view message) override;
  void end() override;

private:
  void write_line(const std::string& line);

  std::ostream& m_out;
  std::mutex m_mutex;
};

// The line a finished step leaves behind, without colour: " ✓ Creating VM mesh-db (48s)".
std::string finished_line(std::string_view title, Outcome outcome, std::chrono::milliseconds duration);

} // namespace meshlab::ui

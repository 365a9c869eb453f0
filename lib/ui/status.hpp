// How steps report progress to people. The executor and the steps call these; only the
// implementations (plain lines for pipes and CI, a live line for terminals) format text.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace meshlab::ui {

enum class Outcome {
  done,         // ran and succeeded
  already_done, // skipped: an earlier run did it and the world still matches
  failed,
  interrupted,
};

// Every implementation is thread-safe: steps run in parallel.
class Status {
public:
  virtual ~Status() = default;
  // A run of `total_steps` steps begins (for "[done/total]").
  virtual void begin(std::size_t total_steps) = 0;
  virtual void step_started(std::string_view id, std::string_view title) = 0;
  virtual void step_finished(std::string_view id, std::string_view title, Outcome outcome,
                             std::chrono::milliseconds duration) = 0;
  virtual void info(std::string_view message) = 0;
  virtual void warn(std::string_view message) = 0;
  // The run is over: a live display clears its line.
  virtual void end() = 0;
};

// "0.3s", "48s", "1m12s", "1h02m": how long a step or a run took.
std::string format_duration(std::chrono::milliseconds duration);

} // namespace meshlab::ui

#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab {

std::string Diagnostic::headline() const {
  std::string where = file;
  if (line > 0) where += fmt::format(":{}", line);
  if (line > 0 && column > 0) where += fmt::format(":{}", column);
  return fmt::format("{}: error: {}", where, message);
}

static std::string summarize(const std::vector<Diagnostic>& diagnostics) {
  if (diagnostics.empty()) return "invalid lab";
  if (diagnostics.size() == 1) return diagnostics.front().headline();
  return fmt::format("{} (and {} more problems)", diagnostics.front().headline(), diagnostics.size() - 1);
}

LabError::LabError(std::vector<Diagnostic> diagnostics)
    : Error(summarize(diagnostics)), m_diagnostics(std::move(diagnostics)) {}

static std::string describe(const std::vector<std::string>& argv, int exit_code,
                            std::chrono::milliseconds elapsed, bool timed_out) {
  const std::string program = argv.empty() ? std::string("command") : argv.front();
  const double seconds = static_cast<double>(elapsed.count()) / 1000.0;
  if (timed_out) return fmt::format("{} timed out after {:.0f}s", program, seconds);
  return fmt::format("{} exited with status {} after {:.0f}s", program, exit_code, seconds);
}

CommandError::CommandError(std::vector<std::string> argv, int exit_code, std::chrono::milliseconds elapsed,
                           std::string output, bool timed_out)
    : Error(describe(argv, exit_code, elapsed, timed_out)), m_argv(std::move(argv)), m_exit_code(exit_code),
      m_elapsed(elapsed), m_output(std::move(output)), m_timed_out(timed_out) {}

} // namespace meshlab

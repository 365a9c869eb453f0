#include "exec/log.hpp"

#include "exec/quote.hpp"

#include <fmt/format.h>

namespace meshlab::exec {

namespace {

void write_stream(std::ostream& log, std::string_view name, const std::string& text, bool secret) {
  if (text.empty()) return;
  if (secret) {
    log << name << ": " << redacted(text.size()) << '\n';
    return;
  }
  log << name << ":\n" << text;
  if (text.back() != '\n') log << "\n(no newline at end of " << name << ")\n";
}

} // namespace

std::string redacted(std::size_t bytes) { return fmt::format("<{} bytes redacted>", bytes); }

void log_start(std::ostream& log, const Command& cmd) {
  log << "$ " << quote(cmd.argv) << '\n';
  for (const auto& [name, value] : cmd.env) log << "  env " << quote(name + "=" + value) << '\n';
  if (cmd.input) {
    if (cmd.secret_input) log << "  stdin: " << redacted(cmd.input->size()) << '\n';
    else log << "  stdin (" << cmd.input->size() << " bytes):\n" << *cmd.input << (cmd.input->ends_with('\n') ? "" : "\n");
  }
  log.flush(); // a command that hangs is then visible in the log while it hangs
}

void log_finish(std::ostream& log, const Command& cmd, const Completed& completed, Ending ending) {
  const double seconds = static_cast<double>(completed.elapsed.count()) / 1000.0;
  if (ending == Ending::interrupted) log << fmt::format("interrupted after {:.1f}s\n", seconds);
  else if (completed.timed_out)
    log << fmt::format("timed out after {:.1f}s (limit {}s)\n", seconds,
                       std::chrono::duration<double>(cmd.timeout).count());
  else log << fmt::format("exit status {} after {:.1f}s\n", completed.exit_code, seconds);
  write_stream(log, "stdout", completed.out, cmd.secret_output);
  write_stream(log, "stderr", completed.err, false);
  log.flush();
}

} // namespace meshlab::exec

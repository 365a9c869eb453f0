#include "providers/tool.hpp"

#include "exec/check.hpp"
#include "exec/quote.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::providers {

exec::Command command(exec::Argv argv, std::chrono::milliseconds timeout) {
  exec::Command cmd;
  cmd.argv = std::move(argv);
  cmd.timeout = timeout;
  return cmd;
}

exec::Completed run_tool(exec::Runner& runner, const exec::Command& cmd, std::string_view install_hint) {
  try {
    return runner.run(cmd);
  } catch (const Interrupted&) {
    throw;
  } catch (const CommandError&) {
    throw;
  } catch (const Error& e) {
    // Runner::run throws meshlab::Error only when the program cannot be started.
    throw Error(fmt::format("{} is not installed or not on PATH ({}); {}", cmd.argv.front(), e.what(), install_hint));
  }
}

void throw_command_error(const exec::Command& cmd, const exec::Completed& done) {
  const bool use_stdout = done.err.empty() && !cmd.secret_output;
  throw CommandError(cmd.argv, done.exit_code, done.elapsed,
                     exec::last_lines(use_stdout ? done.out : done.err, exec::k_error_output_lines), done.timed_out);
}

void unexpected_output(const exec::Argv& argv, std::string_view what) {
  throw Error(fmt::format("unexpected output from `{}`: {}", exec::quote(argv), what));
}

nlohmann::json parse_json_output(const std::string& text, const exec::Argv& argv) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    unexpected_output(argv, "nothing, where JSON was expected");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte locates the problem; nlohmann's message names the token it choked on.
    unexpected_output(argv, fmt::format("not JSON (at byte {})", e.byte));
  }
}

std::vector<std::string> output_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(start, end - start);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos) {
      const auto last = line.find_last_not_of(" \t\r");
      lines.emplace_back(line.substr(first, last - first + 1));
    }
    start = end + 1;
  }
  return lines;
}

} // namespace meshlab::providers

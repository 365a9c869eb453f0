#include "exec/check.hpp"

#include "exec/quote.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace meshlab::exec {

std::string last_lines(std::string_view text, std::size_t count) {
  text = util::trim_end(text, "\n");
  if (count == 0) return {};
  std::size_t begin = text.size();
  for (std::size_t found = 0; begin > 0; --begin) {
    if (text[begin - 1] == '\n' && ++found == count) break;
  }
  return std::string(text.substr(begin));
}

Completed check(Runner& runner, const Command& cmd) {
  Completed completed = runner.run(cmd);
  if (completed.exit_code == 0 && !completed.timed_out) return completed;
  const bool use_stdout = completed.err.empty() && !cmd.secret_output;
  std::string output = last_lines(use_stdout ? completed.out : completed.err, k_error_output_lines);
  throw CommandError(cmd.argv, completed.exit_code, completed.elapsed, std::move(output), completed.timed_out);
}

std::string describe(const CommandError& error) {
  std::string result = "  command: " + quote(error.argv()) + "\n";
  const std::string& output = error.output();
  if (output.empty()) return result;
  const auto lines = static_cast<std::size_t>(std::count(output.begin(), output.end(), '\n')) + 1;
  result += "  output (last " + std::to_string(lines) + (lines == 1 ? " line):\n" : " lines):\n");
  std::size_t start = 0;
  while (start <= output.size()) {
    const auto end = std::min(output.find('\n', start), output.size());
    result += "    " + output.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return result;
}

} // namespace meshlab::exec

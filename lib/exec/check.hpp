// For commands that must succeed: run, and turn a non-zero exit or a timeout into a
// CommandError that carries everything a person needs to see what went wrong.
#pragma once

#include "exec/runner.hpp"
#include "util/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace meshlab::exec {

// How many lines of output a CommandError keeps.
inline constexpr std::size_t k_error_output_lines = 20;

// Returns what `runner` returned for `cmd` when the command exited with status 0.
// Throws CommandError (argv, exit status, duration, the last k_error_output_lines lines
// of stderr, or of stdout when stderr is empty and stdout is not secret) otherwise, and
// whatever Runner::run throws.
Completed check(Runner& runner, const Command& cmd);

// The last `count` lines of `text` (all of it when shorter), without a trailing newline.
std::string last_lines(std::string_view text, std::size_t count);

// The lines a failure summary shows under "step X failed: <what()>":
//   "  command: <quoted argv>\n  output (last N lines):\n    ...\n"
// (the output part only when there is output).
std::string describe(const CommandError& error);

} // namespace meshlab::exec

// What a runner writes to a command's log sink: the command line before it runs, its end
// (status, duration, output) after. Secrets marked on the Command are replaced by their size.
#pragma once

#include "exec/runner.hpp"

#include <ostream>

namespace meshlab::exec {

// "$ <quoted argv>", then the added environment and what goes to stdin.
void log_start(std::ostream& log, const Command& cmd);

// The exit status (or timeout / interruption) and duration, then stdout and stderr.
enum class Ending { completed, interrupted };
void log_finish(std::ostream& log, const Command& cmd, const Completed& completed,
                Ending ending = Ending::completed);

// "<N bytes redacted>", what logs show in place of a secret.
std::string redacted(std::size_t bytes);

} // namespace meshlab::exec

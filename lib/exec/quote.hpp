// Formats a command line for people (errors, -v, --dry-run, logs) the way a POSIX shell
// would read it back. Never executed: meshlab runs argv vectors, not shell lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::exec {

// One word: unchanged when it needs no quoting (letters, digits, and _ @ % + = : , . / -),
// otherwise in single quotes, or as $'...' with escapes when it holds control characters.
std::string quote(std::string_view word);

// The words of `argv`, each quoted, separated by spaces.
std::string quote(const std::vector<std::string>& argv);

} // namespace meshlab::exec

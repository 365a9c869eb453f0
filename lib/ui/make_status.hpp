// Picks how progress is shown: a live line on a smart terminal, plain lines elsewhere.
#pragma once

#include "ui/status.hpp"

#include <iostream>
#include <memory>

namespace meshlab::ui {

struct TerminalKind {
  bool smart = false;  // a tty whose TERM is set and not "dumb": \r and escape codes work
  bool colour = false; // smart, and NO_COLOR is unset or empty (https://no-color.org)
};

// The decision itself, from its inputs (`term` and `no_color` may be null: unset).
TerminalKind classify_terminal(bool is_tty, const char* term, const char* no_color);

// classify_terminal for file descriptor `fd` and this process's TERM and NO_COLOR.
TerminalKind detect_terminal(int fd);

// A TerminalStatus on `out` when `fd` (the descriptor behind `out`) is a smart terminal,
// otherwise a PlainStatus. People-facing output goes to stderr, hence the defaults.
std::unique_ptr<Status> make_status(std::ostream& out = std::cerr, int fd = 2);

} // namespace meshlab::ui

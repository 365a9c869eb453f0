// Ctrl-C and SIGTERM: handlers that only set util's interrupt flag. PosixRunner watches
// the flag and terminates its child's process group; the executor stops starting steps.
#pragma once

#include "util/interrupt.hpp"

#include <csignal>

namespace meshlab::exec {

// Installs the SIGINT and SIGTERM handlers for its lifetime and restores the previous ones
// when destroyed. cli/main.cpp holds one for the whole run. Throws meshlab::Error when
// the handlers cannot be installed.
class InterruptHandlers {
public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

private:
  struct sigaction m_old_int {};
  struct sigaction m_old_term {};
};

// True after Ctrl-C or SIGTERM (see util/interrupt.hpp for the flag itself).
using util::interrupted;
// Throws meshlab::Interrupted after Ctrl-C or SIGTERM.
using util::throw_if_interrupted;

} // namespace meshlab::exec

// The real Runner: spawns programs with posix_spawnp (no shell), each in its own process
// group so a timeout or Ctrl-C terminates the program together with everything it started.
#pragma once

#include "exec/runner.hpp"

#include <chrono>

namespace meshlab::exec {

class PosixRunner : public Runner {
public:
  struct Options {
    // Between SIGTERM and SIGKILL to the process group on a timeout or an interrupt: long
    // enough for kubectl or helm to clean up, short enough that Ctrl-C feels prompt.
    std::chrono::milliseconds grace{std::chrono::seconds(5)};
  };

  PosixRunner() = default;
  explicit PosixRunner(Options options) : m_options(options) {}

  // Runs `cmd` (see Runner::run). Reads stdout and stderr until both reach end of file,
  // then reaps the program; a background process that keeps them open is waited for until
  // the timeout. Thread-safe: the executor runs commands from several threads.
  // Throws meshlab::Error naming the program when it cannot be started (not on PATH, not
  // executable), meshlab::Interrupted after terminating the group on Ctrl-C.
  Completed run(const Command& cmd) override;

private:
  Options m_options;
};

} // namespace meshlab::exec

// The process-wide "stop now" flag that Ctrl-C sets: every loop that waits (the runner's
// poll, readiness waits, the executor) checks it, so one signal stops the whole run.
// It lives in util, not exec, because util::wait_until honours it and util includes nothing
// above itself; exec/interrupt.hpp installs the signal handlers that set it.
#pragma once

#include <chrono>

namespace meshlab::util {

// True once request_interrupt() ran (normally from the SIGINT/SIGTERM handler).
bool interrupted() noexcept;

// Throws meshlab::Interrupted when interrupted().
void throw_if_interrupted();

// Sets the flag and makes interrupt_fd() readable. Async-signal-safe once interrupt_fd()
// has been called (the handlers' installer does that), so a signal handler may call it.
void request_interrupt() noexcept;

// Clears the flag, for a new run in the same process (and for tests).
void clear_interrupt();

// The read end of a pipe that stays readable from the interrupt on until clear_interrupt(),
// so any number of threads can include it in poll() and all wake up. Never read from it.
int interrupt_fd();

// Sleeps for `duration` or until interrupted, whichever comes first. Returns false when it
// woke up because of an interrupt.
bool sleep_for(std::chrono::milliseconds duration);

} // namespace meshlab::util

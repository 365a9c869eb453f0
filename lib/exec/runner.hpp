// The one seam through which meshlab runs programs: a Command in, a Completed out.
// Steps and providers talk to a Runner, so tests swap in a recording fake and --dry-run
// a printing one.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace meshlab::exec {

using Argv = std::vector<std::string>;

struct Command {
  Argv argv;                              // argv[0] looked up on meshlab's PATH; never a shell line
  std::map<std::string, std::string> env; // added to (or replacing in) the inherited environment
  // Written to stdin; without it stdin is /dev/null. This is the channel for secrets (keys,
  // tokens, passwords): argv is visible to every user through `ps`, stdin is not.
  std::optional<std::string> input;
  std::chrono::milliseconds timeout{std::chrono::seconds(300)}; // every command has one
  // Logs show "<N bytes redacted>" instead of the input / the standard output, for commands
  // that carry a secret in or read one out (`kubectl get secret ... -o json`).
  bool secret_input = false;
  bool secret_output = false;
  // Where the command line, its exit status, duration and output are written (the step's
  // log); nullptr for none. One command at a time per sink: the runner does not lock it.
  std::ostream* log = nullptr;
};

struct Completed {
  int exit_code = 0; // 128 + signal number when the process was killed by a signal
  std::string out, err;
  std::chrono::milliseconds elapsed{};
  bool timed_out = false;
};

class Runner {
public:
  virtual ~Runner() = default;
  // Runs `cmd` to completion and returns how it ended, also on a non-zero exit status or a
  // timeout (see exec::check for commands that must succeed). Throws meshlab::Error only
  // when the program cannot be started, and meshlab::Interrupted after Ctrl-C (once the
  // command's processes are gone), so an interrupted probe is never mistaken for an answer.
  virtual Completed run(const Command& cmd) = 0;
};

} // namespace meshlab::exec

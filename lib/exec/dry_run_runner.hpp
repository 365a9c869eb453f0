// The Runner behind --dry-run: prints each command as a person would type it and pretends
// it succeeded with no output, so a plan shows its commands without touching anything.
#pragma once

#include "exec/runner.hpp"

#include <mutex>
#include <ostream>

namespace meshlab::exec {

class DryRunRunner : public Runner {
public:
  explicit DryRunRunner(std::ostream& out) : m_out(out) {}

  // Writes "<quoted argv>" (plus "  # stdin: N bytes" when there is input; a secret's
  // content is never shown) as one line and returns exit status 0 with empty output.
  // Thread-safe: lines of parallel steps never interleave.
  Completed run(const Command& cmd) override;

private:
  std::ostream& m_out;
  std::mutex m_mutex;
};

} // namespace meshlab::exec

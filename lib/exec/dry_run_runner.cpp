#include "exec/dry_run_runner.hpp"

#include "exec/quote.hpp"

namespace meshlab::exec {

Completed DryRunRunner::run(const Command& cmd) {
  std::string line = quote(cmd.argv);
  if (cmd.input) line += "  # stdin: " + std::to_string(cmd.input->size()) + " bytes";
  line += '\n';
  const std::lock_guard lock(m_mutex);
  m_out << line << std::flush;
  return Completed{};
}

} // namespace meshlab::exec

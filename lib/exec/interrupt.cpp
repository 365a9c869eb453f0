#include "exec/interrupt.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace meshlab::exec {

namespace {

void on_interrupt_signal(int /*signal*/) { util::request_interrupt(); }

} // namespace

InterruptHandlers::InterruptHandlers() {
  util::interrupt_fd(); // create the self-pipe now: the handler may not allocate
  struct sigaction action {};
  action.sa_handler = on_interrupt_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: other blocking calls carry on; the waits that matter poll the self-pipe.
  action.sa_flags = SA_RESTART;
  if (::sigaction(SIGINT, &action, &m_old_int) != 0 || ::sigaction(SIGTERM, &action, &m_old_term) != 0)
    throw Error(std::string("cannot install the Ctrl-C handler: ") + std::strerror(errno));
}

InterruptHandlers::~InterruptHandlers() {
  ::sigaction(SIGINT, &m_old_int, nullptr);
  ::sigaction(SIGTERM, &m_old_term, nullptr);
}

} // namespace meshlab::exec

#include "ui/make_status.hpp"

#include "ui/plain_status.hpp"
#include "ui/terminal_status.hpp"

#include <cstdlib>
#include <string_view>
#include <unistd.h>

namespace meshlab::ui {

TerminalKind classify_terminal(bool is_tty, const char* term, const char* no_color) {
  TerminalKind kind;
  kind.smart = is_tty && term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
  kind.colour = kind.smart && (no_color == nullptr || *no_color == '\0');
  return kind;
}

TerminalKind detect_terminal(int fd) {
  return classify_terminal(::isatty(fd) == 1, std::getenv("TERM"), std::getenv("NO_COLOR"));
}

std::unique_ptr<Status> make_status(std::ostream& out, int fd) {
  const auto kind = detect_terminal(fd);
  if (!kind.smart) return std::make_unique<PlainStatus>(out);
  TerminalStatus::Options options;
  options.colour = kind.colour ? Colour::on : Colour::off;
  options.width_fd = fd;
  return std::make_unique<TerminalStatus>(out, options);
}

} // namespace meshlab::ui

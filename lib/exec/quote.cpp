#include "exec/quote.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::exec {

namespace {

bool is_safe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Bash's ANSI-C quoting, readable for newlines and tabs in a value.
std::string ansi_c_quote(std::string_view word) {
  std::string result = "$'";
  for (const char c : word) {
    switch (c) {
    case '\n': result += "\\n"; break;
    case '\t': result += "\\t"; break;
    case '\r': result += "\\r"; break;
    case '\\': result += "\\\\"; break;
    case '\'': result += "\\'"; break;
    default:
      if (is_control(c)) result += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
      else result += c;
    }
  }
  return result + "'";
}

} // namespace

std::string quote(std::string_view word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), is_safe)) return std::string(word);
  if (std::any_of(word.begin(), word.end(), is_control)) return ansi_c_quote(word);
  std::string result = "'";
  for (const char c : word) {
    if (c == '\'') result += "'\\''"; // close, escaped quote, reopen
    else result += c;
  }
  return result + "'";
}

std::string quote(const std::vector<std::string>& argv) {
  std::string result;
  for (const auto& word : argv) {
    if (!result.empty()) result += ' ';
    result += quote(std::string_view(word));
  }
  return result;
}

} // namespace meshlab::exec

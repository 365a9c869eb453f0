#include "util/net.hpp"

#include "util/strings.hpp"

#include <charconv>

namespace meshlab::util {

namespace {

// A decimal number without sign or leading zeros, at most `max`.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

} // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  const auto parts = split(text, '.');
  if (parts.size() != 4) return std::nullopt;
  std::uint32_t address = 0;
  for (const auto& part : parts) {
    const auto octet = parse_decimal(part, 255);
    if (!octet) return std::nullopt;
    address = (address << 8) | *octet;
  }
  return address;
}

std::string format_ipv4(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

std::string Cidr::str() const { return format_ipv4(address) + "/" + std::to_string(prefix); }

CidrParse parse_cidr(std::string_view text) {
  CidrParse result;
  const auto slash = text.find('/');
  const auto address = parse_ipv4(text.substr(0, slash));
  const auto prefix = slash == std::string_view::npos ? std::nullopt : parse_decimal(text.substr(slash + 1), 32);
  if (!address || !prefix) {
    result.problem = "is not an IPv4 CIDR";
    return result;
  }
  const int bits = static_cast<int>(*prefix);
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  if ((*address & ~mask) != 0) {
    result.problem = "has host bits set";
    result.suggestion = Cidr{*address & mask, bits}.str();
    return result;
  }
  result.block = Cidr{*address, bits};
  return result;
}

bool is_dns_label(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text)
    if (!is_label_char(c)) return false;
  return text.front() != '-' && text.back() != '-';
}

bool is_dns_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  for (const auto& label : split(text, '.'))
    if (!is_dns_label(label)) return false;
  return true;
}

} // namespace meshlab::util

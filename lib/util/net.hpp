// Syntax of network names and addresses (IPv4, CIDR blocks, DNS labels and names), with
// no I/O: parsing, overlap tests and block allocation arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshlab::util {

// An IPv4 address as four dotted decimal octets (no leading zeros, no spaces); nullopt
// otherwise.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(std::uint32_t address);

// An IPv4 block "a.b.c.d/n". `address` has no bits set past the prefix.
struct Cidr {
  std::uint32_t address = 0;
  int prefix = 0; // 0..32

  std::uint64_t size() const { return std::uint64_t{1} << (32 - prefix); }
  std::uint64_t last() const { return address + size() - 1; }
  bool overlaps(const Cidr& other) const { return address <= other.last() && other.address <= last(); }
  std::string str() const;
  bool operator==(const Cidr&) const = default;
};

// Why a CIDR did not parse, for messages; `block` is set only when the text parsed.
struct CidrParse {
  std::optional<Cidr> block;
  std::string problem;     // "is not an IPv4 CIDR", "has host bits set"
  std::string suggestion;  // for host bits: the block it probably meant ("10.10.0.0/16")
};

// Parses "a.b.c.d/n" strictly: a valid address, a prefix 0..32, no host bits set.
CidrParse parse_cidr(std::string_view text);

// A DNS-1123 label: 1..63 of [a-z0-9-], starting and ending with a letter or digit.
bool is_dns_label(std::string_view text);

// A DNS name: dot-separated DNS-1123 labels, at most 253 characters.
bool is_dns_name(std::string_view text);

} // namespace meshlab::util

#include "lab/syntax.hpp"

#include "util/strings.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace meshlab::lab {

namespace {

constexpr std::array<std::string_view, 3> k_part_names{"region", "zone", "subzone"};

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Problem with the parts of a locality (or pattern), empty when they are fine.
std::string parts_problem(const std::vector<std::string>& parts, bool allow_wildcard) {
  if (parts.size() > 3)
    return "has " + std::to_string(parts.size()) + " parts; a locality is region[/zone[/subzone]]";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    const std::string name{k_part_names[i]};
    if (part.empty()) return "has an empty " + name;
    if (part == "*") {
      if (!allow_wildcard) return "has a wildcard " + name + "; only traffic policies may use \"*\"";
      if (i + 1 != parts.size()) return "has \"*\" before its last part";
      continue;
    }
    if (!is_label_value(part))
      return "has " + name + " \"" + part + "\", which is not a valid label value";
  }
  return {};
}

} // namespace

bool is_label_value(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text)
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return is_alnum(text.front()) && is_alnum(text.back());
}

LocalityParse parse_locality(std::string_view text) {
  LocalityParse result;
  if (text.empty()) {
    result.problem = "is empty";
    return result;
  }
  const auto parts = util::split(text, '/');
  result.problem = parts_problem(parts, false);
  if (!result.problem.empty()) return result;
  Locality locality;
  locality.region = parts[0];
  if (parts.size() > 1) locality.zone = parts[1];
  if (parts.size() > 2) locality.subzone = parts[2];
  result.locality = locality;
  return result;
}

std::string locality_pattern_problem(std::string_view text) {
  if (text.empty()) return "is empty";
  return parts_problem(util::split(text, '/'), true);
}

bool locality_matches(std::string_view pattern, const Locality& locality) {
  const std::array<const std::string*, 3> have{&locality.region, &locality.zone, &locality.subzone};
  const auto parts = util::split(pattern, '/');
  for (std::size_t i = 0; i < parts.size() && i < have.size(); ++i) {
    if (parts[i] == "*") return true;
    if (parts[i] != *have[i]) return false;
  }
  return true;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
  if (i == 0) return std::nullopt;
  std::uint64_t whole = 0;
  if (std::from_chars(text.data(), text.data() + i, whole).ec != std::errc()) return std::nullopt;
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
    fraction = text.substr(start, i - start);
    // multipass takes a decimal only in front of a unit.
    if (fraction.empty() || i >= text.size()) return std::nullopt;
  }
  std::string rest{text.substr(i)};
  for (auto& c : rest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::uint64_t unit = 1;
  if (!rest.empty() && (rest[0] == 'k' || rest[0] == 'm' || rest[0] == 'g')) {
    unit = rest[0] == 'k' ? 1024ULL : rest[0] == 'm' ? 1024ULL * 1024 : 1024ULL * 1024 * 1024;
    const std::string_view suffix = std::string_view(rest).substr(1);
    if (!suffix.empty() && suffix != "b" && suffix != "ib") return std::nullopt;
  } else if (!fraction.empty() || (!rest.empty() && rest != "b")) {
    return std::nullopt;
  }
  if (whole > UINT64_MAX / unit) return std::nullopt;
  std::uint64_t bytes = whole * unit;
  if (!fraction.empty()) {
    // multipass: mantissa * unit / 10^digits, truncated.
    if (fraction.size() > 9) fraction = fraction.substr(0, 9);
    std::uint64_t mantissa = 0;
    std::from_chars(fraction.data(), fraction.data() + fraction.size(), mantissa);
    std::uint64_t scale = 1;
    for (std::size_t d = 0; d < fraction.size(); ++d) scale *= 10;
    bytes += static_cast<std::uint64_t>(static_cast<long double>(mantissa) * static_cast<long double>(unit) /
                                        static_cast<long double>(scale));
  }
  return bytes;
}

} // namespace meshlab::lab

namespace meshlab::lab {

std::string size_problem(std::string_view text, std::uint64_t minimum, std::string_view minimum_text) {
  const auto bytes = parse_size(text);
  if (!bytes) return "\"" + std::string(text) + "\" is not a size multipass understands";
  if (*bytes < minimum)
    return "\"" + std::string(text) + "\" is below multipass's minimum of " + std::string(minimum_text);
  return {};
}

} // namespace meshlab::lab

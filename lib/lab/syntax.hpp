// Syntax of the lab-file values that are more than a string: localities (and the
// wildcard patterns traffic policies use) and multipass resource sizes.
#pragma once

#include "lab/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshlab::lab {

// A parsed locality, or why it is malformed ("has an empty zone").
struct LocalityParse {
  std::optional<Locality> locality;
  std::string problem;
};

// "region[/zone[/subzone]]"; every part a Kubernetes label value (letters, digits, '-',
// '_', '.', at most 63, starting and ending with a letter or digit).
LocalityParse parse_locality(std::string_view text);

// A traffic-policy locality: as parse_locality, but the last part may be "*"
// ("east/zone1/*", "east/*", "*"). Returns the problem, empty when valid.
std::string locality_pattern_problem(std::string_view text);

// Whether `pattern` (valid per locality_pattern_problem) selects `locality`: every part
// written equals the locality's part, and "*" matches whatever follows.
bool locality_matches(std::string_view pattern, const Locality& locality);

// A Kubernetes label value (non-empty here).
bool is_label_value(std::string_view text);

// Bytes in a multipass size, parsed as multipass does (src/utils/memory_size.cpp): an
// integer, or a decimal followed by K, M or G, optionally followed by B or iB for units,
// or a bare B; case-insensitive; binary multiples. nullopt when multipass would reject it.
std::optional<std::uint64_t> parse_size(std::string_view text);

} // namespace meshlab::lab

namespace meshlab::lab {

// Minimums multipass enforces on launch (`--memory` 128M, `--disk` 512M).
inline constexpr std::uint64_t k_min_memory = 128ULL * 1024 * 1024;
inline constexpr std::uint64_t k_min_disk = 512ULL * 1024 * 1024;

// What is wrong with a multipass size (`"4Gi" is not a size multipass understands`),
// empty when it parses and is at least `minimum` bytes (`minimum_text` names it).
std::string size_problem(std::string_view text, std::uint64_t minimum, std::string_view minimum_text);

// The hint that goes with a size problem.
inline constexpr std::string_view k_size_hint =
    "write bytes, or a number with K, M or G optionally followed by B or iB: 4G, 512M, 10GiB";

} // namespace meshlab::lab

// Small string helpers that know nothing about labs: splitting, trimming, joining,
// counting nouns, and the "did you mean" suggestion behind unknown-name messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::util {

// `text` cut at every `separator`; "a//b" gives {"a", "", "b"}, "" gives {""}.
std::vector<std::string> split(std::string_view text, char separator);

// Whitespace as trim_end takes it by default.
inline constexpr std::string_view k_whitespace = " \t\r\n";

// `text` without the characters of `chars` at its end ("v1\r\n" -> "v1"; with "/",
// "http://a//" -> "http://a"). The view points into `text`; a temporary string goes
// through the overload below, which returns a string of its own.
std::string_view trim_end(std::string_view text, std::string_view chars = k_whitespace);
std::string trim_end(std::string&& text, std::string_view chars = k_whitespace);

// `items` joined with `separator` ("kind, multipass").
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
std::string join(const std::vector<std::string_view>& items, std::string_view separator = ", ");

// `items`, each in double quotes, joined with ", " ("\"a\", \"b\"").
std::string join_quoted(const std::vector<std::string>& items);

// Edit distance between `a` and `b`: insertions, deletions, substitutions and swaps of
// two adjacent characters each count 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo (at most a
// third of the word's length, at least 1, or one is a case-insensitive match of the other);
// ties go to the earlier candidate. nullopt when nothing is close.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

// "1 cluster", "3 clusters", "0 VMs": `count` and the noun, with `plural` when count != 1
// (default: noun + "s").
std::string count_noun(std::size_t count, std::string_view noun, std::string_view plural = {});

// A YAML double-quoted scalar that reads back as exactly `value`, whatever it holds
// (quotes, backslashes, newlines, control characters, '#', ': ', leading '-', ...). Also a
// TOML basic string with the same meaning: only escapes the two languages share are used.
std::string yaml_quote(std::string_view value);

} // namespace meshlab::util

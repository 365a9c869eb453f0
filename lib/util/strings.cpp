#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace meshlab::util {

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

namespace {

template <typename Items> std::string join_items(const Items& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

template <typename Candidates>
std::optional<std::string> closest(std::string_view word, const Candidates& candidates) {
  // A third of the length catches one typo in short words ("rol" → "role") and a couple
  // in long ones ("serviceAcount" → "serviceAccount") without suggesting unrelated words.
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::string_view c{candidate};
    if (equal_ignoring_case(word, c)) return std::string(c);
    const auto distance = edit_distance(word, c);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(c);
    }
  }
  return best;
}

} // namespace

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  return join_items(items, separator);
}

std::string join(const std::vector<std::string_view>& items, std::string_view separator) {
  return join_items(items, separator);
}

std::string join_quoted(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const auto& item : items) quoted.push_back("\"" + item + "\"");
  return join(quoted);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: the classic table plus adjacent transpositions, the most
  // common typo ("eats" for "east"). Three rows of the table are enough.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  return closest(word, candidates);
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  return closest(word, candidates);
}

std::string_view trim_end(std::string_view text, std::string_view chars) {
  const auto last = text.find_last_not_of(chars);
  return last == std::string_view::npos ? std::string_view() : text.substr(0, last + 1);
}

std::string trim_end(std::string&& text, std::string_view chars) {
  text.resize(trim_end(std::string_view(text), chars).size());
  return text; // moved: an rvalue reference parameter (C++20)
}

std::string count_noun(std::size_t count, std::string_view noun, std::string_view plural) {
  std::string out = std::to_string(count) + " ";
  if (count == 1) return out + std::string(noun);
  return out + (plural.empty() ? std::string(noun) + "s" : std::string(plural));
}

std::string yaml_quote(std::string_view value) {
  const auto plain = [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c != 0x7f && ch != '"' && ch != '\\';
  };
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < value.size(); ++i) {
    // Characters that need no escape, nearly all there are, go in runs.
    std::size_t end = i;
    while (end < value.size() && plain(value[end])) ++end;
    out.append(value, i, end - i);
    if (end == value.size()) break;
    i = end;
    const char ch = value[i];
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    // The other control characters. \u, not YAML's shorter \x: a TOML basic string has the
    // same escapes as this otherwise, so the containerd hosts.toml files use yaml_quote too.
    default: out += fmt::format("\\u{:04X}", c);
    }
  }
  out += '"';
  return out;
}

} // namespace meshlab::util

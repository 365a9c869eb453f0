#include "render/index.hpp"

#include "util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace meshlab::render {

namespace {

// Length of the well-formed UTF-8 sequence starting at `text[at]` (Unicode table 3-7:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0; };
  const auto in = [](unsigned char c, unsigned char low, unsigned char high) { return c >= low && c <= high; };
  const unsigned char first = byte(0);
  if (first < 0x80) return 1;
  if (in(first, 0xc2, 0xdf)) return in(byte(1), 0x80, 0xbf) ? 2 : 0;
  if (in(first, 0xe0, 0xef)) {
    const unsigned char low = first == 0xe0 ? 0xa0 : 0x80;
    const unsigned char high = first == 0xed ? 0x9f : 0xbf;
    return in(byte(1), low, high) && in(byte(2), 0x80, 0xbf) ? 3 : 0;
  }
  if (in(first, 0xf0, 0xf4)) {
    const unsigned char low = first == 0xf0 ? 0x90 : 0x80;
    const unsigned char high = first == 0xf4 ? 0x8f : 0xbf;
    return in(byte(1), low, high) && in(byte(2), 0x80, 0xbf) && in(byte(3), 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

// Appends `value` as a JSON string, escaped as nlohmann escapes it without ensure_ascii:
// short escapes where JSON has them, \u00xx for other control characters, every other
// character (non-ASCII included) as it is.
void append_string(std::string& out, std::string_view value) {
  const auto plain = [](char c) { return c >= 0x20 && c != '"' && c != '\\' && static_cast<unsigned char>(c) < 0x80; };
  out += '"';
  for (std::size_t i = 0; i < value.size();) {
    // Printable ASCII, nearly all there is, goes in runs.
    std::size_t end = i;
    while (end < value.size() && plain(value[end])) ++end;
    out.append(value, i, end - i);
    if (end == value.size()) break;
    i = end;
    const char ch = value[i];
    switch (ch) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (static_cast<unsigned char>(ch) < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned char>(ch));
      } else {
        const auto length = utf8_sequence(value, i);
        if (length == 0)
          throw Error(fmt::format("cannot write {}: a path, cluster or purpose is not valid UTF-8 (byte 0x{:02x} "
                                  "after \"{}\")",
                                  k_index_file, static_cast<unsigned char>(ch), value.substr(0, i)));
        out.append(value, i, length);
        i += length;
        continue;
      }
    }
    ++i;
  }
  out += '"';
}

} // namespace

std::string index_json(std::string_view lab_name, const std::vector<IndexEntry>& files) {
  std::string out;
  out.reserve(64 + files.size() * 192);
  out += "{\n  \"lab\": ";
  append_string(out, lab_name);
  out += ",\n  \"files\": [";
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& file = files[i];
    out += i == 0 ? "\n    {\n      \"path\": " : ",\n    {\n      \"path\": ";
    append_string(out, file.path);
    out += ",\n      \"kind\": ";
    append_string(out, file.kind);
    out += ",\n      \"cluster\": ";
    append_string(out, file.cluster);
    out += ",\n      \"purpose\": ";
    append_string(out, file.purpose);
    out += "\n    }";
  }
  out += files.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::vector<std::string> listed_paths(const std::string& text) {
  std::vector<std::string> paths;
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.contains("files") || !json["files"].is_array()) return paths;
  for (const auto& entry : json["files"])
    if (entry.is_object() && entry.contains("path") && entry["path"].is_string())
      paths.push_back(entry["path"].get<std::string>());
  return paths;
}

} // namespace meshlab::render

#include "lab/yaml_reader.hpp"

#include "util/strings.hpp"

#include <fmt/format.h>

#include <charconv>

namespace meshlab::lab::detail {

std::string child_path(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}

std::string item_path(const std::string& path, std::size_t index) { return fmt::format("{}[{}]", path, index); }

std::string key_path(const std::string& path) { return path + "#key"; }

std::string invalid_path(const std::string& path) { return path + "#invalid"; }

Position Reader::position(const YamlNode& node, const Position& fallback) const {
  // An empty value ("key:" at the end of a line) carries the mark of the next token,
  // lines away; the key is the honest place to point at.
  if (!node.defined() || node.is_null()) return fallback;
  if (node.line() < 0 || node.column() < 0) return fallback;
  return Position{m_file, node.line() + 1, node.column() + 1};
}

void Reader::error(const Position& at, std::string message, std::string hint) {
  m_diagnostics.push_back(Diagnostic{at.file.empty() ? m_file : at.file, at.line, at.column, std::move(message),
                                     std::move(hint)});
}

void Reader::reject(const Field& field, std::string message, std::string hint) {
  record(invalid_path(field.path), field.at);
  error(field.at, std::move(message), std::move(hint));
}

std::string describe(const YamlNode& node) {
  if (node.is_map()) return "a mapping";
  if (node.is_sequence()) return "a list";
  if (node.is_scalar()) return fmt::format("\"{}\"", node.scalar());
  return "nothing";
}

namespace {

// Scalars and flow collections ({...}, [...]) start on the key's line, so they are the
// precise place to point at; a block collection starts lines later, so its key is better.
bool starts_on_key_line(const YamlNode& value) {
  if (!value.defined()) return false;
  if (value.is_scalar()) return true;
  return (value.is_map() || value.is_sequence()) && value.flow();
}

std::string with_path(const std::string& path, std::string_view message) {
  if (path.empty()) return std::string(message);
  return path + ": " + std::string(message);
}

// "provider" → "providers"; good enough for the nouns the loader uses.
std::string plural(std::string_view noun) { return std::string(noun) + "s"; }

} // namespace

std::optional<std::string> read_string(Reader& reader, const Field& field) {
  if (field.value.is_scalar()) return field.value.scalar();
  if (field.value.is_null() || !field.value.defined()) {
    reader.reject(field, with_path(field.path, "expected a string, got nothing"),
                 "write a value after the colon (\"\" for an empty string), or remove the key");
    return std::nullopt;
  }
  reader.reject(field, with_path(field.path, "expected a string, got " + describe(field.value)),
               "write a single value here, not a mapping or a list");
  return std::nullopt;
}

std::optional<int> read_integer(Reader& reader, const Field& field) {
  if (field.value.is_scalar()) {
    const std::string& text = field.value.scalar();
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    int value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (!digits.empty() && error == std::errc() && end == digits.data() + digits.size()) return value;
    if (error == std::errc::result_out_of_range) {
      reader.reject(field, with_path(field.path, fmt::format("{} is too large", text)),
                   "write a whole number that fits in 32 bits");
      return std::nullopt;
    }
  }
  reader.reject(field, with_path(field.path, "expected an integer, got " + describe(field.value)),
               "write a whole number such as 2, without quotes or units");
  return std::nullopt;
}

std::optional<std::string> read_choice(Reader& reader, const Field& field, const std::vector<std::string>& choices,
                                       std::string_view noun) {
  auto value = read_string(reader, field);
  if (!value) return std::nullopt;
  for (const auto& choice : choices)
    if (*value == choice) return value;
  const auto suggestion = util::did_you_mean(*value, choices);
  reader.reject(field,
               with_path(field.path, fmt::format("unknown {} \"{}\"; known {}: {}", noun, *value, plural(noun),
                                                 util::join(choices))),
               suggestion ? fmt::format("did you mean \"{}\"?", *suggestion)
                          : fmt::format("write one of the known {}", plural(noun)));
  return std::nullopt;
}

std::optional<std::vector<Field>> read_list(Reader& reader, const Field& field) {
  std::vector<Field> items;
  if (field.value.is_null() || !field.value.defined()) return items;
  if (!field.value.is_sequence()) {
    reader.reject(field, with_path(field.path, "expected a list, got " + describe(field.value)),
                 "write the items as a list: [a, b] or one \"- item\" per line");
    return std::nullopt;
  }
  std::size_t index = 0;
  for (const auto& node : field.value.items()) {
    const Position at = reader.position(node, field.at);
    items.push_back(Field{"", node, item_path(field.path, index++), at, at});
    reader.record(items.back().path, at);
  }
  return items;
}

MapReader::MapReader(Reader& reader, const YamlNode& node, std::string path, Position at,
                     std::vector<std::string_view> known, std::string_view what)
    : m_reader(reader), m_path(std::move(path)), m_at(std::move(at)), m_known(std::move(known)), m_what(what) {
  if (!node.defined() || node.is_null()) {
    m_is_map = true; // "key:" with nothing after it reads as an empty mapping
    return;
  }
  if (!node.is_map()) {
    m_reader.record(invalid_path(m_path), m_at);
    m_reader.error(m_at, with_path(m_path, "expected a mapping, got " + describe(node)),
                   m_known.empty() ? "write one \"name: ...\" entry per line, indented under the key"
                                   : "write \"key: value\" pairs here; known keys: " + util::join(m_known));
    return;
  }
  m_is_map = true;
  for (const auto& [key, value] : node.entries()) {
    const Position key_at = m_reader.position(key, m_at);
    if (!key.is_scalar()) {
      m_reader.error(key_at, with_path(m_path, "keys must be plain strings, got " + describe(key)),
                     "write a simple name before the colon");
      continue;
    }
    Field field{key.scalar(), value, child_path(m_path, key.scalar()), key_at,
                starts_on_key_line(value) ? m_reader.position(value, key_at) : key_at};
    field.key_quoted = key.quoted();
    bool duplicate = false;
    for (const auto& earlier : m_fields) {
      if (earlier.key != field.key) continue;
      // YAML forbids duplicate keys, yet parsers keep both; the second would silently
      // lose or win depending on the reader, so say so.
      m_reader.error(key_at, with_path(m_path, fmt::format("duplicate key \"{}\"", field.key)),
                     fmt::format("it is first written at line {}; keep one of them", earlier.key_at.line));
      duplicate = true;
      break;
    }
    if (duplicate) continue;
    m_reader.record(key_path(field.path), field.key_at);
    m_reader.record(field.path, field.at);
    m_fields.push_back(std::move(field));
    m_used.push_back(false);
  }
}

const Field* MapReader::get(std::string_view key) {
  for (std::size_t i = 0; i < m_fields.size(); ++i) {
    if (m_fields[i].key != key) continue;
    m_used[i] = true;
    return &m_fields[i];
  }
  return nullptr;
}

void MapReader::require(const std::vector<std::string_view>& keys) {
  if (!m_is_map) return;
  for (const auto key : keys) {
    bool present = false;
    for (const auto& field : m_fields) present = present || field.key == key;
    if (present) continue;
    const std::string where = m_path.empty() ? "the lab" : m_path;
    m_reader.error(m_at, with_path(m_path, fmt::format("missing required key \"{}\"", key)),
                   fmt::format("add \"{}: ...\" to {}", key, m_what.empty() ? where : m_what));
  }
}

void MapReader::finish() {
  for (std::size_t i = 0; i < m_fields.size(); ++i) {
    if (m_used[i]) continue;
    const auto& field = m_fields[i];
    const auto suggestion = util::did_you_mean(field.key, m_known);
    std::string message = m_path.empty() ? fmt::format("unknown top-level key \"{}\"", field.key)
                                         : with_path(m_path, fmt::format("unknown key \"{}\"", field.key));
    if (suggestion) message += fmt::format("; did you mean \"{}\"?", *suggestion);
    const std::string owner = m_what.empty() ? "here" : "in " + m_what;
    m_reader.error(field.key_at, message,
                   m_known.empty() ? std::string("no keys are allowed here")
                                   : fmt::format("keys allowed {}: {}", owner, util::join(m_known)));
  }
}

std::optional<std::string> MapReader::string(std::string_view key) {
  const Field* field = get(key);
  return field ? read_string(m_reader, *field) : std::nullopt;
}

std::optional<int> MapReader::integer(std::string_view key) {
  const Field* field = get(key);
  return field ? read_integer(m_reader, *field) : std::nullopt;
}

std::optional<std::vector<std::string>> MapReader::strings(std::string_view key) {
  const Field* field = get(key);
  if (!field) return std::nullopt;
  auto items = read_list(m_reader, *field);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : *items)
    if (auto value = read_string(m_reader, item)) out.push_back(std::move(*value));
  return out;
}

std::optional<std::string> MapReader::choice(std::string_view key, const std::vector<std::string>& choices,
                                             std::string_view noun) {
  const Field* field = get(key);
  return field ? read_choice(m_reader, *field, choices, noun) : std::nullopt;
}

} // namespace meshlab::lab::detail

// Reading YAML nodes for the lab loader: typed values, mappings checked for unknown and
// duplicate keys, and every key and value recorded in the lab's SourceMap. Problems
// become diagnostics; nothing here throws for bad input.
#pragma once

#include "lab/model.hpp"
#include "util/error.hpp"

#include "lab/yaml_tree.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::lab::detail {

// "clusters" + "east" → "clusters.east"; "" + "name" → "name".
std::string child_path(const std::string& path, std::string_view key);
// "clusters.east.nodes" + 1 → "clusters.east.nodes[1]".
std::string item_path(const std::string& path, std::size_t index);
// Where the key of `path` was written is recorded under this (see Lab::where_key).
std::string key_path(const std::string& path);
// Recorded when the loader rejected the value at `path` (see SourceMap).
std::string invalid_path(const std::string& path);

// One key of a mapping and its value.
struct Field {
  std::string key;
  YamlNode value;
  std::string path;   // dotted path of the value
  Position key_at;    // where the key was written
  Position at;        // where the value was written (the key's position for block
                      // collections and empty values, where the key is the useful spot)
  bool key_quoted = false; // the key was written in quotes (so "on" or "1" is a string)
};

// Collects diagnostics and positions for one file.
class Reader {
public:
  Reader(std::string file, SourceMap& positions, std::vector<Diagnostic>& diagnostics)
      : m_file(std::move(file)), m_positions(positions), m_diagnostics(diagnostics) {}

  // Where `node` starts; `fallback` for nodes without a mark (an absent or empty value).
  Position position(const YamlNode& node, const Position& fallback) const;
  void record(const std::string& path, const Position& at) { m_positions[path] = at; }
  void error(const Position& at, std::string message, std::string hint);
  // Reports a value the loader cannot use and marks `field`'s path "#invalid".
  void reject(const Field& field, std::string message, std::string hint);
  const std::string& file() const { return m_file; }
  bool has(const std::string& path) const { return m_positions.count(path) > 0; }
  std::size_t error_count() const { return m_diagnostics.size(); }

private:
  std::string m_file;
  SourceMap& m_positions;
  std::vector<Diagnostic>& m_diagnostics;
};

// "a string", "a mapping", "a list", "nothing" — for "expected X, got Y" messages.
std::string describe(const YamlNode& node);

// Reads a mapping: reports a non-mapping value, duplicate keys and (on finish) keys not
// in `known`. A mapping keyed by names (clusters, cells, ...) passes no known keys.
class MapReader {
public:
  MapReader(Reader& reader, const YamlNode& node, std::string path, Position at,
            std::vector<std::string_view> known = {}, std::string_view what = {});
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  bool is_map() const { return m_is_map; }
  const std::vector<Field>& fields() const { return m_fields; }
  const std::string& path() const { return m_path; }
  const Position& at() const { return m_at; }

  // The field for `key` (and marks it as known); nullptr when absent.
  const Field* get(std::string_view key);
  // Reports every key in `keys` that is absent, at the mapping's position.
  void require(const std::vector<std::string_view>& keys);
  // Reports the keys nobody asked for, with a did-you-mean suggestion.
  void finish();

  // Typed getters: nullopt when absent or of the wrong type (reported).
  std::optional<std::string> string(std::string_view key);
  std::optional<int> integer(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  // A string from `choices`; reports "unknown <noun> ..." otherwise.
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& choices,
                                    std::string_view noun);

private:
  Reader& m_reader;
  std::string m_path;
  Position m_at;
  bool m_is_map = false;
  std::vector<std::string_view> m_known;
  std::string m_what;
  std::vector<Field> m_fields;
  std::vector<bool> m_used;
};

// Typed reads of one value, reporting at the field: nullopt when of the wrong type.
std::optional<std::string> read_string(Reader& reader, const Field& field);
std::optional<int> read_integer(Reader& reader, const Field& field);
std::optional<std::string> read_choice(Reader& reader, const Field& field, const std::vector<std::string>& choices,
                                       std::string_view noun);
// A list; scalars in it are read with read_string. Records each item's position as path[i].
std::optional<std::vector<Field>> read_list(Reader& reader, const Field& field);

} // namespace meshlab::lab::detail

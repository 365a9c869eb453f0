// docs/lab-file.md (the reference people read) and docs/lab.schema.json (what editors check)
// must describe the same keys, so neither can drift from the other: every key in the first
// column of a table exists in the schema at that place, and every property the schema gives
// a documented section appears in that section's table.
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using Json = nlohmann::json;
using Path = std::vector<std::string>; // {"clusters", "*", "nodes", "[]", "role"}

namespace {

std::string source_file(const std::string& relative) {
  return meshlab::util::read_file(std::string(MESHLAB_SOURCE_DIR) + "/" + relative);
}

std::string join(const Path& path) {
  std::string out;
  for (const auto& part : path) out += (out.empty() || part == "[]" ? "" : ".") + part;
  return out.empty() ? "<top level>" : out;
}

// "clusters.<name>" → {clusters, *}; "nodes[].role" → {nodes, [], role}.
Path split_key(std::string_view key) {
  Path path;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto dot = key.find('.', start);
    std::string part{key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start)};
    if (part.starts_with("<")) {
      path.emplace_back("*");
    } else if (part.ends_with("[]")) {
      path.push_back(part.substr(0, part.size() - 2));
      path.emplace_back("[]");
    } else {
      path.push_back(part);
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return path;
}

// The text between each pair of backticks in `text`, in order.
std::vector<std::string> backticked(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t open = text.find('`');
  while (open != std::string_view::npos) {
    const auto close = text.find('`', open + 1);
    if (close == std::string_view::npos) break;
    tokens.emplace_back(text.substr(open + 1, close - open - 1));
    open = text.find('`', close + 1);
  }
  return tokens;
}

// Follows local references ("#/definitions/cluster").
const Json& deref(const Json& root, const Json& node) {
  const Json* current = &node;
  while (current->is_object() && current->contains("$ref")) {
    const auto ref = current->at("$ref").get<std::string>();
    REQUIRE(ref.starts_with("#/"));
    current = &root.at(Json::json_pointer(ref.substr(1)));
  }
  return *current;
}

// The schema of the value at `path`; nullptr when the schema has no such key.
const Json* find(const Json& root, const Path& path) {
  const Json* node = &root;
  for (const auto& part : path) {
    const Json& here = deref(root, *node);
    if (part == "*") {
      if (!here.contains("additionalProperties") || !here.at("additionalProperties").is_object()) return nullptr;
      node = &here.at("additionalProperties");
    } else if (part == "[]") {
      if (!here.contains("items")) return nullptr;
      node = &here.at("items");
    } else {
      if (!here.contains("properties") || !here.at("properties").contains(part)) return nullptr;
      node = &here.at("properties").at(part);
    }
  }
  return &deref(root, *node);
}

struct DocKey {
  Path path; // from the top level
  int line = 0;
  std::string written;
};

struct Section {
  Path path;
  int line = 0;
  std::vector<DocKey> keys;
};

// The first cell of a table row ("| `a` / `b` | string | ..."), or nothing for other lines.
std::optional<std::string_view> first_cell(std::string_view line) {
  if (!line.starts_with("|")) return std::nullopt;
  std::size_t end = 1;
  while (end < line.size() && !(line[end] == '|' && line[end - 1] != '\\')) ++end;
  return line.substr(1, end - 1);
}

// Every table of lab-file.md with the keys of its first column. A section is a "##" or "###"
// heading naming its place in backticks ("## Clusters (`clusters.<name>`)"), or "## Top
// level". A key written from the top ("`defaults.cluster.cpus`" under "### `defaults`")
// starts with the section's own name; "`a` / `b`" and "`a`, `b`" name siblings of `a`.
std::vector<Section> read_tables(const std::string& markdown) {
  std::vector<Section> sections;
  std::optional<Section> current;
  bool current_named = false;
  std::istringstream lines{markdown};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.starts_with("## ") || line.starts_with("### ")) {
      if (current && !current->keys.empty()) sections.push_back(*current);
      const auto tokens = backticked(line);
      current_named = !tokens.empty() || line == "## Top level";
      current = Section{current_named && !tokens.empty() ? split_key(tokens.front()) : Path{}, number, {}};
      continue;
    }
    const auto cell = first_cell(line);
    if (!cell || !current) continue;
    const auto tokens = backticked(*cell);
    if (tokens.empty()) continue; // the header row and the |---| separator
    CAPTURE(number);
    CAPTURE(line);
    REQUIRE_MESSAGE(current_named, "a table of keys under a heading that names no place in the lab file");
    const Path& base = current->path;
    Path first = split_key(tokens.front());
    if (!base.empty() && first.front() == base.back()) {
      first.erase(first.begin());
      first.insert(first.begin(), base.begin(), base.end());
    } else {
      first.insert(first.begin(), base.begin(), base.end());
    }
    current->keys.push_back({first, number, tokens.front()});
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      Path sibling = first;
      sibling.back() = tokens[i];
      current->keys.push_back({sibling, number, tokens[i]});
    }
  }
  if (current && !current->keys.empty()) sections.push_back(*current);
  return sections;
}

} // namespace

TEST_CASE("docs::lab_file") {
  const auto schema = Json::parse(source_file("docs/lab.schema.json"));
  const auto sections = read_tables(source_file("docs/lab-file.md"));
  std::size_t key_count = 0;
  for (const auto& section : sections) key_count += section.keys.size();

  SUBCASE("the tables are found") {
    // Top level, addressPools, defaults, cells, clusters, VMs, CA, registries, Istio, Argo CD,
    // apps, traffic; a parser that silently finds nothing must not pass.
    CHECK(sections.size() == 12);
    CHECK(key_count >= 90);
  }

  SUBCASE("every documented key is in the schema at its place") {
    for (const auto& section : sections) {
      for (const auto& key : section.keys) {
        CAPTURE(key.line);
        CAPTURE(key.written);
        INFO("docs/lab-file.md:", key.line, ": `", key.written, "` is ", join(key.path),
             ", which docs/lab.schema.json does not define");
        CHECK(find(schema, key.path) != nullptr);
      }
    }
  }

  SUBCASE("every property of a documented section is in its table") {
    for (const auto& section : sections) {
      const Json* node = find(schema, section.path);
      CAPTURE(section.line);
      REQUIRE_MESSAGE(node != nullptr, "section ", join(section.path), " is not in the schema");
      std::set<std::string> documented;
      for (const auto& key : section.keys)
        if (key.path.size() > section.path.size()) documented.insert(key.path[section.path.size()]);
      if (!node->contains("properties")) continue;
      for (const auto& [name, ignored] : node->at("properties").items()) {
        INFO("docs/lab.schema.json defines ", join(section.path), ".", name,
             " but the table under docs/lab-file.md:", section.line, " does not list it");
        CHECK(documented.count(name) == 1);
      }
    }
  }
}

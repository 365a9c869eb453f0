#include "lab/yaml_tree.hpp"

#include <fmt/format.h>
#include <yaml.h>

#include <algorithm>
#include <unordered_map>

namespace meshlab::lab {

using yaml_tree::Kind;
using yaml_tree::NodeData;

const std::string& YamlNode::scalar() const {
  static const std::string k_none;
  return is_scalar() ? data().scalar : k_none;
}

std::size_t YamlNode::size() const {
  if (is_sequence()) return data().children.size();
  return is_map() ? data().children.size() / 2 : 0;
}

std::vector<YamlNode> YamlNode::items() const {
  std::vector<YamlNode> out;
  if (!is_sequence()) return out;
  out.reserve(data().children.size());
  for (const auto child : data().children) out.emplace_back(m_arena, child);
  return out;
}

std::vector<std::pair<YamlNode, YamlNode>> YamlNode::entries() const {
  std::vector<std::pair<YamlNode, YamlNode>> out;
  if (!is_map()) return out;
  const auto& children = data().children;
  out.reserve(children.size() / 2);
  for (std::size_t i = 0; i + 1 < children.size(); i += 2)
    out.emplace_back(YamlNode(m_arena, children[i]), YamlNode(m_arena, children[i + 1]));
  return out;
}

namespace {

// The plain scalars YAML's core schema reads as null, as yaml-cpp does.
bool is_null_word(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::string text_of(const yaml_char_t* chars) {
  return chars == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(chars));
}

// libyaml's reader errors carry a byte offset instead of a mark.
std::pair<int, int> line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const auto before = text.substr(0, offset);
  const int line = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  const auto last_newline = before.rfind('\n');
  const auto column = last_newline == std::string_view::npos ? offset : offset - last_newline - 1;
  return {line + 1, static_cast<int>(column) + 1};
}

YamlSyntaxError syntax_error(const yaml_parser_t& parser, std::string_view text) {
  YamlSyntaxError error;
  error.message = parser.problem != nullptr ? parser.problem : "cannot be parsed";
  if (parser.error == YAML_READER_ERROR) {
    std::tie(error.line, error.column) = line_and_column(text, parser.problem_offset);
    return error;
  }
  error.line = static_cast<int>(parser.problem_mark.line) + 1;
  error.column = static_cast<int>(parser.problem_mark.column) + 1;
  if (parser.context != nullptr) {
    error.message += fmt::format(" {}", parser.context);
    if (parser.context_mark.line != parser.problem_mark.line)
      error.message += fmt::format(" (begun at line {})", parser.context_mark.line + 1);
  }
  return error;
}

// Owns a libyaml event until the next one.
struct Event {
  yaml_event_t event{};
  bool held = false;
  ~Event() { release(); }
  void release() {
    if (held) yaml_event_delete(&event);
    held = false;
  }
};

} // namespace

YamlStream::YamlStream(std::string_view text) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    m_error = std::make_unique<YamlSyntaxError>(YamlSyntaxError{"out of memory while parsing", 0, 0});
    return;
  }
  struct ParserCloser {
    yaml_parser_t* parser;
    ~ParserCloser() { yaml_parser_delete(parser); }
  } closer{&parser};
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());

  std::vector<std::uint32_t> open;                       // collections not yet ended
  std::unordered_map<std::string, std::uint32_t> anchors; // anchor -> node
  std::vector<std::uint32_t> roots;
  const auto add = [&](NodeData node, const yaml_char_t* anchor) {
    const auto index = static_cast<std::uint32_t>(m_arena.size());
    m_arena.push_back(std::move(node));
    if (anchor != nullptr) anchors[text_of(anchor)] = index;
    if (open.empty())
      roots.push_back(index);
    else
      m_arena[open.back()].children.push_back(index);
    return index;
  };
  const auto fail = [&](YamlSyntaxError error) {
    m_error = std::make_unique<YamlSyntaxError>(std::move(error));
    m_arena.clear();
  };

  Event current;
  for (;;) {
    current.release();
    if (yaml_parser_parse(&parser, &current.event) == 0) {
      fail(syntax_error(parser, text));
      return;
    }
    current.held = true;
    const auto& event = current.event;
    NodeData node;
    node.line = static_cast<int>(event.start_mark.line);
    node.column = static_cast<int>(event.start_mark.column);
    switch (event.type) {
    case YAML_STREAM_END_EVENT:
      for (const auto root : roots) m_documents.emplace_back(&m_arena, root);
      return;
    case YAML_SCALAR_EVENT: {
      const auto& scalar = event.data.scalar;
      const std::string tag = text_of(scalar.tag);
      node.scalar.assign(reinterpret_cast<const char*>(scalar.value), scalar.length);
      node.quoted = scalar.style != YAML_PLAIN_SCALAR_STYLE || tag == "tag:yaml.org,2002:str";
      const bool null = tag == "tag:yaml.org,2002:null" || (tag.empty() && !node.quoted && is_null_word(node.scalar));
      node.kind = null ? Kind::null : Kind::scalar;
      if (null) node.scalar.clear();
      add(std::move(node), scalar.anchor);
      break;
    }
    case YAML_SEQUENCE_START_EVENT:
      node.kind = Kind::sequence;
      node.flow = event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
      open.push_back(add(std::move(node), event.data.sequence_start.anchor));
      break;
    case YAML_MAPPING_START_EVENT:
      node.kind = Kind::map;
      node.flow = event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
      open.push_back(add(std::move(node), event.data.mapping_start.anchor));
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      if (!open.empty()) open.pop_back();
      break;
    case YAML_ALIAS_EVENT: {
      const auto name = text_of(event.data.alias.anchor);
      const auto found = anchors.find(name);
      if (found == anchors.end()) {
        fail({fmt::format("the alias *{} names no anchor (&{}) written before it", name, name), node.line + 1,
              node.column + 1});
        return;
      }
      // The node itself, not a copy: a reference to an enclosing node makes a cycle, which
      // the readers bound by depth like any deep document.
      if (open.empty())
        roots.push_back(found->second);
      else
        m_arena[open.back()].children.push_back(found->second);
      break;
    }
    default: break; // stream and document starts, document ends: nothing to keep
    }
  }
}

} // namespace meshlab::lab

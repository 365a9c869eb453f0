// A YAML stream parsed into trees whose every node knows where it was written: the lab
// loader's input. Parsed with libyaml, whose scanner is an order of magnitude faster than
// yaml-cpp's (which matches regular expressions per character and took a third of
// rendering a 100-cluster lab). Holds only what the loader reads: node kind, scalar text,
// whether a scalar was quoted, whether a collection was written in flow style, position.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshlab::lab {

class YamlNode;

namespace yaml_tree {
enum class Kind : std::uint8_t { null, scalar, map, sequence };
struct NodeData {
  Kind kind = Kind::null;
  bool flow = false;   // {..} or [..]
  bool quoted = false; // a scalar in quotes or tagged !!str: a string whatever it says
  int line = -1;       // 0-based, like yaml-cpp's Mark
  int column = -1;
  std::string scalar;
  std::vector<std::uint32_t> children; // a sequence's items; a map's keys and values, alternating
};
// Every node of a stream; aliases are indexes of the node they name (so cycles cost nothing).
using Arena = std::vector<NodeData>;
} // namespace yaml_tree

// A handle to one node of a YamlStream; a default-constructed handle is "not there" (an
// absent value). Valid while its stream lives.
class YamlNode {
public:
  YamlNode() = default;
  YamlNode(const yaml_tree::Arena* arena, std::uint32_t index) : m_arena(arena), m_index(index) {}

  bool defined() const { return m_arena != nullptr; }
  bool is_null() const { return defined() && data().kind == yaml_tree::Kind::null; }
  bool is_scalar() const { return defined() && data().kind == yaml_tree::Kind::scalar; }
  bool is_map() const { return defined() && data().kind == yaml_tree::Kind::map; }
  bool is_sequence() const { return defined() && data().kind == yaml_tree::Kind::sequence; }
  bool flow() const { return defined() && data().flow; }
  bool quoted() const { return defined() && data().quoted; }
  // The scalar's text ("" for anything else).
  const std::string& scalar() const;
  // Where the node starts, 0-based; -1 when unknown.
  int line() const { return defined() ? data().line : -1; }
  int column() const { return defined() ? data().column : -1; }

  // How many items a sequence has, or entries a map; 0 for anything else.
  std::size_t size() const;
  // A sequence's items, in order.
  std::vector<YamlNode> items() const;
  // A map's entries, in the order written (duplicates included: the reader reports them).
  std::vector<std::pair<YamlNode, YamlNode>> entries() const;

private:
  const yaml_tree::NodeData& data() const { return (*m_arena)[m_index]; }
  const yaml_tree::Arena* m_arena = nullptr;
  std::uint32_t m_index = 0;
};

// A syntax error: libyaml's description and where it found the problem (1-based; 0 when
// it could not say).
struct YamlSyntaxError {
  std::string message;
  int line = 0;
  int column = 0;
};

// Every document of a YAML text.
class YamlStream {
public:
  // Parses `text`; on a syntax error, documents() is empty and error() says what and where.
  explicit YamlStream(std::string_view text);
  YamlStream(const YamlStream&) = delete;
  YamlStream& operator=(const YamlStream&) = delete;

  const std::vector<YamlNode>& documents() const { return m_documents; }
  const YamlSyntaxError* error() const { return m_error.get(); }

private:
  yaml_tree::Arena m_arena;
  std::vector<YamlNode> m_documents;
  std::unique_ptr<YamlSyntaxError> m_error;
};

} // namespace meshlab::lab

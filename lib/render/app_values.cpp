// An app's Helm values with per-cluster variables (${cluster}, ${cell}, ${network},
// ${domain}, ${region}, ${zone}, ${subzone}). Substituting into the YAML text would let a
// value such as `a: b` or a newline reshape the document, so the values are parsed once
// and re-emitted per cluster, substituting only inside scalars and quoting what changed.
#include "lab/yaml_tree.hpp"
#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::render::mesh {

std::string substitute(std::string_view text, const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find("${", pos);
    if (open == std::string_view::npos) break;
    const auto close = text.find('}', open + 2);
    if (close == std::string_view::npos) break;
    out += text.substr(pos, open - pos);
    const auto it = vars.find(std::string(text.substr(open + 2, close - open - 2)));
    if (it != vars.end())
      out += it->second;
    else
      out += text.substr(open, close - open + 1);
    pos = close + 1;
  }
  out += text.substr(pos);
  return out;
}

namespace {

using Piece = AppValues::Piece;

// Writes the values once, as every cluster gets them, into pieces cut before each
// scalar a variable may change.
class Writer {
public:
  std::vector<Piece> finish() {
    m_pieces.push_back({std::move(m_text), "", false, true});
    return std::move(m_pieces);
  }

  void text(std::string_view text) { m_text += text; }

  // A plain (unquoted, untagged) scalar reads back the same when written plain again in
  // block context; anything else, or anything a variable changed (see AppValues::render),
  // is quoted. Keys are written as they are: variables only apply to values.
  void scalar(const lab::YamlNode& node, bool key) {
    if (node.is_null()) return text("null");
    const auto& value = node.scalar();
    const bool plain = !node.quoted() && !value.empty();
    if (key || value.find("${") == std::string::npos) return text(plain ? value : yaml_quote(value));
    m_pieces.push_back({std::move(m_text), value, plain, false});
    m_text.clear();
  }

private:
  std::vector<Piece> m_pieces;
  std::string m_text;
};

void emit(const lab::YamlNode& node, int indent, bool inline_first, Writer& out);

// Writes what follows "key:" or "-": a scalar or empty collection on the same line, a
// nested collection on the next lines (a mapping inside a sequence item starts inline).
void emit_value(const lab::YamlNode& value, int indent, bool in_sequence, Writer& out) {
  if (value.is_map() && value.size() > 0) {
    if (in_sequence) {
      out.text(" ");
      emit(value, indent + 2, true, out);
    } else {
      out.text("\n");
      emit(value, indent + 2, false, out);
    }
  } else if (value.is_sequence() && value.size() > 0) {
    out.text("\n");
    emit(value, indent + 2, false, out);
  } else if (value.is_map()) {
    out.text(" {}\n");
  } else if (value.is_sequence()) {
    out.text(" []\n");
  } else {
    out.text(" ");
    out.scalar(value, false);
    out.text("\n");
  }
}

void emit(const lab::YamlNode& node, int indent, bool inline_first, Writer& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  bool first = true;
  if (node.is_map()) {
    for (const auto& entry : node.entries()) {
      if (!entry.first.is_scalar()) throw Error("Helm values: mapping keys must be scalars");
      if (!first || !inline_first) out.text(pad);
      out.scalar(entry.first, true);
      out.text(":");
      emit_value(entry.second, indent, false, out);
      first = false;
    }
  } else {
    for (const auto& item : node.items()) {
      if (!first || !inline_first) out.text(pad);
      out.text("-");
      emit_value(item, indent, true, out);
      first = false;
    }
  }
}

} // namespace

AppValues::AppValues(const std::string& yaml, const std::string& what) {
  const lab::YamlStream stream(yaml);
  if (const auto* error = stream.error())
    throw Error(fmt::format("{}: not valid YAML: {}", what, error->message));
  const lab::YamlNode root = stream.documents().empty() ? lab::YamlNode() : stream.documents().front();
  if (root.defined() && !root.is_null() && !root.is_map())
    throw Error(fmt::format("{}: Helm values must be a mapping of keys to values", what));
  m_empty = !root.is_map() || root.size() == 0;
  if (m_empty) return;
  try {
    Writer writer;
    emit(root, 0, false, writer);
    m_pieces = writer.finish();
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", what, e.what()));
  }
}

bool AppValues::empty() const { return m_empty; }

std::string AppValues::render(const std::map<std::string, std::string>& vars) const {
  if (m_empty) return "{}\n";
  std::string out;
  for (const auto& piece : m_pieces) {
    out += piece.text;
    if (piece.last) break;
    const auto replaced = substitute(piece.scalar, vars);
    out += piece.plain && replaced == piece.scalar ? piece.scalar : yaml_quote(replaced);
  }
  return out;
}

} // namespace meshlab::render::mesh

// An app's Helm values with per-cluster variables (${cluster}, ${cell}, ${network},
// ${domain}, ${region}, ${zone}, ${subzone}). Substituting into the YAML text would let a
// value such as `a: b` or a newline reshape the document, so the values are parsed once
// and re-emitted per cluster, substituting only inside scalars and quoting what changed.
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

using Vars = std::map<std::string, std::string>;

// A plain (unquoted, untagged) scalar reads back the same when written plain again in
// block context; anything else, or anything a variable changed, is quoted.
std::string scalar(const YAML::Node& node, const Vars* vars) {
  if (node.IsNull()) return "null";
  const auto& value = node.Scalar();
  const std::string replaced = vars ? substitute(value, *vars) : value;
  if (node.Tag() == "?" && replaced == value && !value.empty()) return value;
  return yaml_quote(replaced);
}

void emit(const YAML::Node& node, int indent, bool inline_first, const Vars& vars, std::string& out);

// Writes what follows "key:" or "-": a scalar or empty collection on the same line, a
// nested collection on the next lines (a mapping inside a sequence item starts inline).
void emit_value(const YAML::Node& value, int indent, bool in_sequence, const Vars& vars, std::string& out) {
  if (value.IsMap() && value.size() > 0) {
    if (in_sequence) {
      out += ' ';
      emit(value, indent + 2, true, vars, out);
    } else {
      out += '\n';
      emit(value, indent + 2, false, vars, out);
    }
  } else if (value.IsSequence() && value.size() > 0) {
    out += '\n';
    emit(value, indent + 2, false, vars, out);
  } else if (value.IsMap()) {
    out += " {}\n";
  } else if (value.IsSequence()) {
    out += " []\n";
  } else {
    out += ' ' + scalar(value, &vars) + '\n';
  }
}

void emit(const YAML::Node& node, int indent, bool inline_first, const Vars& vars, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  bool first = true;
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) throw Error("Helm values: mapping keys must be scalars");
      out += (first && inline_first) ? "" : pad;
      out += scalar(entry.first, nullptr) + ':';
      emit_value(entry.second, indent, false, vars, out);
      first = false;
    }
  } else {
    for (const auto& item : node) {
      out += (first && inline_first) ? "" : pad;
      out += '-';
      emit_value(item, indent, true, vars, out);
      first = false;
    }
  }
}

} // namespace

AppValues::AppValues(const std::string& yaml, const std::string& what) {
  try {
    m_root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: not valid YAML: {}", what, e.msg));
  }
  if (!m_root.IsNull() && !m_root.IsMap())
    throw Error(fmt::format("{}: Helm values must be a mapping of keys to values", what));
  // Emit once now, so a problem (a complex key) surfaces with its name, not per cluster.
  try {
    render({});
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", what, e.what()));
  }
}

bool AppValues::empty() const { return m_root.IsNull() || m_root.size() == 0; }

std::string AppValues::render(const std::map<std::string, std::string>& vars) const {
  std::string out;
  if (empty()) return "{}\n";
  emit(m_root, 0, false, vars, out);
  return out;
}

} // namespace meshlab::render::mesh

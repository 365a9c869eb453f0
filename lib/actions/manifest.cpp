#include "actions/manifest.hpp"

#include <string_view>

namespace meshlab::actions {

namespace {

bool plain_key(const std::string& key) {
  if (key.empty() || key.front() == '-') return false;
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '/' || c == '-';
    if (!ok) return false;
  }
  // Plain scalars YAML 1.1 would read as something else than a string key.
  std::string lower;
  for (const char c : key) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const std::string_view word : {"true", "false", "yes", "no", "on", "off", "null", "y", "n"})
    if (lower == word) return false;
  return key.find_first_not_of("0123456789.") != std::string::npos;
}

bool scalar_or_empty(const nlohmann::ordered_json& value) { return value.is_primitive() || value.empty(); }

// Scalars and empty containers on one line; JSON's spelling of them is valid YAML.
std::string inline_text(const nlohmann::ordered_json& value) {
  if (value.is_object() && value.empty()) return "{}";
  if (value.is_array() && value.empty()) return "[]";
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string key_text(const std::string& key) { return plain_key(key) ? key : inline_text(nlohmann::ordered_json(key)); }

void emit(std::string& out, const nlohmann::ordered_json& value, int indent);

void emit_object(std::string& out, const nlohmann::ordered_json& object, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (const auto& [key, value] : object.items()) {
    out += pad + key_text(key) + ":";
    if (scalar_or_empty(value)) {
      out += " " + inline_text(value) + "\n";
    } else {
      out += "\n";
      emit(out, value, value.is_array() ? indent : indent + 2);
    }
  }
}

void emit_array(std::string& out, const nlohmann::ordered_json& array, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (const auto& item : array) {
    if (scalar_or_empty(item)) {
      out += pad + "- " + inline_text(item) + "\n";
      continue;
    }
    // The first line of the item goes after "- ", the rest indented to match.
    std::string inner;
    emit(inner, item, indent + 2);
    out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
  }
}

void emit(std::string& out, const nlohmann::ordered_json& value, int indent) {
  if (value.is_object())
    emit_object(out, value, indent);
  else if (value.is_array())
    emit_array(out, value, indent);
  else
    out += std::string(static_cast<std::size_t>(indent), ' ') + inline_text(value) + "\n";
}

} // namespace

std::string to_yaml(const nlohmann::ordered_json& doc) {
  std::string out;
  if (scalar_or_empty(doc)) return inline_text(doc) + "\n";
  emit(out, doc, 0);
  return out;
}

std::string yaml_stream(const std::vector<nlohmann::ordered_json>& docs) {
  std::string out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (i > 0) out += "---\n";
    out += to_yaml(docs[i]);
  }
  return out;
}

nlohmann::ordered_json namespace_object(const std::string& name, const std::map<std::string, std::string>& labels) {
  nlohmann::ordered_json doc = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  if (!labels.empty()) doc["metadata"]["labels"] = labels;
  return doc;
}

nlohmann::ordered_json secret_object(const std::string& name, const std::string& ns, const std::string& type) {
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", name}, {"namespace", ns}}}, {"type", type}};
}

} // namespace meshlab::actions

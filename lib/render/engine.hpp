// Renders mustache templates (embedded, or a user's copies from --templates DIR) into
// YAML. Values are computed in C++ view models; templates only hold sections and loops.
#pragma once

#include <kainjow/mustache.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace meshlab::render {

using Data = kainjow::mustache::data;

// Where templates come from: the ones compiled into meshlab, or a directory laid out
// like templates/ in the source tree.
class TemplateSource {
public:
  explicit TemplateSource(std::optional<std::filesystem::path> dir = std::nullopt);
  // Returns the template text; throws meshlab::Error when `name` does not exist.
  std::string load(std::string_view name) const;

private:
  std::optional<std::filesystem::path> m_dir;
};

// Renders template `name` with `data`, without HTML escaping (the output is YAML).
// Throws meshlab::Error naming the template when it does not parse or fails to render.
std::string render_template(const TemplateSource& source, std::string_view name, const Data& data);

// A YAML double-quoted scalar that reads back as exactly `value`, whatever it holds
// (quotes, backslashes, newlines, control characters, '#', ': ', leading '-', ...).
std::string yaml_quote(std::string_view value);

// `text` with every non-empty line indented by `spaces`; for embedding a rendered
// document as a block scalar inside another.
std::string indent(std::string_view text, int spaces);

} // namespace meshlab::render

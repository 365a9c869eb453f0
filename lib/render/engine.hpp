// Renders mustache templates (embedded, or a user's copies from --templates DIR) into
// YAML. Values are computed in C++ view models; templates only hold sections and loops.
#pragma once

#include "util/strings.hpp"

#include <kainjow/mustache.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

namespace meshlab::render {

using Data = kainjow::mustache::data;

// What happens to the lines of a rendered template that hold nothing but blanks.
enum class BlankLines {
  keep, // as the template wrote them
  drop, // for templates whose sections leave blank lines that mean nothing (the mesh's)
};

// Where templates come from: the ones compiled into meshlab, or a directory laid out
// like templates/ in the source tree. Each template is read and parsed on its first use
// and kept, because a big lab renders thousands of files from a dozen templates and
// parsing dominated the render time. So one source serves one render run: a template
// changed on disk after its first use is not read again. Not for concurrent use (render_many
// runs threads of its own).
class TemplateSource {
public:
  explicit TemplateSource(std::optional<std::filesystem::path> dir = std::nullopt);
  // Returns the template text; throws meshlab::Error when `name` does not exist.
  std::string load(std::string_view name) const;
  // Renders template `name` with `data`, without HTML escaping (the output is YAML).
  // Throws meshlab::Error naming the template when it is missing, does not parse or
  // fails to render.
  std::string render(std::string_view name, const Data& data, BlankLines blank_lines = BlankLines::keep) const;
  // render(name, make_data(i)) for every i in [0, count), on the machine's cores (each
  // thread renders with its own copy of the parsed template): a big lab renders thousands
  // of Argo CD Applications from one template. Each item's data is made on the thread that
  // renders it and dropped right after, so building the data is spread over the cores too.
  // `make_data` is called concurrently.
  std::vector<std::string> render_each(std::string_view name, std::size_t count,
                                       const std::function<Data(std::size_t)>& make_data,
                                       BlankLines blank_lines = BlankLines::keep) const;

private:
  kainjow::mustache::mustache& parsed(std::string_view name) const;
  static std::string render_with(kainjow::mustache::mustache& tmpl, std::string_view name, const Data& data,
                                 BlankLines blank_lines);

  std::optional<std::filesystem::path> m_dir;
  // The cache behind a const interface: rendering does not change what a source yields.
  mutable std::map<std::string, kainjow::mustache::mustache, std::less<>> m_parsed;
};

// The same as `source.render(name, data)`.
std::string render_template(const TemplateSource& source, std::string_view name, const Data& data);

// A YAML double-quoted scalar (see util/strings.hpp); templates use it for every value.
using util::yaml_quote;

// `text` with every non-empty line indented by `spaces`; for embedding a rendered
// document as a block scalar inside another.
std::string indent(std::string_view text, int spaces);

} // namespace meshlab::render

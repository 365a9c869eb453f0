#include "render/engine.hpp"

#include "render/embedded_templates.hpp"
#include "util/parallel.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>

namespace meshlab::render {

TemplateSource::TemplateSource(std::optional<std::filesystem::path> dir) : m_dir(std::move(dir)) {}

std::string TemplateSource::load(std::string_view name) const {
  if (m_dir) {
    const auto path = *m_dir / name;
    if (!std::filesystem::exists(path))
      throw Error(fmt::format("template {} not found in {}", name, m_dir->string()));
    return util::read_file(path);
  }
  const auto& all = embedded_templates();
  if (auto it = all.find(name); it != all.end()) return std::string(it->second);
  throw Error(fmt::format("template {} is not built into meshlab", name));
}

namespace {

// A line holding only a section tag ({{#x}}, {{^x}} or {{/x}}) and blanks is
// "standalone": the mustache spec drops the whole line. kainjow 4.1 does so when the
// section renders but leaves an empty line when it is skipped, which breaks YAML
// lists and shows up as noise. So such lines are reduced to the bare tag beforehand.
std::string strip_standalone_sections(std::string_view text) {
  constexpr auto npos = std::string_view::npos;
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const auto line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto first = line.find_first_not_of(" \t");
    const auto last = line.find_last_not_of(" \t");
    const bool standalone = first != std::string_view::npos && line.substr(first, 3).size() == 3 &&
                            line.substr(first, 2) == "{{" && std::string_view("#^/").find(line[first + 2]) != npos &&
                            line.find("}}", first) == last - 1; // exactly one tag, ending the line
    if (standalone) {
      out += line.substr(first, last - first + 1);
    } else {
      out += line;
      if (end != std::string_view::npos) out += '\n';
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// `text` without the lines that hold nothing but blanks.
std::string drop_blank_lines(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    const std::string_view line(text.data() + start, end - start);
    if (line.find_first_not_of(" \n") != std::string_view::npos) out += line;
    start = end;
  }
  return out;
}

} // namespace

kainjow::mustache::mustache& TemplateSource::parsed(std::string_view name) const {
  if (auto it = m_parsed.find(name); it != m_parsed.end()) return it->second;
  kainjow::mustache::mustache tmpl{strip_standalone_sections(load(name))};
  if (!tmpl.is_valid()) throw Error(fmt::format("template {}: {}", name, tmpl.error_message()));
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  return m_parsed.emplace(std::string(name), std::move(tmpl)).first->second;
}

std::string TemplateSource::render(std::string_view name, const Data& data, BlankLines blank_lines) const {
  return render_with(parsed(name), name, data, blank_lines);
}

std::vector<std::string> TemplateSource::render_each(std::string_view name, std::size_t count,
                                                     const std::function<Data(std::size_t)>& make_data,
                                                     BlankLines blank_lines) const {
  // Below a few hundred files a thread costs more than it saves.
  constexpr std::size_t k_min_per_thread = 256;
  auto& shared = parsed(name);
  // kainjow's render is not const: each extra thread gets a copy of the parsed template.
  std::vector<kainjow::mustache::mustache> copies(util::parallel_workers(count, k_min_per_thread) - 1, shared);
  std::vector<std::string> out(count);
  util::parallel_for(count, k_min_per_thread, [&](std::size_t i, std::size_t worker) {
    out[i] = render_with(worker == 0 ? shared : copies[worker - 1], name, make_data(i), blank_lines);
  });
  return out;
}

std::string TemplateSource::render_with(kainjow::mustache::mustache& tmpl, std::string_view name, const Data& data,
                                        BlankLines blank_lines) {
  // Straight into a string: render(data) would go through an ostringstream.
  std::string out;
  tmpl.render(data, [&out](const std::string& text) { out += text; });
  if (!tmpl.is_valid()) throw Error(fmt::format("template {}: {}", name, tmpl.error_message()));
  return blank_lines == BlankLines::drop ? drop_blank_lines(out) : out;
}

std::string render_template(const TemplateSource& source, std::string_view name, const Data& data) {
  return source.render(name, data);
}


std::string indent(std::string_view text, int spaces) {
  const std::string pad(static_cast<std::size_t>(spaces), ' ');
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    const auto line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty()) out += pad;
    out += line;
    if (end == std::string_view::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

} // namespace meshlab::render

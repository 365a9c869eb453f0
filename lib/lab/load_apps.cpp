// Reads the delivery side of a lab file: apps (with their Helm values kept as YAML text)
// and traffic policies.
#include "lab/load_sections.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>


namespace meshlab::lab::detail {

namespace {

// Helm values may be any YAML, including aliases that refer to themselves or expand
// exponentially; these bounds keep such input from exhausting the stack or memory.
constexpr int k_max_values_depth = 64;
constexpr std::size_t k_max_values_nodes = 100000;

// Walks Helm values, recording positions (so the validator can point at a `${var}`),
// reporting duplicate keys, and writing them again as block YAML in the order written. A
// key or scalar written plain reads back the same written plain in block context; a quoted
// one stays quoted ("1.0" must not become a number in Helm, nor "on": a boolean key).
class ValuesWriter {
public:
  explicit ValuesWriter(Reader& reader) : m_reader(reader) {}

  // False when the values were too deep or too large (reported at `field`).
  bool write(const Field& field) {
    emit(field, 0, false);
    if (m_overflow)
      m_reader.reject(field,
                      fmt::format("{}: values are nested more than {} levels deep or hold more than {} entries",
                                  field.path, k_max_values_depth, k_max_values_nodes),
                      "Helm values must be plain data; check for an alias (*name) that refers to itself");
    return !m_overflow;
  }
  const std::string& text() const { return m_out; }

private:
  // A mapping or list as block lines at `indent`; `inline_first`: its first line goes
  // right after a "- " already written.
  void emit(const Field& field, int indent, bool inline_first) {
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    bool first = true;
    const auto line_start = [&] {
      if (!first || !inline_first) m_out += pad;
      first = false;
    };
    if (field.value.is_map()) {
      MapReader m(m_reader, field.value, field.path, field.at);
      for (const auto& child : m.fields()) {
        line_start();
        m_out += child.key_quoted ? util::yaml_quote(child.key) : child.key; // as written, like values
        m_out += ':';
        emit_value(child, indent, false);
      }
    } else {
      for (const auto& item : read_list(m_reader, field).value_or(std::vector<Field>{})) {
        line_start();
        m_out += '-';
        emit_value(item, indent, true);
      }
    }
  }

  // What follows "key:" or "-": a scalar or empty collection on the same line, a nested
  // collection below (a mapping in a list item starts on the item's line).
  void emit_value(const Field& field, int indent, bool in_list) {
    if (m_overflow) return;
    if (indent / 2 > k_max_values_depth || ++m_nodes > k_max_values_nodes) {
      m_overflow = true;
      return;
    }
    const auto& node = field.value;
    if (node.size() > 0) { // a non-empty mapping or list
      if (node.is_map() && in_list) {
        m_out += ' ';
        emit(field, indent + 2, true);
      } else {
        m_out += '\n';
        emit(field, indent + 2, false);
      }
      return;
    }
    if (node.is_map())
      m_out += " {}";
    else if (node.is_sequence())
      m_out += " []";
    else if (node.is_scalar())
      m_out += ' ' + (node.quoted() || node.scalar().empty() ? util::yaml_quote(node.scalar()) : node.scalar());
    else
      m_out += " ~";
    m_out += '\n';
  }

  Reader& m_reader;
  std::string m_out;
  std::size_t m_nodes = 0;
  bool m_overflow = false;
};

void read_values(Reader& reader, const Field& field, App& app) {
  if (field.value.is_null() || !field.value.defined()) return;
  if (!field.value.is_map()) {
    reader.error(field.at, fmt::format("{}: expected a mapping, got {}", field.path, describe(field.value)),
                 "write Helm values as \"key: value\" pairs indented under values:");
    return;
  }
  ValuesWriter writer(reader);
  if (!writer.write(field)) return;
  app.values_yaml = writer.text();
}

void read_git(Reader& reader, const Field& field, App& app) {
  MapReader m(reader, field.value, field.path, field.at, {"repo", "path", "revision"}, "a git source");
  m.require({"repo", "path"});
  GitSource git;
  if (auto v = m.string("repo")) git.repo = *v;
  if (auto v = m.string("path")) git.path = *v;
  if (auto v = m.string("revision")) git.revision = *v;
  m.finish();
  app.git = git;
}

void read_helm(Reader& reader, const Field& field, App& app) {
  MapReader m(reader, field.value, field.path, field.at, {"repo", "chart", "version"}, "a Helm source");
  m.require({"repo", "chart", "version"});
  HelmSource helm;
  if (auto v = m.string("repo")) helm.repo = *v;
  if (auto v = m.string("chart")) helm.chart = *v;
  if (auto v = m.string("version")) helm.version = *v;
  m.finish();
  app.helm = helm;
}

void read_failover(Reader& reader, const Field& field, TrafficPolicy& policy) {
  auto items = read_list(reader, field);
  if (!items) return;
  for (const auto& item : *items) {
    MapReader m(reader, item.value, item.path, item.at, {"from", "to"}, "a failover rule");
    m.require({"from", "to"});
    Failover rule;
    if (auto v = m.string("from")) rule.from = *v;
    if (auto v = m.string("to")) rule.to = *v;
    m.finish();
    policy.failover.push_back(std::move(rule));
  }
}

void read_distribute(Reader& reader, const Field& field, TrafficPolicy& policy) {
  auto items = read_list(reader, field);
  if (!items) return;
  for (const auto& item : *items) {
    MapReader m(reader, item.value, item.path, item.at, {"from", "to"}, "a distribute rule");
    m.require({"from", "to"});
    Distribute rule;
    if (auto v = m.string("from")) rule.from = *v;
    if (const Field* to = m.get("to")) {
      MapReader weights(reader, to->value, to->path, to->at);
      for (const auto& weight : weights.fields()) {
        if (auto percent = read_integer(reader, weight)) {
          rule.to[weight.key] = *percent;
          rule.to_order.push_back(weight.key);
        } else {
          reader.record(invalid_path(to->path), to->at); // the sum of the others means nothing
        }
      }
    }
    m.finish();
    policy.distribute.push_back(std::move(rule));
  }
}

} // namespace

Targets read_targets(Reader& reader, const Field& field) {
  Targets targets;
  const YamlNode& node = field.value;
  if (node.is_scalar()) {
    if (node.scalar() != "all")
      reader.reject(field, fmt::format("{}: unknown targets \"{}\"", field.path, node.scalar()),
                   "write all, {cell: NAME}, or a list of cluster names such as [east, west]");
    return targets;
  }
  if (node.is_map()) {
    MapReader m(reader, node, field.path, field.at, {"cell"}, "targets");
    m.require({"cell"});
    targets.kind = Targets::Kind::cell;
    if (auto v = m.string("cell")) targets.cell = *v;
    m.finish();
    return targets;
  }
  if (node.is_sequence()) {
    targets.kind = Targets::Kind::clusters;
    for (const auto& item : read_list(reader, field).value_or(std::vector<Field>{}))
      if (auto v = read_string(reader, item)) targets.clusters.push_back(*v);
    return targets;
  }
  reader.reject(field, fmt::format("{}: expected all, {{cell: NAME}} or a list, got nothing", field.path),
               "write all, {cell: NAME}, or a list of cluster names such as [east, west]");
  return targets;
}

void read_apps(Reader& reader, const Field& field, Lab& lab) {
  MapReader apps(reader, field.value, field.path, field.at);
  for (const auto& entry : apps.fields()) {
    App app;
    app.name = entry.key;
    MapReader m(reader, entry.value, entry.path, entry.key_at,
                {"namespace", "git", "helm", "targets", "values", "hosts", "port"}, "an app");
    if (auto v = m.string("namespace")) app.namespace_ = *v;
    if (const Field* f = m.get("git")) read_git(reader, *f, app);
    if (const Field* f = m.get("helm")) read_helm(reader, *f, app);
    if (const Field* f = m.get("targets")) app.targets = read_targets(reader, *f);
    if (const Field* f = m.get("values")) read_values(reader, *f, app);
    if (auto v = m.strings("hosts")) app.hosts = *v;
    if (auto v = m.integer("port")) app.port = *v;
    m.finish();
    lab.apps.push_back(std::move(app));
  }
}

void read_traffic(Reader& reader, const Field& field, Lab& lab) {
  MapReader policies(reader, field.value, field.path, field.at);
  for (const auto& entry : policies.fields()) {
    TrafficPolicy policy;
    policy.name = entry.key;
    MapReader m(reader, entry.value, entry.path, entry.key_at,
                {"host", "namespace", "targets", "failover", "distribute"}, "a traffic policy");
    m.require({"host"});
    if (auto v = m.string("host")) policy.host = *v;
    if (auto v = m.string("namespace")) policy.namespace_ = *v;
    if (const Field* f = m.get("targets")) policy.targets = read_targets(reader, *f);
    if (const Field* f = m.get("failover")) read_failover(reader, *f, policy);
    if (const Field* f = m.get("distribute")) read_distribute(reader, *f, policy);
    m.finish();
    lab.traffic.push_back(std::move(policy));
  }
}

} // namespace meshlab::lab::detail

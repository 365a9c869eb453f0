// Reads the delivery side of a lab file: apps (with their Helm values kept as YAML text)
// and traffic policies.
#include "lab/load_sections.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace meshlab::lab::detail {

namespace {

// Helm values may be any YAML, including aliases that refer to themselves or expand
// exponentially; these bounds keep such input from exhausting the stack or memory.
constexpr int k_max_values_depth = 64;
constexpr std::size_t k_max_values_nodes = 100000;

// Walks Helm values, recording positions (so the validator can point at a `${var}`),
// reporting duplicate keys, and emitting them again as YAML in the order written.
class ValuesWriter {
public:
  explicit ValuesWriter(Reader& reader) : m_reader(reader) {}

  // False when the values were too deep or too large (reported at `field`).
  bool write(const Field& field) {
    emit(field, 0);
    if (m_overflow)
      m_reader.reject(field,
                      fmt::format("{}: values are nested more than {} levels deep or hold more than {} entries",
                                  field.path, k_max_values_depth, k_max_values_nodes),
                      "Helm values must be plain data; check for an alias (*name) that refers to itself");
    return !m_overflow;
  }
  std::string text() const { return m_out.c_str(); }
  bool good() const { return m_out.good(); }
  std::string problem() const { return m_out.GetLastError(); }

private:
  void emit(const Field& field, int depth) {
    if (m_overflow) return;
    if (depth > k_max_values_depth || ++m_nodes > k_max_values_nodes) {
      m_overflow = true;
      return;
    }
    const YAML::Node& node = field.value;
    if (node.IsMap()) {
      MapReader m(m_reader, node, field.path, field.at);
      m_out << YAML::BeginMap;
      for (const auto& child : m.fields()) {
        m_out << YAML::Key << child.key << YAML::Value;
        emit(child, depth + 1);
      }
      m_out << YAML::EndMap;
    } else if (node.IsSequence()) {
      auto items = read_list(m_reader, field);
      m_out << YAML::BeginSeq;
      for (const auto& item : items.value_or(std::vector<Field>{})) emit(item, depth + 1);
      m_out << YAML::EndSeq;
    } else if (node.IsScalar()) {
      // A quoted scalar stays a string ("1.0" must not become a number in Helm).
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")
        m_out << YAML::DoubleQuoted << node.Scalar();
      else
        m_out << node.Scalar();
    } else {
      m_out << YAML::Null;
    }
  }

  Reader& m_reader;
  YAML::Emitter m_out;
  std::size_t m_nodes = 0;
  bool m_overflow = false;
};

void read_values(Reader& reader, const Field& field, App& app) {
  if (field.value.IsNull() || !field.value.IsDefined()) return;
  if (!field.value.IsMap()) {
    reader.error(field.at, fmt::format("{}: expected a mapping, got {}", field.path, describe(field.value)),
                 "write Helm values as \"key: value\" pairs indented under values:");
    return;
  }
  ValuesWriter writer(reader);
  if (!writer.write(field)) return;
  if (!writer.good()) {
    reader.reject(field, fmt::format("{}: cannot be written back as YAML: {}", field.path, writer.problem()),
                  "Helm values must be valid UTF-8 text");
    return;
  }
  app.values_yaml = writer.text() + "\n";
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
  const YAML::Node& node = field.value;
  if (node.IsScalar()) {
    if (node.Scalar() != "all")
      reader.reject(field, fmt::format("{}: unknown targets \"{}\"", field.path, node.Scalar()),
                   "write all, {cell: NAME}, or a list of cluster names such as [east, west]");
    return targets;
  }
  if (node.IsMap()) {
    MapReader m(reader, node, field.path, field.at, {"cell"}, "targets");
    m.require({"cell"});
    targets.kind = Targets::Kind::cell;
    if (auto v = m.string("cell")) targets.cell = *v;
    m.finish();
    return targets;
  }
  if (node.IsSequence()) {
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

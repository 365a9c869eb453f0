#include "kube/kubeconfig.hpp"

#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace meshlab::kube {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_sections[] = {"clusters", "users", "contexts"};

YAML::Node empty_root() {
  YAML::Node root;
  root["apiVersion"] = "v1";
  root["kind"] = "Config";
  root["preferences"] = YAML::Node(YAML::NodeType::Map);
  for (const char* section : k_sections) root[section] = YAML::Node(YAML::NodeType::Sequence);
  return root;
}

std::string entry_name(const YAML::Node& entry) {
  if (!entry.IsMap() || !entry["name"] || !entry["name"].IsScalar()) return {};
  return entry["name"].as<std::string>();
}

YAML::Node find_entry(const YAML::Node& root, const char* section, std::string_view name) {
  for (const auto& entry : root[section])
    if (entry_name(entry) == name) return entry;
  return YAML::Node(YAML::NodeType::Undefined);
}

// The `cluster:` map of `context`'s cluster entry; an undefined node when either is missing.
YAML::Node cluster_of(const YAML::Node& root, std::string_view context) {
  const auto ctx = find_entry(root, "contexts", context);
  if (!ctx || !ctx["context"] || !ctx["context"]["cluster"]) return YAML::Node(YAML::NodeType::Undefined);
  const auto cluster = find_entry(root, "clusters", ctx["context"]["cluster"].as<std::string>());
  if (!cluster || !cluster["cluster"]) return YAML::Node(YAML::NodeType::Undefined);
  return cluster["cluster"];
}

std::optional<std::string> cluster_field(const YAML::Node& root, std::string_view context, const char* field) {
  const auto cluster = cluster_of(root, context);
  if (!cluster || !cluster[field]) return std::nullopt;
  return cluster[field].as<std::string>();
}

void check_shape(const YAML::Node& root, const std::string& origin) {
  if (!root.IsMap()) throw Error(fmt::format("{}: not a valid kubeconfig: the top level is not a mapping", origin));
  for (const char* section : k_sections) {
    const auto list = root[section];
    if (!list || list.IsNull()) continue;
    if (!list.IsSequence())
      throw Error(fmt::format("{}: not a valid kubeconfig: \"{}\" is not a list", origin, section));
    for (const auto& entry : list)
      if (entry_name(entry).empty())
        throw Error(fmt::format("{}: not a valid kubeconfig: an entry of \"{}\" has no name", origin, section));
  }
}

} // namespace

Kubeconfig::Kubeconfig() : m_root(empty_root()) {}

Kubeconfig Kubeconfig::parse(std::string_view text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: not a valid kubeconfig: {}", origin, e.what()));
  }
  if (root.IsNull()) return Kubeconfig{}; // an empty file, as kubectl treats it
  check_shape(root, origin);
  for (const char* section : k_sections)
    if (!root[section] || root[section].IsNull()) root[section] = YAML::Node(YAML::NodeType::Sequence);
  return Kubeconfig{root};
}

Kubeconfig Kubeconfig::load(const fs::path& path) {
  if (!fs::exists(path)) return Kubeconfig{};
  return parse(util::read_file(path), path.string());
}

std::string Kubeconfig::dump() const {
  YAML::Emitter out;
  out << m_root;
  return std::string(out.c_str()) + "\n";
}

std::vector<std::string> Kubeconfig::context_names() const {
  std::vector<std::string> names;
  for (const auto& entry : m_root["contexts"]) names.push_back(entry_name(entry));
  return names;
}

std::optional<std::string> Kubeconfig::current_context() const {
  const auto node = m_root["current-context"];
  if (!node || !node.IsScalar() || node.as<std::string>().empty()) return std::nullopt;
  return node.as<std::string>();
}

std::optional<std::string> Kubeconfig::server(std::string_view context) const {
  return cluster_field(m_root, context, "server");
}

std::optional<std::string> Kubeconfig::certificate_authority_data(std::string_view context) const {
  return cluster_field(m_root, context, "certificate-authority-data");
}

Kubeconfig Kubeconfig::extract(std::string_view context, std::string_view new_name,
                               const std::optional<std::string>& new_server) const {
  const auto ctx = find_entry(m_root, "contexts", context);
  if (!ctx || !ctx["context"] || !ctx["context"]["cluster"] || !ctx["context"]["user"])
    throw Error(fmt::format("kubeconfig has no usable context \"{}\"", context));
  const auto cluster = find_entry(m_root, "clusters", ctx["context"]["cluster"].as<std::string>());
  const auto user = find_entry(m_root, "users", ctx["context"]["user"].as<std::string>());
  if (!cluster || !user)
    throw Error(fmt::format("kubeconfig context \"{}\" names a cluster or user that does not exist", context));

  YAML::Node root = empty_root();
  const std::string name(new_name);
  YAML::Node cluster_entry = YAML::Clone(cluster);
  cluster_entry["name"] = name;
  if (new_server) cluster_entry["cluster"]["server"] = *new_server;
  YAML::Node user_entry = YAML::Clone(user);
  user_entry["name"] = name;
  YAML::Node context_entry = YAML::Clone(ctx);
  context_entry["name"] = name;
  context_entry["context"]["cluster"] = name;
  context_entry["context"]["user"] = name;
  root["clusters"].push_back(cluster_entry);
  root["users"].push_back(user_entry);
  root["contexts"].push_back(context_entry);
  root["current-context"] = name;
  return Kubeconfig{root};
}

void Kubeconfig::merge(const Kubeconfig& other) {
  for (const char* section : k_sections) {
    YAML::Node merged(YAML::NodeType::Sequence);
    std::set<std::string> incoming;
    for (const auto& entry : other.m_root[section]) incoming.insert(entry_name(entry));
    for (const auto& entry : m_root[section])
      if (!incoming.count(entry_name(entry))) merged.push_back(entry);
    for (const auto& entry : other.m_root[section]) merged.push_back(YAML::Clone(entry));
    m_root[section] = merged;
  }
  if (!current_context() && other.current_context()) m_root["current-context"] = *other.current_context();
}

void Kubeconfig::remove(const std::vector<std::string>& names) {
  const std::set<std::string> doomed(names.begin(), names.end());
  for (const char* section : k_sections) {
    YAML::Node kept(YAML::NodeType::Sequence);
    for (const auto& entry : m_root[section])
      if (!doomed.count(entry_name(entry))) kept.push_back(entry);
    m_root[section] = kept;
  }
  if (auto current = current_context(); current && doomed.count(*current)) m_root["current-context"] = "";
}

std::vector<std::string> Kubeconfig::entry_names() const {
  std::set<std::string> names;
  for (const char* section : k_sections)
    for (const auto& entry : m_root[section]) names.insert(entry_name(entry));
  return {names.begin(), names.end()};
}

bool Kubeconfig::same_as(const Kubeconfig& other) const {
  // Compare through a canonical dump: yaml-cpp keeps key order, and both sides were
  // parsed from or built by the same code paths, so equal content dumps equally.
  auto canonical = [](const Kubeconfig& k) {
    YAML::Node copy = YAML::Clone(k.m_root);
    if (copy["current-context"] && copy["current-context"].as<std::string>().empty()) copy.remove("current-context");
    for (const char* section : k_sections)
      if (copy[section] && copy[section].size() == 0) copy.remove(section);
    if (copy["preferences"] && copy["preferences"].size() == 0) copy.remove("preferences");
    YAML::Emitter out;
    out << copy;
    return std::string(out.c_str());
  };
  return canonical(*this) == canonical(other);
}

fs::path user_kubeconfig_path() {
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    const std::string list(env);
    return fs::path(list.substr(0, list.find(':')));
  }
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw Error("cannot find your kubeconfig: neither KUBECONFIG nor HOME is set");
  return fs::path(home) / ".kube" / "config";
}

void save_with_backup(const Kubeconfig& config, const fs::path& path, const fs::path& backup) {
  if (fs::exists(path) && !fs::exists(backup)) util::write_file_atomic(backup, util::read_file(path), fs::perms(0600));
  util::write_file_atomic(path, config.dump(), fs::perms(0600));
}

} // namespace meshlab::kube

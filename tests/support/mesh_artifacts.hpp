// Looking into rendered mesh artifacts from tests: find one by path, parse it, list the
// dotted keys of a values file.
#pragma once

#include "render/artifact.hpp"
#include "render/mesh.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

namespace meshlab::test {

inline std::vector<render::Artifact> render_mesh_of(const lab::Lab& lab) {
  return render::render_mesh(lab, render::TemplateSource{});
}

inline const render::Artifact* find_artifact(const std::vector<render::Artifact>& artifacts, const std::string& path) {
  for (const auto& artifact : artifacts)
    if (artifact.path == path) return &artifact;
  return nullptr;
}

// The artifact at `path`, parsed; fails the test when it is missing.
inline YAML::Node load_artifact(const std::vector<render::Artifact>& artifacts, const std::string& path) {
  const auto* artifact = find_artifact(artifacts, path);
  INFO("artifact: ", path);
  REQUIRE(artifact != nullptr);
  return YAML::Load(artifact->content);
}

inline std::vector<YAML::Node> load_all(const std::vector<render::Artifact>& artifacts, const std::string& path) {
  const auto* artifact = find_artifact(artifacts, path);
  INFO("artifact: ", path);
  REQUIRE(artifact != nullptr);
  return YAML::LoadAll(artifact->content);
}

inline std::vector<std::string> paths_of(const std::vector<render::Artifact>& artifacts) {
  std::vector<std::string> out;
  for (const auto& artifact : artifacts) out.push_back(artifact.path);
  return out;
}

// Dotted paths of every leaf (scalar, or empty collection) under `node`:
// {global: {meshID: x}} -> {"global.meshID"}.
inline void collect_leaf_keys(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out) {
  if (node.IsMap() && node.size() > 0) {
    for (const auto& entry : node)
      collect_leaf_keys(entry.second,
                        prefix.empty() ? entry.first.as<std::string>() : prefix + "." + entry.first.as<std::string>(),
                        out);
  } else if (!prefix.empty()) {
    out.insert(prefix);
  }
}

// `node` as text that ignores presentation (flow or block style, quoting): two nodes
// with the same structure and scalars give the same text.
inline std::string canonical(const YAML::Node& node) {
  if (node.IsMap()) {
    std::string out = "{";
    for (const auto& entry : node) out += canonical(entry.first) + ":" + canonical(entry.second) + ",";
    return out + "}";
  }
  if (node.IsSequence()) {
    std::string out = "[";
    for (const auto& item : node) out += canonical(item) + ",";
    return out + "]";
  }
  if (node.IsNull()) return "null";
  return "'" + node.Scalar() + "'";
}

inline std::set<std::string> leaf_keys(const YAML::Node& node) {
  std::set<std::string> out;
  collect_leaf_keys(node, "", out);
  return out;
}

} // namespace meshlab::test

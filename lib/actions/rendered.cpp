#include "actions/rendered.hpp"

#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <system_error>

namespace meshlab::actions {

namespace fs = std::filesystem;

namespace {

// What `kubectl get` calls a kind: "gateway.networking.istio.io", or "configmap" for the
// core group, so a Gateway of Istio is never taken for one of the Gateway API.
std::string resource_of(const YAML::Node& doc) {
  const auto api_version = doc["apiVersion"].as<std::string>();
  auto kind = doc["kind"].as<std::string>();
  std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? kind : kind + "." + api_version.substr(0, slash);
}

} // namespace

namespace {

// The index entries of `kind` for `cluster` (any cluster when nullopt).
std::vector<fs::path> indexed(const fs::path& state_dir, std::string_view kind, std::optional<std::string_view> cluster) {
  const auto index_path = state_dir / "index.json";
  std::error_code ec;
  if (!fs::is_regular_file(index_path, ec)) return {};
  const auto index = nlohmann::json::parse(util::read_file(index_path), nullptr, false);
  if (index.is_discarded() || !index.contains("files") || !index["files"].is_array())
    throw Error(fmt::format("{} is not a meshlab index; render the lab again", index_path.string()));
  std::vector<fs::path> files;
  for (const auto& entry : index["files"])
    if (entry.value("kind", "") == kind && (!cluster || entry.value("cluster", "") == *cluster))
      files.push_back(state_dir / entry.value("path", ""));
  return files;
}

} // namespace

std::vector<fs::path> rendered_files(const fs::path& state_dir, std::string_view kind, std::string_view cluster) {
  return indexed(state_dir, kind, cluster);
}

std::vector<fs::path> rendered_files(const fs::path& state_dir, std::string_view kind) {
  return indexed(state_dir, kind, std::nullopt);
}

std::string yaml_stream_of(const std::vector<fs::path>& files) {
  std::string stream;
  for (const auto& file : files) {
    auto text = util::read_file(file);
    if (!text.empty() && text.back() != '\n') text += '\n';
    stream += (stream.empty() ? "" : "---\n") + text;
  }
  return stream;
}

namespace {

// An object a rendered document describes, as `kubectl get` names it.
struct RenderedObject {
  std::string resource, name, ns;
};

// The objects the documents in `files` describe; nullopt when a file cannot be read or parsed.
std::optional<std::vector<RenderedObject>> rendered_objects(const std::vector<fs::path>& files) {
  std::vector<RenderedObject> objects;
  try {
    for (const auto& file : files)
      for (const auto& doc : YAML::LoadAll(util::read_file(file))) {
        if (!doc.IsMap()) continue;
        const auto metadata = doc["metadata"];
        objects.push_back({resource_of(doc), metadata["name"].as<std::string>(),
                           metadata["namespace"] ? metadata["namespace"].as<std::string>() : std::string()});
      }
  } catch (const YAML::Exception&) {
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
  return objects;
}

} // namespace

void expect_rendered_objects(const LaunchContext& ctx, const lab::Cluster& cluster, const std::vector<fs::path>& files) {
  if (const auto objects = rendered_objects(files))
    for (const auto& object : *objects) expect_objects(ctx, cluster, object.resource, object.ns);
}

bool objects_present(const LaunchContext& ctx, const kube::Kubectl& kubectl, const std::vector<fs::path>& files) {
  const auto objects = rendered_objects(files);
  if (!objects) return false;
  return std::all_of(objects->begin(), objects->end(), [&](const RenderedObject& object) {
    return snapshot_lookup(ctx, kubectl, object.resource, object.name, object.ns).state == Lookup::State::found;
  });
}

std::string files_digest(const std::vector<fs::path>& files, std::vector<std::string> parts) {
  for (const auto& file : files) {
    parts.push_back(file.string());
    try {
      parts.push_back(util::read_file(file));
    } catch (const Error&) {
      parts.emplace_back("<missing>");
    }
  }
  return digest(parts);
}

} // namespace meshlab::actions

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

bool objects_present(const kube::Kubectl& kubectl, const std::vector<fs::path>& files) {
  std::vector<YAML::Node> docs;
  try {
    for (const auto& file : files)
      for (const auto& doc : YAML::LoadAll(util::read_file(file)))
        if (doc.IsMap()) docs.push_back(doc);
  } catch (const YAML::Exception&) {
    return false;
  } catch (const Error&) {
    return false;
  }
  for (const auto& doc : docs) {
    const auto metadata = doc["metadata"];
    const auto ns = metadata["namespace"] ? metadata["namespace"].as<std::string>() : std::string();
    if (lookup(kubectl, resource_of(doc), metadata["name"].as<std::string>(), ns).state != Lookup::State::found)
      return false;
  }
  return true;
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

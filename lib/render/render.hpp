// Renders every file a launch needs into one directory: the CA hierarchy, cloud-init
// user-data, kind configs, containerd mirrors, the mesh manifests, and index.json
// listing them. Deterministic, no subprocess, no network.
#pragma once

#include "lab/model.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::render {

struct RenderOptions {
  std::filesystem::path out_dir;                       // usually the lab's state directory
  std::optional<std::filesystem::path> templates_dir;  // --templates DIR; embedded templates when unset
};

// One line of index.json.
struct IndexEntry {
  std::string path;    // relative to the output directory
  std::string kind;    // "ca", "cloud-init", "kind-config", "containerd-hosts", ...
  std::string cluster; // cluster or VM it belongs to (as named in the lab); empty when lab-wide
  std::string purpose;
};

struct RenderSummary {
  std::vector<IndexEntry> files; // every file index.json lists, sorted by path
  std::size_t changed = 0;       // rendered files written because their content changed
  std::size_t removed = 0;       // files of an earlier render that the lab no longer produces
};

// Name of the index in the output directory.
inline constexpr std::string_view k_index_file = "index.json";

// Makes sure the CA exists (pki::ensure_ca: reused, never regenerated) with a server
// certificate for every TLS host of every app on each of its clusters
// (pki::ensure_host_certificates, reused while valid; index.json lists them as "ca"), renders every
// artifact, writes each one atomically and only when its content changed (so a
// re-render leaves files and their timestamps alone), removes files an earlier render
// listed in index.json that the lab no longer produces (never under ca/), and writes
// index.json. Same lab and templates → byte-identical files.
// Throws meshlab::Error (template, CA or file-system problems).
RenderSummary render_all(const lab::Lab& lab, const RenderOptions& options);

} // namespace meshlab::render

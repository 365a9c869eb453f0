// Rendered manifests a launch step applies as they are: found through index.json by kind
// and cluster, applied in one `kubectl apply`, and checked to be present for resume.
#pragma once

#include "actions/kube_access.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::actions {

// The files index.json in `state_dir` lists with `kind` ("istio", "ingress", "coredns") for
// `cluster` (as named in the lab), as paths under `state_dir`, in index order; empty when
// there is no index yet (a plan built before rendering) or none matches. Throws
// meshlab::Error when the index is not a meshlab index.
std::vector<std::filesystem::path> rendered_files(const std::filesystem::path& state_dir, std::string_view kind,
                                                  std::string_view cluster);
// The same for every cluster: all files of `kind` ("argocd"), in index order.
std::vector<std::filesystem::path> rendered_files(const std::filesystem::path& state_dir, std::string_view kind);

// The files' documents as one YAML stream, read now. Throws meshlab::Error naming a file
// that cannot be read.
std::string yaml_stream_of(const std::vector<std::filesystem::path>& files);

// Declares to ctx's snapshot the objects the documents in `files` describe, as
// objects_present reads them on `cluster`. Files that cannot be read yet (a plan built before
// rendering) declare nothing; objects_present then reads what they hold on its own.
void expect_rendered_objects(const LaunchContext& ctx, const lab::Cluster& cluster,
                             const std::vector<std::filesystem::path>& files);

// Whether every object the documents in `files` describe exists on kubectl's cluster, as
// ctx's snapshot reads it (kind.group and namespace of each document). False when a file
// cannot be read or parsed; throws like ObjectSnapshot::items when the cluster cannot be asked.
bool objects_present(const LaunchContext& ctx, const kube::Kubectl& kubectl,
                     const std::vector<std::filesystem::path>& files);

// The digest of the files' names and contents, for Step::inputs_hash ("<missing>" for a
// file not rendered yet).
std::string files_digest(const std::vector<std::filesystem::path>& files, std::vector<std::string> parts = {});

} // namespace meshlab::actions

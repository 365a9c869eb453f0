// Reads, edits and writes kubeconfig files without kubectl, so meshlab can merge a lab's
// contexts into the user's kubeconfig and later remove exactly those entries.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::kube {

class Kubeconfig {
public:
  // An empty kubeconfig (apiVersion v1, kind Config, no entries).
  Kubeconfig();

  // Parses `text`; throws meshlab::Error "<origin>: not a valid kubeconfig: <why>" when it
  // is not YAML, not a mapping, or its clusters/contexts/users are not lists of named entries.
  static Kubeconfig parse(std::string_view text, const std::string& origin);
  // Parses a file; a missing file is an empty kubeconfig. Throws meshlab::Error.
  static Kubeconfig load(const std::filesystem::path& path);

  std::string dump() const;

  std::vector<std::string> context_names() const;
  std::optional<std::string> current_context() const;
  // The server URL of `context`'s cluster; nullopt when the context or cluster is missing.
  std::optional<std::string> server(std::string_view context) const;
  // The certificate-authority-data of `context`'s cluster (base64 PEM, as stored); nullopt
  // when missing. A re-created cluster has a new CA, so this tells one cluster from the next.
  std::optional<std::string> certificate_authority_data(std::string_view context) const;

  // A self-contained kubeconfig holding only `context`, with its cluster, user and context
  // all renamed to `new_name` (k3s calls all three "default"), current-context set to it,
  // and the server replaced when `server` is given. Throws meshlab::Error if `context` is missing.
  Kubeconfig extract(std::string_view context, std::string_view new_name,
                     const std::optional<std::string>& server = std::nullopt) const;

  // Adds every cluster, user and context of `other`, replacing entries of the same name.
  // Keeps this file's current-context unless it has none.
  void merge(const Kubeconfig& other);

  // Removes the clusters, users and contexts called by one of `names`; clears
  // current-context when it pointed at a removed context.
  void remove(const std::vector<std::string>& names);

  // The names of every cluster, user and context (for recording what a merge added).
  std::vector<std::string> entry_names() const;

  // Same entries and settings, whatever the formatting.
  bool same_as(const Kubeconfig& other) const;

private:
  explicit Kubeconfig(YAML::Node root) : m_root(std::move(root)) {}
  YAML::Node m_root;
};

// The file kubectl would write to: the first path in $KUBECONFIG, else ~/.kube/config.
std::filesystem::path user_kubeconfig_path();

// Writes `config` to `path` atomically (0600); before the first change copies the
// existing file to `backup` if that backup does not exist yet.
void save_with_backup(const Kubeconfig& config, const std::filesystem::path& path,
                      const std::filesystem::path& backup);

} // namespace meshlab::kube

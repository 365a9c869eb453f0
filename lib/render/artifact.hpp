// One file meshlab renders for a launch, with what index.json says about it.
#pragma once

#include <filesystem>
#include <string>

namespace meshlab::render {

struct Artifact {
  std::string path;    // relative to the output directory: "clusters/kube-01/cloud-init.yaml"
  std::string kind;    // "cloud-init", "kind-config", "helm-values", "istio", "argocd", "coredns", "ca", ...
  std::string cluster; // cluster or VM it belongs to; empty when lab-wide
  std::string purpose; // one line for people: "user-data for the k3s node kube-01"
  std::string content;
  std::filesystem::perms mode = std::filesystem::perms(0644);
};

} // namespace meshlab::render

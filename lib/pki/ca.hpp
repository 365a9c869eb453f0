// The lab's CA hierarchy, made with OpenSSL's C API (no subprocess): one root and one
// intermediate per workload cluster, laid out the way Istio's plugged-in CA expects.
#pragma once

#include "lab/model.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace meshlab::pki {

// A file of the CA tree, for index.json.
struct CaFile {
  std::string path;    // relative to the output dir: "ca/root-cert.pem", "ca/kube-01/ca-key.pem"
  std::string cluster; // empty for the root
  std::string purpose; // "root certificate", "intermediate key (istiod signs with it)", ...
};

// Makes sure `out_dir`/ca holds ca/root-cert.pem, ca/root-key.pem and, for each name in
// `clusters`, ca/<cluster>/{ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem}
// (cert-chain = intermediate then root). Existing material is reused, never silently
// regenerated: a running lab keeps its trust. A missing intermediate is issued from the
// existing root. With ca.root_cert_file/root_key_file (relative to `lab_dir`) the root
// is the user's. Keys are written 0600, every file atomically.
// Returns every file of the tree (written or reused), root first, then clusters in order.
// Throws meshlab::Error when existing material is inconsistent (key does not match the
// certificate, intermediate not signed by the root, unreadable files).
std::vector<CaFile> ensure_ca(const lab::Ca& ca, const std::vector<std::string>& clusters,
                              const std::filesystem::path& out_dir, const std::filesystem::path& lab_dir);

} // namespace meshlab::pki

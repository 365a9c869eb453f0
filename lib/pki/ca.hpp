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
// (cert-chain = intermediate then root), as Istio's `cacerts` secret wants them.
// Existing material is reused, never silently regenerated: a running lab keeps its trust,
// and a re-run changes no byte of an existing file (even if ca.keyType or ca.subject changed
// since). A missing cluster directory gets a new intermediate from the existing root.
// With ca.root_cert_file/root_key_file (relative to `lab_dir`, or absolute) the root is the
// user's: checked, then copied in (first certificate, key re-encoded as PKCS#8), and never
// swapped for another root already in ca/. Keys are PKCS#8 PEM written 0600, certificates
// 0644; a new root or intermediate appears whole (built aside, renamed into place).
// ca/.verified/<cluster> (and .root for the lab's own root) records what was checked, so an
// unchanged tree is not re-parsed.
// Returns every file of the tree (written or reused; not the records), root first, then
// clusters in order. Throws meshlab::Error, naming the file and the fix, when a key does not
// match its certificate, an intermediate is not issued by the root, a cluster directory is
// incomplete, a CA has expired, ca.keyType/keySize/subject cannot be made, or a file is unreadable.
std::vector<CaFile> ensure_ca(const lab::Ca& ca, const std::vector<std::string>& clusters,
                              const std::filesystem::path& out_dir, const std::filesystem::path& lab_dir);

} // namespace meshlab::pki

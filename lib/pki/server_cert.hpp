// TLS server certificates issued by a cluster's intermediate CA, for the lab's HTTPS ingress
// hosts (e.g. httpbin.blau.demo.lab) and anything else that must be trusted through the root.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace meshlab::pki {

struct ServerCertificate {
  std::string cert_pem;  // the server certificate alone
  std::string key_pem;   // its ECDSA P-256 key, unencrypted PKCS#8
  std::string chain_pem; // server certificate then the cluster's intermediate: what a server sends (tls.crt)
  std::string root_pem;  // the lab's root, which clients trust (ca.crt)
};

// Returns a new certificate for `hosts` (subjectAltName DNS entries; the first is also the
// CN; "*.demo.lab" wildcards allowed), CA:FALSE, keyUsage digitalSignature+keyEncipherment,
// extendedKeyUsage serverAuth, valid for `days` but never beyond the intermediate, signed by
// `cluster`'s intermediate in `out_dir`/ca/<cluster>/ (made by ensure_ca). Nothing is written:
// the caller decides where the key goes. Every call makes a new key and serial.
// Throws meshlab::Error when the intermediate is missing or inconsistent, or `hosts` is empty.
ServerCertificate issue_server_certificate(const std::filesystem::path& out_dir, const std::string& cluster,
                                           const std::vector<std::string>& hosts, int days = 365);

} // namespace meshlab::pki

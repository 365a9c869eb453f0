// The server certificates of the lab's TLS ingress hosts, kept in the CA tree beside the
// intermediate that signs them and reused while they are still good.
#pragma once

#include "pki/ca.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace meshlab::pki {

// One ingress host served by one cluster's ingress gateway.
struct HostOnCluster {
  std::string cluster; // a workload cluster with an intermediate in ca/<cluster>/
  std::string host;    // "httpbin.blau.demo.lab"
};

// Where `host`'s certificate for `cluster` lives, relative to the output directory:
// ca/<cluster>/ingress/<host>/, holding tls.crt (the server certificate, then the
// cluster's intermediate: what the gateway sends) and tls.key (0600). Clients trust
// ca/root-cert.pem: `openssl verify -CAfile ca/root-cert.pem -untrusted
// ca/<cluster>/ca-cert.pem ca/<cluster>/ingress/<host>/tls.crt`.
std::filesystem::path host_certificate_dir(const std::string& cluster, const std::string& host);

// Makes sure every entry of `hosts` has its certificate under `out_dir` (after ensure_ca made
// the intermediates): issued by the cluster's intermediate (pki::issue_server_certificate:
// SAN = the host, serverAuth, CA:FALSE) when missing, and issued again when the files do not
// match, no longer chain to the current intermediate and root, or expire within 30 days
// (unless the intermediate ends no later: a new one could not last longer).
// Each file is written atomically, the key first; a crash between the two leaves a pair that
// does not match, which the next call replaces. A certificate checked once is not parsed
// again while its files are unchanged (one record per cluster, ca/.verified/.ingress/<cluster>).
// Returns the files for index.json, in `hosts` order. Throws meshlab::Error when an
// intermediate is missing or a host is not a DNS name.
std::vector<CaFile> ensure_host_certificates(const std::filesystem::path& out_dir,
                                             const std::vector<HostOnCluster>& hosts);

} // namespace meshlab::pki

#include "pki/host_cert.hpp"

#include "pki/certificate.hpp"
#include "pki/check_record.hpp"
#include "pki/key.hpp"
#include "pki/server_cert.hpp"
#include "pki/verify.hpp"
#include "util/error.hpp"
#include "util/file_identity.hpp"
#include "util/files.hpp"
#include "util/parallel.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>

namespace meshlab::pki {

namespace fs = std::filesystem;

namespace {

// A certificate this close to its end is replaced, so a lab launched today still serves
// valid TLS for a month without anyone thinking about it.
constexpr auto k_renew_before = std::chrono::hours(24 * 30);

// A host's certificate chain and key as read from its directory.
struct HostPair {
  std::string chain_pem;
  std::string key_pem;
};

// Whether `pair` (read from `dir`) is a usable certificate for `host`, issued by
// `intermediate` (the cluster's current ca-cert.pem) and chaining to `root_pem`.
bool still_good(const HostPair& pair, const fs::path& dir, const std::string& intermediate,
                const std::string& root_pem, const std::string& host) {
  try {
    const auto& chain = pair.chain_pem;
    const auto certs = parse_certificates(chain, (dir / "tls.crt").string());
    if (certs.size() != 2 || certificate_pem(certs[1].get()) != certificate_pem(parse_certificate(
                                                                    intermediate, "ca-cert.pem").get()))
      return false;
    const auto key = parse_private_key(pair.key_pem, (dir / "tls.key").string());
    if (!key_matches(key.get(), certs[0].get())) return false;
    if (!verify_chain(chain, root_pem, host)) return false;
    // A certificate never outlives its intermediate; one that ends with it is as good as
    // a new one would be.
    const auto info = inspect_certificate(chain, (dir / "tls.crt").string());
    const auto issuer = inspect_certificate(intermediate, "ca-cert.pem");
    return info.not_after - std::chrono::system_clock::now() > k_renew_before || info.not_after >= issuer.not_after;
  } catch (const Error&) {
    return false; // unreadable or not PEM: issue a new one
  }
}

// What a cluster's host record remembers of one host: the fingerprint of its pair (and of
// the intermediate and root it was checked against), when to look again (the renewal
// date, not the expiry, so a reused certificate is still replaced in time) and the two
// files' identities when checked, so a re-render stats them instead of reading them.
struct HostRecord {
  std::string fingerprint;
  long long look_again = 0; // seconds since the epoch
  std::string crt_identity; // util::stable_file_identity, or "-" when it had none
  std::string key_identity;
};
using HostRecords = std::map<std::string, HostRecord>; // host -> record; sorted, so the file is stable

constexpr std::string_view k_no_identity = "-";

// ca/.verified/.ingress/<cluster>: no cluster name starts with '.', so this cannot meet
// ca.cpp's per-cluster records.
fs::path host_records_path(const fs::path& out_dir, const std::string& cluster) {
  return out_dir / "ca" / ".verified" / ".ingress" / cluster;
}

// A first line "issuer <fingerprint of root and intermediate>", then one line per host:
// "<host> <fingerprint> <look again> <crt identity> <key identity>". It is only a cache:
// an unreadable or garbled file, or one written for another issuer, reads as empty and
// every host is checked again.
HostRecords read_host_records(const fs::path& path, const std::string& issuer) {
  HostRecords records;
  std::string text;
  try {
    text = util::read_file(path);
  } catch (const Error&) {
    return records;
  }
  std::istringstream in(text);
  std::string word, recorded_issuer;
  if (!(in >> word >> recorded_issuer) || word != "issuer" || recorded_issuer != issuer) return records;
  std::string host;
  HostRecord record;
  while (in >> host >> record.fingerprint >> record.look_again >> record.crt_identity >> record.key_identity)
    records[host] = record;
  return records;
}

void write_host_records(const fs::path& path, const std::string& issuer, const HostRecords& records) {
  std::string text = fmt::format("issuer {}\n", issuer);
  for (const auto& [host, record] : records)
    text += fmt::format("{} {} {} {} {}\n", host, record.fingerprint, record.look_again, record.crt_identity,
                        record.key_identity);
  util::write_file_atomic(path, text);
}

std::string identity_word(const std::optional<std::string>& identity) {
  return identity ? *identity : std::string(k_no_identity);
}

long long look_again_at(std::chrono::system_clock::time_point not_after) {
  const auto renew = not_after - k_renew_before;
  const auto look_again = renew > std::chrono::system_clock::now() ? renew : not_after;
  return static_cast<long long>(std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(look_again)));
}

} // namespace

fs::path host_certificate_dir(const std::string& cluster, const std::string& host) {
  return fs::path("ca") / cluster / "ingress" / host;
}

std::vector<CaFile> ensure_host_certificates(const fs::path& out_dir, const std::vector<HostOnCluster>& hosts) {
  std::vector<CaFile> files;
  std::vector<std::string> clusters;                                  // in first-seen order
  std::unordered_map<std::string, std::vector<std::string>> by_cluster; // cluster -> its hosts
  for (const auto& [cluster, host] : hosts) {
    if (host.empty() || host.find('/') != std::string::npos || host.front() == '.')
      throw Error(fmt::format("\"{}\" is not a DNS name a server certificate can carry", host));
    const auto rel = host_certificate_dir(cluster, host);
    files.push_back({(rel / "tls.crt").generic_string(), cluster,
                     fmt::format("server certificate of {} (then the intermediate), for its ingress gateway", host)});
    files.push_back({(rel / "tls.key").generic_string(), cluster, fmt::format("key of {}'s server certificate", host)});
    auto& list = by_cluster[cluster];
    if (list.empty()) clusters.push_back(cluster);
    list.push_back(host);
  }
  if (hosts.empty()) return files;
  // A big lab has a thousand host certificates. The root and each intermediate are read
  // once, each cluster keeps one record for all its hosts, and the clusters are checked on
  // every core: a re-render reads two small files per host and parses none.
  const std::string root_pem = util::read_file(out_dir / "ca" / "root-cert.pem");
  util::parallel_for(clusters.size(), 4, [&](std::size_t i, std::size_t) {
    const auto& cluster = clusters[i];
    const auto cluster_dir = out_dir / "ca" / cluster;
    std::string intermediate;
    try {
      intermediate = util::read_file(cluster_dir / "ca-cert.pem");
    } catch (const Error&) {
      // Missing: issuing below fails with the message that says what to do.
    }
    const auto issuer = fingerprint_of({{"root-cert.pem", root_pem}, {"ca-cert.pem", intermediate}});
    const auto record_path = host_records_path(out_dir, cluster);
    auto records = read_host_records(record_path, issuer);
    const auto fingerprint_of_pair = [&issuer](const HostPair& p) {
      return fingerprint_of({{"issuer", issuer}, {"tls.crt", p.chain_pem}, {"tls.key", p.key_pem}});
    };
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    bool changed = false;
    for (const auto& host : by_cluster.at(cluster)) {
      const auto dir = out_dir / host_certificate_dir(cluster, host);
      auto crt_identity = identity_word(util::stable_file_identity(dir / "tls.crt"));
      auto key_identity = identity_word(util::stable_file_identity(dir / "tls.key"));
      const auto it = records.find(host);
      const bool due = it == records.end() || now >= it->second.look_again;
      // Unchanged since it was checked: not even read.
      if (!due && crt_identity != k_no_identity && key_identity != k_no_identity &&
          crt_identity == it->second.crt_identity && key_identity == it->second.key_identity)
        continue;
      std::optional<HostPair> pair;
      try {
        pair = HostPair{util::read_file(dir / "tls.crt"), util::read_file(dir / "tls.key")};
      } catch (const Error&) {
        // Not there yet (or unreadable): issued below.
      }
      if (pair && !due && it->second.fingerprint == fingerprint_of_pair(*pair)) {
        // The same bytes in other files (copied back, touched): remember the new identities.
        it->second.crt_identity = crt_identity;
        it->second.key_identity = key_identity;
        changed = true;
        continue;
      }
      if (!pair || !still_good(*pair, dir, intermediate, root_pem, host)) {
        const auto issued = issue_server_certificate(out_dir, cluster, {host});
        util::write_file_atomic(dir / "tls.key", issued.key_pem, fs::perms(0600));
        util::write_file_atomic(dir / "tls.crt", issued.chain_pem, fs::perms(0644));
        pair = HostPair{issued.chain_pem, issued.key_pem};
        crt_identity = key_identity = k_no_identity; // just written: too recent to stand for the content
      }
      records[host] = {fingerprint_of_pair(*pair),
                       look_again_at(inspect_certificate(pair->chain_pem, (dir / "tls.crt").string()).not_after),
                       crt_identity, key_identity};
      changed = true;
    }
    if (changed) write_host_records(record_path, issuer, records);
  });
  return files;
}

} // namespace meshlab::pki

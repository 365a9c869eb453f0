#include "pki/host_cert.hpp"

#include "pki/certificate.hpp"
#include "pki/check_record.hpp"
#include "pki/key.hpp"
#include "pki/server_cert.hpp"
#include "pki/verify.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/parallel.hpp"

#include <fmt/format.h>

#include <chrono>
#include <system_error>

namespace meshlab::pki {

namespace fs = std::filesystem;

namespace {

// A certificate this close to its end is replaced, so a lab launched today still serves
// valid TLS for a month without anyone thinking about it.
constexpr auto k_renew_before = std::chrono::hours(24 * 30);

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Whether the pair in `dir` is a usable certificate for `host`, issued by the current
// intermediate of `cluster_dir` and chaining to `root_pem`.
bool still_good(const fs::path& dir, const fs::path& cluster_dir, const std::string& root_pem,
                const std::string& host) {
  try {
    const auto chain = util::read_file(dir / "tls.crt");
    const auto intermediate = util::read_file(cluster_dir / "ca-cert.pem");
    const auto certs = parse_certificates(chain, (dir / "tls.crt").string());
    if (certs.size() != 2 || certificate_pem(certs[1].get()) != certificate_pem(parse_certificate(
                                                                    intermediate, "ca-cert.pem").get()))
      return false;
    const auto key = parse_private_key(util::read_file(dir / "tls.key"), (dir / "tls.key").string());
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

} // namespace

fs::path host_certificate_dir(const std::string& cluster, const std::string& host) {
  return fs::path("ca") / cluster / "ingress" / host;
}

std::vector<CaFile> ensure_host_certificates(const fs::path& out_dir, const std::vector<HostOnCluster>& hosts) {
  std::vector<CaFile> files;
  for (const auto& [cluster, host] : hosts) {
    if (host.empty() || host.find('/') != std::string::npos || host.front() == '.')
      throw Error(fmt::format("\"{}\" is not a DNS name a server certificate can carry", host));
    const auto rel = host_certificate_dir(cluster, host);
    files.push_back({(rel / "tls.crt").generic_string(), cluster,
                     fmt::format("server certificate of {} (then the intermediate), for its ingress gateway", host)});
    files.push_back({(rel / "tls.key").generic_string(), cluster, fmt::format("key of {}'s server certificate", host)});
  }
  // A big lab has a thousand host certificates; checking each against its record is file
  // reading and hashing, independent per host, so it runs on every core.
  const std::string root_pem = hosts.empty() ? std::string() : util::read_file(out_dir / "ca" / "root-cert.pem");
  util::parallel_for(hosts.size(), 64, [&](std::size_t i, std::size_t) {
    const auto& [cluster, host] = hosts[i];
    const auto rel = host_certificate_dir(cluster, host);
    const auto dir = out_dir / rel;
    const auto cluster_dir = out_dir / "ca" / cluster;
    const std::vector<fs::path> checked{out_dir / "ca" / "root-cert.pem", cluster_dir / "ca-cert.pem",
                                        dir / "tls.crt", dir / "tls.key"};
    const auto record = out_dir / "ca" / ".verified" / fmt::format("{}@{}", host, cluster);
    const bool complete = file_exists(dir / "tls.crt") && file_exists(dir / "tls.key");
    if (!(complete && is_recorded(record, fingerprint(checked)))) {
      if (!(complete && still_good(dir, cluster_dir, root_pem, host))) {
        const auto issued = issue_server_certificate(out_dir, cluster, {host});
        util::write_file_atomic(dir / "tls.key", issued.key_pem, fs::perms(0600));
        util::write_file_atomic(dir / "tls.crt", issued.chain_pem, fs::perms(0644));
      }
      // The record's time is when to look again (check_record.hpp's format): the renewal
      // date, not the expiry, so a reused certificate is still replaced in time.
      const auto info = inspect_certificate(util::read_file(dir / "tls.crt"), (dir / "tls.crt").string());
      const auto renew = info.not_after - k_renew_before;
      const auto look_again = renew > std::chrono::system_clock::now() ? renew : info.not_after;
      const auto renew_at = std::chrono::system_clock::to_time_t(
          std::chrono::time_point_cast<std::chrono::system_clock::duration>(look_again));
      util::write_file_atomic(record, fmt::format("{} {}\n", fingerprint(checked), static_cast<long long>(renew_at)));
    }
  });
  return files;
}

} // namespace meshlab::pki

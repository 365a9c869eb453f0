#include "pki/server_cert.hpp"

#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>

#include <system_error>

namespace meshlab::pki {

namespace fs = std::filesystem;

namespace {

std::string read_ca_file(const fs::path& path, const std::string& cluster) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(fmt::format("{} does not exist: cluster {} has no intermediate CA yet (meshlab render issues it)",
                            path.string(), cluster));
  return util::read_file(path);
}

void check_host(const std::string& host) {
  // What may appear in a DNS subjectAltName: letters, digits, '-', '.', and a leading "*." wildcard.
  const std::string_view name = host.starts_with("*.") ? std::string_view(host).substr(2) : std::string_view(host);
  const bool valid = !name.empty() && name.size() <= 253 && name.front() != '.' && name.back() != '.' &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
                         std::string_view::npos;
  if (!valid)
    throw Error(fmt::format("\"{}\" is not a DNS name a server certificate can carry (letters, digits, '-', '.', "
                            "optionally starting with \"*.\")",
                            host));
}

} // namespace

ServerCertificate issue_server_certificate(const fs::path& out_dir, const std::string& cluster,
                                           const std::vector<std::string>& hosts, int days) {
  if (hosts.empty()) throw Error("a server certificate needs at least one host name");
  for (const auto& host : hosts) check_host(host);
  const fs::path dir = out_dir / "ca" / cluster;
  const fs::path cert_path = dir / "ca-cert.pem";
  const fs::path key_path = dir / "ca-key.pem";
  const std::string ca_cert_pem = read_ca_file(cert_path, cluster);
  const CertPtr ca_cert = parse_certificate(ca_cert_pem, cert_path.string());
  const KeyPtr ca_key = parse_private_key(read_ca_file(key_path, cluster), key_path.string());
  if (!key_matches(ca_key.get(), ca_cert.get()))
    throw Error(fmt::format("{} is not the key of the certificate in {}; remove {} to issue a new intermediate for {}",
                            key_path.string(), cert_path.string(), dir.string(), cluster));

  // Leaf keys are short-lived and many; P-256 is fast to make and every TLS client accepts it.
  const KeyPtr key = generate_key({KeyType::ecdsa, 256});
  const CertificateSpec spec{.profile = Profile::server,
                             .subject = {hosts.front().size() <= 64 ? hosts.front() : std::string(), "", ""},
                             .days = days,
                             .dns_names = hosts};
  const CertPtr cert = issue_certificate(spec, key.get(), ca_cert.get(), ca_key.get());

  ServerCertificate result;
  result.cert_pem = certificate_pem(cert.get());
  result.key_pem = private_key_pem(key.get());
  result.chain_pem = result.cert_pem + certificate_pem(ca_cert.get());
  result.root_pem = read_ca_file(dir / "root-cert.pem", cluster);
  return result;
}

} // namespace meshlab::pki

#include "pki/ca.hpp"

#include "pki/certificate.hpp"
#include "pki/check_record.hpp"
#include "pki/key.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/parallel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <system_error>

namespace meshlab::pki {

namespace fs = std::filesystem;

namespace {

constexpr auto k_key_mode = fs::perms(0600);
constexpr auto k_cert_mode = fs::perms(0644);
constexpr const char* k_intermediate_cn = "Intermediate CA"; // as Istio's tools/certs name it
constexpr const char* k_records = ".verified";               // ca/.verified/<cluster>: see check_record.hpp
constexpr const char* k_root_record = ".root";               // ca/.verified/.root; no cluster name starts with '.'

// The root as ensure_ca uses it: parsed, and the exact bytes of ca/root-cert.pem, so each
// cluster's copy is byte-identical to it.
struct Root {
  CertPtr cert;
  KeyPtr key;
  std::string cert_pem;
};

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// True when `dir` holds nothing but check records (which are only a cache).
bool empty_or_absent(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename() != k_records) return false;
  return true;
}

// A directory filled beside its final place and renamed into it, so a crash never leaves
// a half-made root or intermediate behind; removed unless published.
class StagingDir {
public:
  explicit StagingDir(const fs::path& final_path) : m_final(final_path) {
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (ec) throw Error(fmt::format("cannot create directory {}: {}", final_path.parent_path().string(), ec.message()));
    std::string pattern = (final_path.parent_path() / ("." + final_path.filename().string() + ".tmp-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw Error(fmt::format("cannot create a directory beside {}: {}", final_path.string(), std::strerror(errno)));
    m_path = pattern;
    fs::permissions(m_path, fs::perms(0755), ec); // the keys inside are 0600 themselves
  }
  ~StagingDir() {
    std::error_code ignored;
    if (!m_path.empty()) fs::remove_all(m_path, ignored);
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  fs::path operator/(const char* name) const { return m_path / name; }

  // Renames the directory to its final path (which may exist if empty).
  void publish() {
    std::error_code ec;
    fs::rename(m_path, m_final, ec);
    if (ec) throw Error(fmt::format("cannot move {} to {}: {}", m_path.string(), m_final.string(), ec.message()));
    m_path.clear();
  }

private:
  fs::path m_final;
  fs::path m_path;
};

void check_subject_field(const std::string& value, const char* field, std::size_t max) {
  if (value.empty() || value.size() > max)
    throw Error(fmt::format("ca.subject.{}: \"{}\" must be 1 to {} characters long", field, value, max));
}

// Throws unless `cert` can be the lab's root with `key`; `fix` says what the user can do.
void check_root(X509* cert, EVP_PKEY* key, const std::string& cert_name, const std::string& key_name,
                std::string_view fix) {
  if (!is_signing_ca(cert))
    throw Error(fmt::format("{}: \"{}\" is not a CA certificate (it needs basicConstraints CA:TRUE and, if it has "
                            "keyUsage, keyCertSign); {}",
                            cert_name, subject_text(cert), fix));
  if (X509_get_pathlen(cert) == 0)
    throw Error(fmt::format("{}: \"{}\" has pathlen 0, so it cannot sign the per-cluster intermediate CAs; {}",
                            cert_name, subject_text(cert), fix));
  if (!key_matches(key, cert))
    throw Error(fmt::format("{} is not the key of the certificate in {}; {}", key_name, cert_name, fix));
  if (expired(cert))
    throw Error(fmt::format("{}: \"{}\" expired on {}; {}", cert_name, subject_text(cert), not_after_text(cert), fix));
}

Root load_root(const fs::path& cert_path, const fs::path& key_path, std::string_view fix) {
  Root root;
  root.cert_pem = util::read_file(cert_path);
  root.cert = parse_certificate(root.cert_pem, cert_path.string());
  root.key = parse_private_key(util::read_file(key_path), key_path.string());
  check_root(root.cert.get(), root.key.get(), cert_path.string(), key_path.string(), fix);
  return root;
}

Root generate_root(const lab::Ca& ca, const fs::path& ca_dir) {
  check_subject_field(ca.subject.common_name, "commonName", 64);
  check_subject_field(ca.subject.organization, "organization", 64);
  Root root;
  root.key = generate_key(key_spec(ca.key_type, ca.key_size));
  const CertificateSpec spec{
      .profile = Profile::root, .subject = {ca.subject.common_name, ca.subject.organization, ""}, .days = ca.root_days};
  root.cert = issue_certificate(spec, root.key.get(), nullptr, root.key.get());
  root.cert_pem = certificate_pem(root.cert.get());
  StagingDir staging(ca_dir);
  util::write_file_atomic(staging / "root-key.pem", private_key_pem(root.key.get()), k_key_mode);
  util::write_file_atomic(staging / "root-cert.pem", root.cert_pem, k_cert_mode);
  staging.publish();
  return root;
}

// Bring your own root: the user's files are checked and copied into ca/ (re-encoded: the
// first certificate, the key as PKCS#8), unless ca/ already holds that same root.
Root adopt_user_root(const lab::Ca& ca, const fs::path& ca_dir, const fs::path& lab_dir) {
  if (ca.root_cert_file.empty() || ca.root_key_file.empty())
    throw Error("ca.rootCert and ca.rootKey go together: set both to bring your own root, or neither");
  const fs::path user_cert_path = lab_dir / ca.root_cert_file;
  const fs::path user_key_path = lab_dir / ca.root_key_file;
  const CertPtr user_cert = parse_certificate(util::read_file(user_cert_path), user_cert_path.string());
  const KeyPtr user_key = parse_private_key(util::read_file(user_key_path), user_key_path.string());
  check_root(user_cert.get(), user_key.get(), user_cert_path.string(), user_key_path.string(),
             "set ca.rootCert and ca.rootKey to a CA certificate and its key");

  const fs::path cert_path = ca_dir / "root-cert.pem";
  const fs::path key_path = ca_dir / "root-key.pem";
  if (file_exists(cert_path)) {
    const CertPtr current = parse_certificate(util::read_file(cert_path), cert_path.string());
    if (!same_certificate(current.get(), user_cert.get()))
      throw Error(fmt::format(
          "{} holds another root (\"{}\") than ca.rootCert {} (\"{}\"); meshlab does not switch a lab's trust "
          "silently. To switch, remove {} (every cluster then gets a new intermediate and needs its cacerts "
          "secret re-created)",
          cert_path.string(), subject_text(current.get()), user_cert_path.string(), subject_text(user_cert.get()),
          ca_dir.string()));
  }
  if (file_exists(key_path)) {
    const KeyPtr current = parse_private_key(util::read_file(key_path), key_path.string());
    if (!key_matches(current.get(), user_cert.get()))
      throw Error(fmt::format("{} is not the key of ca.rootCert {}; remove {} to copy ca.rootKey {} again",
                              key_path.string(), user_cert_path.string(), key_path.string(), user_key_path.string()));
  } else {
    util::write_file_atomic(key_path, private_key_pem(user_key.get()), k_key_mode);
  }
  if (!file_exists(cert_path)) util::write_file_atomic(cert_path, certificate_pem(user_cert.get()), k_cert_mode);
  return load_root(cert_path, key_path, "set ca.rootCert and ca.rootKey to a CA certificate and its key");
}

Root ensure_root(const lab::Ca& ca, const fs::path& ca_dir, const fs::path& lab_dir) {
  if (!ca.root_cert_file.empty() || !ca.root_key_file.empty()) return adopt_user_root(ca, ca_dir, lab_dir);
  const fs::path cert_path = ca_dir / "root-cert.pem";
  const fs::path key_path = ca_dir / "root-key.pem";
  const bool have_cert = file_exists(cert_path);
  const bool have_key = file_exists(key_path);
  const std::string remove_hint = fmt::format(
      "remove {} to make a new root (every cluster then gets a new intermediate and needs its cacerts secret "
      "re-created)",
      ca_dir.string());
  if (have_cert && have_key) {
    Root root = load_root(cert_path, key_path, remove_hint);
    write_record(ca_dir / k_records / k_root_record, fingerprint({cert_path, key_path}), root.cert.get());
    return root;
  }
  if (have_cert || have_key)
    throw Error(fmt::format("{} exists but {} does not: the root CA is incomplete; restore it, or {}",
                            (have_cert ? cert_path : key_path).string(), (have_cert ? key_path : cert_path).string(),
                            remove_hint));
  // Intermediates without their root cannot be vouched for; a new root would not sign them.
  if (!empty_or_absent(ca_dir))
    throw Error(fmt::format("{} has no root CA (root-cert.pem, root-key.pem) but is not empty; restore the root, or {}",
                            ca_dir.string(), remove_hint));
  std::error_code ec;
  fs::remove_all(ca_dir / k_records, ec); // records of another root; the new one replaces ca/ wholesale
  Root root = generate_root(ca, ca_dir);
  write_record(ca_dir / k_records / k_root_record, fingerprint({cert_path, key_path}), root.cert.get());
  return root;
}

// True when ca/ holds the lab's own root (not a user's, whose files are read on every
// run) and it was checked in exactly its current state.
bool root_recorded(const lab::Ca& ca, const fs::path& ca_dir) {
  if (!ca.root_cert_file.empty() || !ca.root_key_file.empty()) return false;
  const fs::path cert_path = ca_dir / "root-cert.pem";
  const fs::path key_path = ca_dir / "root-key.pem";
  if (!file_exists(cert_path) || !file_exists(key_path)) return false;
  return is_recorded(ca_dir / k_records / k_root_record, fingerprint({cert_path, key_path}));
}

void check_cluster_name(const std::string& cluster) {
  if (cluster.empty() || cluster.front() == '.' || cluster.find('/') != std::string::npos ||
      cluster.find('\0') != std::string::npos)
    throw Error(fmt::format("cluster name \"{}\" cannot name a directory under ca/", cluster));
}

// Returns the new intermediate certificate, already written with its key, root and chain.
CertPtr issue_intermediate(const lab::Ca& ca, const Root& root, const std::string& cluster, const fs::path& dir) {
  const KeyPtr key = generate_key(key_spec(ca.key_type, ca.key_size));
  const CertificateSpec spec{.profile = Profile::intermediate,
                             .subject = {k_intermediate_cn, ca.subject.organization, cluster},
                             .days = ca.intermediate_days};
  CertPtr cert = issue_certificate(spec, key.get(), root.cert.get(), root.key.get());
  const std::string cert_pem = certificate_pem(cert.get());
  StagingDir staging(dir);
  util::write_file_atomic(staging / "ca-key.pem", private_key_pem(key.get()), k_key_mode);
  util::write_file_atomic(staging / "ca-cert.pem", cert_pem, k_cert_mode);
  util::write_file_atomic(staging / "root-cert.pem", root.cert_pem, k_cert_mode);
  util::write_file_atomic(staging / "cert-chain.pem", cert_pem + root.cert_pem, k_cert_mode);
  staging.publish();
  return cert;
}

// Returns the intermediate certificate in `dir`; throws unless the four files there are a
// consistent intermediate issued by `root`.
CertPtr check_intermediate(const Root& root, const fs::path& root_cert_path, const std::string& cluster,
                           const fs::path& dir) {
  const fs::path cert_path = dir / "ca-cert.pem";
  const fs::path key_path = dir / "ca-key.pem";
  const std::string fix = fmt::format(
      "remove {} to issue a new intermediate for {} (then re-create its cacerts secret)", dir.string(), cluster);
  CertPtr cert = parse_certificate(util::read_file(cert_path), cert_path.string());
  const KeyPtr key = parse_private_key(util::read_file(key_path), key_path.string());
  if (!key_matches(key.get(), cert.get()))
    throw Error(
        fmt::format("{} is not the key of the certificate in {}; {}", key_path.string(), cert_path.string(), fix));
  if (!signed_by(cert.get(), root.cert.get()))
    throw Error(fmt::format("{} (\"{}\") was not issued by the lab's root in {} (\"{}\"); {}", cert_path.string(),
                            subject_text(cert.get()), root_cert_path.string(), subject_text(root.cert.get()), fix));
  if (!is_signing_ca(cert.get()))
    throw Error(
        fmt::format("{}: \"{}\" is not a CA certificate; {}", cert_path.string(), subject_text(cert.get()), fix));
  if (expired(cert.get()))
    throw Error(fmt::format("{}: \"{}\" expired on {}; {}", cert_path.string(), subject_text(cert.get()),
                            not_after_text(cert.get()), fix));

  const fs::path copy_path = dir / "root-cert.pem";
  const CertPtr copy = parse_certificate(util::read_file(copy_path), copy_path.string());
  if (!same_certificate(copy.get(), root.cert.get()))
    throw Error(fmt::format("{} is not the lab's root in {}; {}", copy_path.string(), root_cert_path.string(), fix));
  const fs::path chain_path = dir / "cert-chain.pem";
  const auto chain = parse_certificates(util::read_file(chain_path), chain_path.string());
  if (chain.size() != 2 || !same_certificate(chain[0].get(), cert.get()) ||
      !same_certificate(chain[1].get(), root.cert.get()))
    throw Error(
        fmt::format("{} must hold ca-cert.pem then root-cert.pem, as Istio expects; {}", chain_path.string(), fix));
  return cert;
}

// The root, parsed on first use.
using RootSource = std::function<const Root&()>;

// An intermediate's files, as istiod's plugged-in CA reads them from the cacerts secret.
constexpr const char* k_intermediate_files[] = {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"};

void ensure_intermediate(const lab::Ca& ca, const RootSource& root, const fs::path& ca_dir,
                         const std::string& cluster) {
  check_cluster_name(cluster);
  const fs::path dir = ca_dir / cluster;
  std::vector<std::string> present;
  std::vector<std::string> missing;
  for (const char* name : k_intermediate_files) (file_exists(dir / name) ? present : missing).emplace_back(name);
  // The lab's root is part of what was checked: a cluster checked against another root is not.
  std::vector<fs::path> checked{ca_dir / "root-cert.pem"};
  for (const char* name : k_intermediate_files) checked.push_back(dir / name);
  const fs::path record = ca_dir / k_records / cluster;
  if (present.empty()) {
    // Ingress certificates (host_cert.hpp) of an intermediate that is gone chain to nothing;
    // they go too, so the new intermediate's directory can be renamed into place.
    std::error_code ec;
    fs::remove_all(dir / "ingress", ec);
    const CertPtr cert = issue_intermediate(ca, root(), cluster, dir);
    write_record(record, fingerprint(checked), cert.get());
  } else if (missing.empty()) {
    // ensure_ca only comes here when the record does not vouch for these files.
    const auto identities = identities_of(checked); // before the files are read
    const std::string current = fingerprint(checked);
    const CertPtr cert = check_intermediate(root(), ca_dir / "root-cert.pem", cluster, dir);
    write_record(record, current, cert.get(), identities);
  } else {
    // istiod refuses such a bundle too ("incomplete signing CA bundle detected").
    throw Error(fmt::format("{} is incomplete: it has {} but not {}; restore the missing files, or remove {} to issue "
                            "a new intermediate for {} (then re-create its cacerts secret)",
                            dir.string(), fmt::join(present, ", "), fmt::join(missing, ", "), dir.string(), cluster));
  }
}

// True when `cluster`'s intermediate is complete and exactly as its record says it was
// checked, against `root_pem` (the lab root's certificate, read once by the caller, with
// `root_identity` taken before that read). The files' fingerprint is the one
// ensure_intermediate records; while none of the files changed since (their identities
// are recorded too), they are not even read.
bool intermediate_recorded(const fs::path& ca_dir, const std::string& root_pem, const std::string& root_identity,
                           const std::string& cluster) {
  check_cluster_name(cluster);
  const fs::path dir = ca_dir / cluster;
  const fs::path record = ca_dir / k_records / cluster;
  std::vector<fs::path> files{ca_dir / "root-cert.pem"};
  for (const char* name : k_intermediate_files) files.push_back(dir / name);
  if (is_recorded_unchanged(record, files)) return true;
  std::vector<std::string> identities{root_identity};
  for (const auto& identity : identities_of({files.begin() + 1, files.end()})) identities.push_back(identity);
  std::vector<std::string> contents;
  try {
    for (const char* name : k_intermediate_files) contents.push_back(util::read_file(dir / name));
  } catch (const Error&) {
    return false; // missing or unreadable: ensure_intermediate says what to do
  }
  std::vector<NamedContent> parts{{"root-cert.pem", root_pem}};
  for (std::size_t i = 0; i < contents.size(); ++i) parts.push_back({k_intermediate_files[i], contents[i]});
  const auto current = fingerprint_of(parts);
  if (!is_recorded(record, current)) return false;
  refresh_identities(record, current, identities);
  return true;
}

} // namespace

std::vector<CaFile> ensure_ca(const lab::Ca& ca, const std::vector<std::string>& clusters, const fs::path& out_dir,
                              const fs::path& lab_dir) {
  const fs::path ca_dir = out_dir / "ca";
  // Parsing the root (OpenSSL 3.0's decoders take about 1.5 ms for its key) is only
  // needed to check it, unless ca/.verified vouches for it, or to issue or check an
  // intermediate, which a re-render of an unchanged tree does not.
  std::optional<Root> root;
  if (!root_recorded(ca, ca_dir)) root = ensure_root(ca, ca_dir, lab_dir);
  const RootSource parsed_root = [&]() -> const Root& {
    if (!root) root = ensure_root(ca, ca_dir, lab_dir);
    return *root;
  };
  std::vector<CaFile> files{
      {"ca/root-cert.pem", "", "root certificate (the trust anchor every cluster shares)"},
      {"ca/root-key.pem", "", "root private key (signs the per-cluster intermediates)"},
  };
  // A re-render of an unchanged tree finds every intermediate as recorded: that check reads
  // and hashes five files per cluster, so it runs on every core; the rest (issuing,
  // parsing) goes one cluster at a time as before.
  const auto root_identity = identities_of({ca_dir / "root-cert.pem"}).front(); // before it is read
  std::string root_pem;
  try {
    root_pem = util::read_file(ca_dir / "root-cert.pem");
  } catch (const Error&) {
    // No root yet: nothing is recorded either.
  }
  std::vector<char> recorded(clusters.size(), 0);
  util::parallel_for(clusters.size(), 8, [&](std::size_t i, std::size_t) {
    recorded[i] = intermediate_recorded(ca_dir, root_pem, root_identity, clusters[i]) ? 1 : 0;
  });
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    const auto& cluster = clusters[i];
    if (!recorded[i]) ensure_intermediate(ca, parsed_root, ca_dir, cluster);
    const std::string dir = "ca/" + cluster + "/";
    files.push_back(
        {dir + "ca-cert.pem", cluster, "intermediate certificate (istiod signs workload certificates with it)"});
    files.push_back({dir + "ca-key.pem", cluster, "intermediate private key (istiod signs with it)"});
    files.push_back({dir + "root-cert.pem", cluster, "root certificate, for the cacerts secret"});
    files.push_back({dir + "cert-chain.pem", cluster, "intermediate then root, for the cacerts secret"});
  }
  return files;
}

} // namespace meshlab::pki

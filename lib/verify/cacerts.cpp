// Check 2: the plug-in CA of each cell cluster (Secret cacerts in istio-system,
// contracts/istio.md) chains to the lab root, and a sidecar's workload certificate carries
// the cell's SPIFFE trust domain (Envoy admin /certs, read through `pilot-agent request`,
// which every istio-proxy image has; no curl needed).
#include "actions/cacerts.hpp"
#include "pki/verify.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "verify/core_checks.hpp"
#include "verify/parallel.hpp"
#include "verify/probe.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "cacerts";

std::string secret_field(const nlohmann::json& secret, const char* key) {
  const auto data = secret.value("data", nlohmann::json::object());
  if (!data.contains(key) || !data[key].is_string()) return "";
  return util::base64_decode(data[key].get<std::string>()).value_or("");
}

CheckResult check_cacerts(const VerifyContext& ctx, const lab::Cluster& cluster, const std::string& root_pem) {
  const auto who = subject("cluster", cluster.name);
  auto p = probe(kubectl_for(ctx, cluster), {"get", "secret", "cacerts", "-n", "istio-system", "-o", "json"},
                 /*secret=*/true);
  if (!p.ok()) return result(k_id, who, Outcome::fail, p.failure(), {p.evidence});
  const auto secret = parse_json(p);
  if (!secret) return result(k_id, who, Outcome::fail, "kubectl printed no Secret", {p.evidence});
  const auto ca_cert = secret_field(*secret, "ca-cert.pem");
  const auto chain = secret_field(*secret, "cert-chain.pem");
  std::vector<std::string> missing;
  for (const char* key : actions::k_cacerts_files)
    if (secret_field(*secret, key).empty()) missing.emplace_back(key);
  if (!missing.empty()) {
    const auto list = util::join(missing);
    p.evidence.lines.push_back("missing keys: " + list);
    return result(k_id, who, Outcome::fail, "cacerts lacks " + list, {p.evidence});
  }
  try {
    const auto info = pki::inspect_certificate(ca_cert, "ca-cert.pem");
    p.evidence.lines.push_back(fmt::format("ca-cert.pem: subject \"{}\", issuer \"{}\"", info.subject, info.issuer));
  } catch (const Error& e) {
    p.evidence.lines.emplace_back(e.what());
    return result(k_id, who, Outcome::fail, "ca-cert.pem holds no certificate", {p.evidence});
  }
  // ca-cert.pem first, cert-chain.pem as the intermediates, the lab's root as the only anchor.
  const auto verdict = pki::verify_chain(ca_cert + "\n" + chain, root_pem);
  const auto root_path = (ctx.state_dir / "ca" / "root-cert.pem").string();
  if (!verdict) {
    p.evidence.lines.push_back(fmt::format("chain against {}: {}", root_path, verdict.reason));
    return result(k_id, who, Outcome::fail, "cacerts does not chain to the lab root: " + verdict.reason, {p.evidence});
  }
  p.evidence.lines.push_back(fmt::format("chain against {}: ok", root_path));
  // istiod hands root-cert.pem to every workload as its trust anchor: it must be the lab's
  // root too, or this cluster's workloads would not trust the other clusters' ones.
  try {
    const auto theirs = pki::inspect_certificate(secret_field(*secret, "root-cert.pem"), "root-cert.pem");
    const auto ours = pki::inspect_certificate(root_pem, root_path);
    p.evidence.lines.push_back(fmt::format("root-cert.pem: subject \"{}\", serial {}", theirs.subject, theirs.serial_hex));
    if (theirs.serial_hex != ours.serial_hex || theirs.subject != ours.subject || theirs.subject_key_id != ours.subject_key_id)
      return result(k_id, who, Outcome::fail,
                    fmt::format("root-cert.pem is not the lab root (\"{}\", serial {})", theirs.subject, theirs.serial_hex),
                    {p.evidence});
  } catch (const Error& e) {
    p.evidence.lines.emplace_back(e.what());
    return result(k_id, who, Outcome::fail, "root-cert.pem holds no certificate", {p.evidence});
  }
  return result(k_id, who, Outcome::pass, "cacerts chains to the lab root", {p.evidence});
}

// The first running pod with an istio-proxy container (the injector labels its pods
// security.istio.io/tlsMode=istio), as "namespace/name"; empty when there is none.
std::string sidecar_pod(const nlohmann::json& pods) {
  for (const auto& pod : pods.value("items", nlohmann::json::array())) {
    if (pod.value("status", nlohmann::json::object()).value("phase", "") != "Running") continue;
    for (const auto& c : pod.value("spec", nlohmann::json::object()).value("containers", nlohmann::json::array()))
      if (c.value("name", "") == "istio-proxy")
        return pod["metadata"].value("namespace", "") + "/" + pod["metadata"].value("name", "");
  }
  return "";
}

// The URI SANs of every certificate Envoy holds (/certs: certificates[].cert_chain[].subject_alt_names[].uri).
std::vector<std::string> spiffe_ids(const nlohmann::json& certs) {
  std::vector<std::string> out;
  for (const auto& entry : certs.value("certificates", nlohmann::json::array()))
    for (const auto& cert : entry.value("cert_chain", nlohmann::json::array()))
      for (const auto& san : cert.value("subject_alt_names", nlohmann::json::array()))
        if (san.contains("uri") && san["uri"].is_string()) out.push_back(san["uri"].get<std::string>());
  return out;
}

CheckResult check_workloads(const VerifyContext& ctx, const lab::Cluster& cluster) {
  const auto who = subject("cluster", cluster.name) + "/workloads";
  const auto* cell = ctx.lab.cell(cluster.cell);
  const auto want = fmt::format("spiffe://{}/", cell != nullptr ? cell->trust_domain : "cluster.local");
  const auto kubectl = kubectl_for(ctx, cluster);
  auto pods = probe(kubectl, {"get", "pods", "-A", "-l", "security.istio.io/tlsMode=istio", "-o", "json"});
  if (!pods.ok()) return result(k_id, who, Outcome::fail, pods.failure(), {pods.evidence});
  const auto list = parse_json(pods);
  const auto pod = list ? sidecar_pod(*list) : "";
  if (pod.empty()) {
    pods.evidence.lines.emplace_back("no running pod with an istio-proxy container");
    return result(k_id, who, Outcome::skip, "no sidecar-injected pod runs here, so no workload certificate to read",
                  {pods.evidence});
  }
  pods.evidence.lines.push_back("reading the certificates of " + pod);
  const auto slash = pod.find('/');
  auto certs = probe(kubectl, {"exec", "-n", pod.substr(0, slash), pod.substr(slash + 1), "-c", "istio-proxy", "--",
                               "pilot-agent", "request", "GET", "certs"});
  if (!certs.ok()) return result(k_id, who, Outcome::fail, certs.failure(), {pods.evidence, certs.evidence});
  const auto doc = parse_json(certs);
  const auto ids = doc ? spiffe_ids(*doc) : std::vector<std::string>{};
  std::vector<std::string> wrong;
  for (const auto& id : ids) {
    certs.evidence.lines.push_back("URI SAN " + id);
    if (id.rfind(want, 0) != 0) wrong.push_back(id);
  }
  if (ids.empty()) {
    certs.evidence.lines.emplace_back("no certificate with a URI SAN");
    return result(k_id, who, Outcome::fail, fmt::format("{} holds no workload certificate", pod),
                  {pods.evidence, certs.evidence});
  }
  if (!wrong.empty())
    return result(k_id, who, Outcome::fail, fmt::format("{} has identity {}; expected one under {}", pod, wrong.front(), want),
                  {pods.evidence, certs.evidence});
  return result(k_id, who, Outcome::pass, fmt::format("{} has identity {}", pod, ids.front()), {pods.evidence, certs.evidence});
}

std::vector<CheckResult> run(const VerifyContext& ctx) {
  const auto clusters = ctx.lab.workload_clusters();
  if (clusters.empty()) return {result(k_id, subject("lab", ctx.lab.name), Outcome::skip, "the lab has no cells")};
  const auto root_path = ctx.state_dir / "ca" / "root-cert.pem";
  std::string root_pem;
  if (std::filesystem::exists(root_path)) root_pem = util::read_file(root_path);
  auto results = parallel_map<std::vector<CheckResult>>(clusters.size(), k_parallel_jobs, [&](std::size_t i) {
    const auto& cluster = *clusters[i];
    std::vector<CheckResult> out;
    if (root_pem.empty())
      out.push_back(result(k_id, subject("cluster", cluster.name), Outcome::fail,
                           fmt::format("the lab root certificate {} is missing", root_path.string())));
    else
      out.push_back(check_cacerts(ctx, cluster, root_pem));
    out.push_back(check_workloads(ctx, cluster));
    return out;
  });
  std::vector<CheckResult> out;
  for (auto& r : results)
    for (auto& one : r) out.push_back(std::move(one));
  return out;
}

} // namespace

Check cacerts_check() {
  return {k_id, "cacerts chain to the lab root; workload certificates carry the cell's trust domain", run};
}

} // namespace meshlab::verify

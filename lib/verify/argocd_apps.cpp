// Check 5: every Argo CD Application on the lab's Argo CD cluster is Synced and Healthy
// (status.sync.status, status.health.status; contracts/argocd.md), one result per
// Application, with Argo CD's own message for those that are not.
#include "actions/argocd.hpp"
#include "verify/core_checks.hpp"
#include "verify/probe.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "argocd-apps";
constexpr const char* k_namespace = "argocd";

// Why an Application is not fine, in Argo CD's words: the health message, the operation's
// message, or the first condition.
std::string argo_message(const nlohmann::json& status) {
  if (auto m = status.value("health", nlohmann::json::object()).value("message", ""); !m.empty()) return m;
  if (auto m = status.value("operationState", nlohmann::json::object()).value("message", ""); !m.empty()) return m;
  for (const auto& c : status.value("conditions", nlohmann::json::array()))
    if (auto m = c.value("message", ""); !m.empty()) return m;
  return "";
}

std::vector<CheckResult> run(const VerifyContext& ctx) {
  const auto& lab = ctx.lab;
  if (!lab.argocd.enabled)
    return {result(k_id, subject("lab", lab.name), Outcome::skip, "the lab has no Argo CD")};
  // The cluster launch installs Argo CD on; a lab that names none fails with launch's words.
  const lab::Cluster* cluster = nullptr;
  if (const auto failure = failure_of([&] { cluster = actions::argocd_cluster(lab); }))
    return {result(k_id, subject("lab", lab.name), Outcome::fail, *failure)};
  if (cluster == nullptr)
    return {result(k_id, subject("lab", lab.name), Outcome::fail, "the lab names no cluster for Argo CD")};
  auto p = probe(kubectl_for(ctx, *cluster), {"get", "applications", "-n", k_namespace, "-o", "json"});
  const auto who = subject("cluster", cluster->name);
  if (!p.ok()) return {result(k_id, who, Outcome::fail, p.failure(), {p.evidence})};
  const auto doc = parse_json(p);
  const auto items = doc ? doc->value("items", nlohmann::json::array()) : nlohmann::json::array();
  if (items.empty())
    return {result(k_id, who, Outcome::fail, fmt::format("no Applications in namespace {} on {}", k_namespace, cluster->name),
                   {p.evidence})};
  std::vector<CheckResult> out;
  for (const auto& app : items) {
    const auto name = app["metadata"].value("name", "");
    const auto status = app.value("status", nlohmann::json::object());
    const auto sync = status.value("sync", nlohmann::json::object()).value("status", "Unknown");
    const auto health = status.value("health", nlohmann::json::object()).value("status", "Unknown");
    auto evidence = Evidence{p.evidence.command, {fmt::format("{} sync={} health={}", name, sync, health)}};
    const bool fine = sync == "Synced" && health == "Healthy";
    auto message = fmt::format("{} and {}", sync, health);
    if (!fine) {
      if (const auto why = argo_message(status); !why.empty()) {
        message += ": " + why;
        evidence.lines.push_back("message: " + why);
      }
    }
    out.push_back(result(k_id, subject("app", name), fine ? Outcome::pass : Outcome::fail, message, {evidence}));
  }
  return out;
}

} // namespace

Check argocd_apps_check() { return {k_id, "every Argo CD Application Synced and Healthy", run}; }

} // namespace meshlab::verify

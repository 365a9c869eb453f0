#include "actions/service_account.hpp"

#include "util/base64.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

using Json = nlohmann::ordered_json;

std::vector<Json> service_account_objects(const ServiceAccountSpec& spec) {
  const Json account = {
      {"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", spec.name}, {"namespace", spec.ns}}}};
  const Json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                     {"kind", "ClusterRole"},
                     {"metadata", {{"name", spec.cluster_role}}},
                     {"rules", spec.rules}};
  const Json binding = {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "ClusterRoleBinding"},
      {"metadata", {{"name", spec.binding}}},
      {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", spec.cluster_role}}},
      {"subjects", Json::array({{{"kind", "ServiceAccount"}, {"name", spec.name}, {"namespace", spec.ns}}})}};
  // Since Kubernetes 1.24 no token Secret is made automatically; one that names its
  // account in this annotation is filled by the token controller and never expires.
  const Json token = {{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata",
                       {{"name", spec.token_secret},
                        {"namespace", spec.ns},
                        {"annotations", {{"kubernetes.io/service-account.name", spec.name}}}}},
                      {"type", "kubernetes.io/service-account-token"}};
  std::vector<Json> objects{account, role, binding, token};
  if (!spec.labels.empty())
    for (auto& object : objects) object["metadata"]["labels"] = spec.labels;
  return objects;
}

TokenAccess wait_for_token(const kube::Kubectl& kubectl, const ServiceAccountSpec& spec,
                           util::Clock::time_point deadline) {
  const auto probe = [&]() -> std::optional<TokenAccess> {
    const auto found = lookup(kubectl, "secret", spec.token_secret, spec.ns, Secrecy::secret);
    if (found.state == Lookup::State::unanswered) return TokenAccess{"dry-run-token", "ZHJ5LXJ1bg=="};
    if (found.state == Lookup::State::missing) return std::nullopt;
    const auto& data = found.object.value("data", nlohmann::json::object());
    const auto token = data.value("token", std::string());
    const auto ca = data.value("ca.crt", std::string());
    if (token.empty() || ca.empty()) return std::nullopt;
    auto decoded = util::base64_decode(token);
    if (!decoded || decoded->empty())
      throw Error(fmt::format("secret {}/{} on {} holds a token that is not base64", spec.ns, spec.token_secret,
                              kubectl.context()));
    return TokenAccess{std::move(*decoded), ca};
  };
  return util::wait_until(
      deadline, std::chrono::milliseconds(200), probe,
      fmt::format("the token of ServiceAccount {}/{} on {}", spec.ns, spec.name, kubectl.context()));
}

} // namespace meshlab::actions

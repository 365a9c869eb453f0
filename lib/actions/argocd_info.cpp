#include "actions/argocd_info.hpp"

#include "actions/argocd.hpp"
#include "actions/kube_access.hpp"
#include "exec/check.hpp"
#include "net/http.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

namespace {

constexpr const char* k_admin_secret = "argocd-initial-admin-secret";

// The object, or nullopt when it does not exist; throws a one-line Error when the cluster
// does not answer.
std::optional<nlohmann::json> get(const kube::Kubectl& kubectl, const lab::Cluster& cluster, const std::string& kind,
                                  const std::string& name, Secrecy secrecy, std::chrono::milliseconds timeout) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  const auto limit = fmt::format("--request-timeout={}s", std::max<long long>(seconds, 1));
  const std::vector<std::string> args{"get", kind, name, "-n", k_argocd_namespace, "-o", "json", limit};
  const auto done = kubectl.run(args, std::nullopt, secrecy == Secrecy::secret);
  if (done.exit_code == 0 && run_mode(done) == RunMode::real) {
    try {
      return nlohmann::json::parse(done.out);
    } catch (const nlohmann::json::exception&) {
      throw Error(
          fmt::format("kubectl printed something that is not JSON for {} {} on {}", kind, name, kubectl.context()));
    }
  }
  if (done.exit_code != 0 && done.err.find("(NotFound)") != std::string::npos) return std::nullopt;
  if (done.exit_code == 0) return std::nullopt;
  auto reason = exec::last_lines(done.err.empty() ? std::string("no answer") : done.err, 1);
  throw Error(fmt::format("cannot reach cluster {} (context {}): {}; is the lab up? (`meshlab launch` starts or "
                          "resumes it)",
                          cluster.name, kubectl.context(), reason));
}

std::string lb_url(const nlohmann::json& service) {
  const auto ingress = service.value("status", nlohmann::json::object())
                           .value("loadBalancer", nlohmann::json::object())
                           .value("ingress", nlohmann::json::array());
  for (const auto& entry : ingress) {
    const auto address = entry.value("ip", entry.value("hostname", std::string()));
    if (!address.empty()) return "https://" + address;
  }
  return {};
}

void check_login(const ArgoCdLogin& login, std::chrono::milliseconds timeout) {
  const nlohmann::json body = {{"username", login.username}, {"password", login.password}};
  net::Response response;
  try {
    response = net::fetch({.method = "POST",
                           .url = login.url + "/api/v1/session",
                           .headers = {{"Content-Type", "application/json"}},
                           .body = body.dump(),
                           .timeout = timeout,
                           .tls = net::Tls::insecure}); // Argo CD's own self-signed certificate
  } catch (const Error& e) {
    throw Error(fmt::format("Argo CD does not answer: {}; it may still be starting, or set {} to a URL that "
                            "reaches it",
                            e.what(), k_argocd_url_env));
  }
  const auto answer = nlohmann::json::parse(response.body, nullptr, false);
  const bool has_token = answer.is_object() && answer.contains("token") && answer["token"].is_string() &&
                         !answer["token"].get<std::string>().empty();
  if (response.status >= 200 && response.status < 300 && has_token) return;
  std::string why = answer.is_object() ? answer.value("message", answer.value("error", std::string())) : "";
  throw Error(fmt::format("Argo CD at {} refused the login of {} with the initial admin password (HTTP {}{}); "
                          "if the password was changed, the initial one no longer works",
                          login.url, login.username, response.status, why.empty() ? "" : ": " + why));
}

} // namespace

ArgoCdLogin argocd_login(const lab::Lab& lab, exec::Runner& runner, const ArgoCdInfoOptions& options) {
  if (!lab.argocd.enabled)
    throw Error(fmt::format("lab {} has no Argo CD: add an argocd section (or apps) to {}", lab.name, lab.source_file));
  const auto* cluster = argocd_cluster(lab);
  const LaunchContext ctx{.lab = lab, .state_dir = lab.state_dir, .provider = {}};
  const auto kubeconfig = ctx.kubeconfig_for(*cluster);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(kubeconfig, ec))
    throw Error(fmt::format("lab {} is not up: there is no kubeconfig for cluster {} ({}); run `meshlab launch`",
                            lab.name, cluster->name, kubeconfig.string()));
  const kube::Kubectl kubectl(runner, kubeconfig, ctx.context_for(*cluster));
  ArgoCdLogin login{cluster->name, kubectl.context(), options.url.value_or(""), "admin", ""};

  if (login.url.empty()) {
    const auto service = get(kubectl, *cluster, "service", "argocd-server", Secrecy::plain, options.timeout);
    if (!service)
      throw Error(fmt::format("Argo CD is not installed on cluster {} yet (no service argocd-server in namespace "
                              "{}); run `meshlab launch`",
                              cluster->name, k_argocd_namespace));
    login.url = lb_url(*service);
    if (login.url.empty())
      throw Error(fmt::format("Argo CD on cluster {} has no address yet (service argocd-server has no LoadBalancer "
                              "ingress); run `meshlab launch`, or set {} to a port-forward's URL",
                              cluster->name, k_argocd_url_env));
  }
  login.url = util::trim_end(std::move(login.url), "/");

  const auto secret = get(kubectl, *cluster, "secret", k_admin_secret, Secrecy::secret, options.timeout);
  const auto encoded =
      secret ? secret->value("data", nlohmann::json::object()).value("password", std::string()) : std::string();
  if (encoded.empty())
    throw Error(fmt::format("Argo CD on cluster {} is not ready yet: no secret {} with a password in namespace {} "
                            "(argocd-server creates it when it first starts; once deleted it is gone for good)",
                            cluster->name, k_admin_secret, k_argocd_namespace));
  auto password = util::base64_decode(encoded);
  if (!password || password->empty())
    throw Error(fmt::format("secret {}/{} on cluster {} holds a password that is not base64", k_argocd_namespace,
                            k_admin_secret, cluster->name));
  login.password = std::move(*password);
  check_login(login, options.timeout);
  return login;
}

} // namespace meshlab::actions

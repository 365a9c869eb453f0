// Check 9, tls-ingress: each lab host answers over HTTPS through the istio-ingressgateway of
// every cluster its app runs on, with a certificate that verifies against the lab's root CA
// for that host name. libcurl connects to the gateway's LoadBalancer address (CURLOPT_RESOLVE)
// so SNI and name verification use the host, as a browser on a machine with the lab's DNS would.
#include "verify/traffic_checks.hpp"

#include "actions/vm_join.hpp"
#include "net/http.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "tls-ingress";
constexpr const char* k_gateway = "istio-ingressgateway";
constexpr const char* k_gateway_ns = "istio-system";

struct GatewayAddress {
  std::string address;
  int port = 443;
};

// The gateway of `view`'s cluster; looked up once per cluster however many hosts it serves.
std::optional<GatewayAddress> gateway_address(ClusterView& view, Evidence& evidence) {
  evidence.command =
      command_text(view.kubectl(), {"get", "service", k_gateway, "--ignore-not-found", "-o", "json", "-n", k_gateway_ns});
  const auto svc = view.service(k_gateway_ns, k_gateway);
  if (!svc) {
    evidence.lines.push_back(fmt::format("service {}/{} not found", k_gateway_ns, k_gateway));
    return std::nullopt;
  }
  GatewayAddress gateway;
  for (const auto& port : svc->value("spec", nlohmann::json::object()).value("ports", nlohmann::json::array()))
    if (port.value("name", "") == "https") gateway.port = port.value("port", 443);
  // An IP address: curl's --resolve (CURLOPT_RESOLVE) takes no host name.
  gateway.address = actions::service_address(*svc).value_or("");
  if (gateway.address.empty()) {
    evidence.lines.push_back(fmt::format("service {}/{} has no LoadBalancer address", k_gateway_ns, k_gateway));
    return std::nullopt;
  }
  evidence.lines.push_back(fmt::format("LoadBalancer {}, port https {}", gateway.address, gateway.port));
  return gateway;
}

CheckResult check_host(const VerifyContext& ctx, ClusterView& view, const std::string& host,
                       const lab::Cluster& cluster) {
  CheckResult result{k_id, fmt::format("host/{}@{}", host, cluster.name), Outcome::fail, "", {}, {}};
  Evidence lookup;
  const auto gateway = gateway_address(view, lookup);
  result.evidence.push_back(lookup);
  if (!gateway) {
    result.message = lookup.lines.back() + " on " + cluster.name;
    return result;
  }
  const auto ca = ctx.state_dir / "ca" / "root-cert.pem";
  const auto url = fmt::format("https://{}:{}/", host, gateway->port);
  net::Request request;
  request.url = url;
  request.timeout = std::chrono::seconds(10);
  request.ca_file = ca;
  // curl wants an IPv6 address in brackets ("host:443:[fd00::1]")
  const bool v6 = gateway->address.find(':') != std::string::npos;
  request.resolve = {fmt::format("{}:{}:{}", host, gateway->port, v6 ? "[" + gateway->address + "]" : gateway->address)};
  Evidence call{fmt::format("curl -sS --cacert {} --resolve {} {}", ca.string(), request.resolve.front(), url), {}};
  try {
    const auto response = net::fetch(request);
    call.lines.push_back(fmt::format("TLS verified against the lab root; HTTP status {}", response.status));
    result.outcome = response.status < 500 ? Outcome::pass : Outcome::fail;
    result.message = fmt::format("{} through {}:{} on {}: HTTP {}", url, gateway->address, gateway->port, cluster.name,
                                 response.status);
  } catch (const Interrupted&) {
    throw; // Ctrl-C ends verify; it is not a failed check
  } catch (const Error& e) {
    call.lines.push_back(e.what());
    result.message = e.what();
  }
  result.evidence.push_back(call);
  return result;
}

} // namespace

std::vector<CheckResult> check_tls_ingress(const VerifyContext& ctx, const TrafficOptions&) {
  const auto views = views_of(ctx);
  std::vector<CheckResult> results;
  for (const auto& app : ctx.lab.apps) {
    for (const auto& host : app.hosts) {
      for (const auto* cluster : ctx.lab.resolve(app.targets))
        results.push_back(guarded({k_id, fmt::format("host/{}@{}", host, cluster->name), Outcome::fail, "", {}, {}},
                                  [&](CheckResult& r) { r = check_host(ctx, views->of(ctx, *cluster), host, *cluster); }));
    }
  }
  if (results.empty())
    results.push_back(CheckResult{k_id, "lab/" + ctx.lab.name, Outcome::skip, "the lab has no app hosts", {}, {}});
  return results;
}

} // namespace meshlab::verify

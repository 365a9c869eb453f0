// Check 7, vm: traffic both ways between a VM and the mesh. Outbound: the VM (through its
// istio sidecar and DNS proxy) calls a mesh service of its cluster. Inbound: a client pod in
// the VM's cluster calls each VM service through the Service "<vm>-<service>" that selects
// the VM's WorkloadEntry.
#include "verify/traffic_checks.hpp"

#include "exec/quote.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

namespace {

constexpr const char* k_id = "vm";

bool success(int status) { return status >= 200 && status < 400; }

std::optional<ServiceTarget> mesh_target(const lab::Lab& lab, const lab::Cluster& cluster) {
  for (const auto& app : lab.apps)
    if (lab::Lab::selects(app.targets, cluster))
      if (auto target = probe_target(app)) return target;
  return std::nullopt;
}

CheckResult outbound(const VerifyContext& ctx, ClusterView& view, const lab::Vm& vm, const lab::Cluster& cluster) {
  CheckResult result{k_id, fmt::format("vm/{} to mesh", vm.name), Outcome::fail, "", {}, {}};
  const auto target = mesh_target(ctx.lab, cluster);
  if (!target) {
    result.outcome = Outcome::skip;
    result.message = fmt::format("no mesh app on {} to call from {} (httpbin, helloworld)", cluster.name, vm.name);
    return result;
  }
  Evidence service;
  const auto info = service_info(view, target->ns, target->service, service);
  result.evidence.push_back(service);
  if (!info) {
    result.message = fmt::format("service {}/{} is missing on {}", target->ns, target->service, cluster.name);
    return result;
  }
  const auto url = service_url(cluster, target->service, target->ns, info->port, target->path);
  exec::Command cmd;
  cmd.argv = {"multipass", "exec", "-n", ctx.lab.instance_name(vm.name), "--",
              "curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", url};
  cmd.timeout = std::chrono::seconds(60);
  const auto done = ctx.runner.run(cmd);
  Evidence call{exec::quote(cmd.argv), {}};
  int status = 0;
  try {
    status = std::stoi(done.out);
  } catch (const std::exception&) {
    status = 0;
  }
  call.lines.push_back(fmt::format("exit {}, HTTP status {}", done.exit_code, done.out.empty() ? "none" : done.out));
  if (!done.err.empty()) call.lines.push_back(done.err.substr(0, done.err.find('\n')));
  result.evidence.push_back(call);
  result.outcome = done.exit_code == 0 && success(status) ? Outcome::pass : Outcome::fail;
  result.message = result.outcome == Outcome::pass
                       ? fmt::format("{} reached {} (HTTP {})", vm.name, url, status)
                       : fmt::format("{} cannot reach {} (exit {}, HTTP {})", vm.name, url, done.exit_code, status);
  return result;
}

CheckResult inbound(const VerifyContext& ctx, ClusterView& view, const lab::Vm& vm, const lab::VmService& service,
                    const lab::Cluster& cluster) {
  CheckResult result{k_id, fmt::format("mesh to vm/{}/{}", vm.name, service.name), Outcome::fail, "", {}, {}};
  const auto name = fmt::format("{}-{}", vm.name, service.name);
  Evidence listing;
  const auto info = service_info(view, vm.namespace_, name, listing);
  result.evidence.push_back(listing);
  if (!info) {
    result.message = fmt::format("service {}/{} for {}'s {} is missing on {}", vm.namespace_, name, vm.name,
                                 service.name, cluster.name);
    return result;
  }
  const auto clients = client_pods(ctx, view, cluster);
  if (clients.empty()) {
    result.message = fmt::format("no ready pod with an istio-proxy sidecar in the app namespaces of {} to send from",
                                 cluster.name);
    return result;
  }
  const auto url = service_url(cluster, name, vm.namespace_, info->port ? info->port : service.port, "/");
  Evidence call;
  const auto answers = curl_from(view.kubectl(), clients.front(), url, 1, call);
  const int status = answers.empty() ? 0 : answers.front().status;
  call.lines.push_back(fmt::format("client {}/{}: HTTP status {}", clients.front().ns, clients.front().name, status));
  result.evidence.push_back(call);
  result.outcome = success(status) ? Outcome::pass : Outcome::fail;
  result.message = fmt::format("{} {} {} from {} (HTTP {})", cluster.name,
                               result.outcome == Outcome::pass ? "reached" : "cannot reach", url,
                               clients.front().name, status);
  return result;
}

} // namespace

std::vector<CheckResult> check_vm_reach(const VerifyContext& ctx, const TrafficOptions&) {
  const auto views = views_of(ctx);
  std::vector<CheckResult> results;
  for (const auto& vm : ctx.lab.vms) {
    const auto* cluster = ctx.lab.cluster(vm.cluster);
    if (cluster == nullptr) continue; // validation rejects this; nothing to call through
    auto& view = views->of(ctx, *cluster);
    const auto judge = [&](const std::string& subject, const std::function<CheckResult()>& run) {
      results.push_back(guarded({k_id, subject, Outcome::fail, "", {}, {}}, [&](CheckResult& r) { r = run(); }));
    };
    judge(fmt::format("vm/{} to mesh", vm.name), [&] { return outbound(ctx, view, vm, *cluster); });
    for (const auto& service : vm.services)
      judge(fmt::format("mesh to vm/{}/{}", vm.name, service.name),
            [&] { return inbound(ctx, view, vm, service, *cluster); });
  }
  if (results.empty()) results.push_back(CheckResult{k_id, "lab/" + ctx.lab.name, Outcome::skip, "the lab has no VMs", {}, {}});
  return results;
}

} // namespace meshlab::verify

#include "actions/ingress.hpp"

#include "actions/kube_access.hpp"
#include "actions/manifest.hpp"
#include "actions/rendered.hpp"
#include "actions/step_ids.hpp"
#include "pki/host_cert.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

namespace {

namespace fs = std::filesystem;


// The hosts `cluster` serves, in lab order.
std::vector<std::string> hosts_of(const lab::Lab& lab, const lab::Cluster& cluster) {
  std::vector<std::string> hosts;
  for (const auto& app : lab.apps)
    if (lab::Lab::selects(app.targets, cluster)) hosts.insert(hosts.end(), app.hosts.begin(), app.hosts.end());
  return hosts;
}

fs::path certificate_dir(const LaunchContext& ctx, const lab::Cluster& cluster, const std::string& host) {
  return ctx.state_dir / pki::host_certificate_dir(cluster.name, host);
}

void serve_hosts(const LaunchContext& ctx, const lab::Cluster& cluster, const std::vector<std::string>& hosts,
                 const std::vector<fs::path>& files, plan::StepContext& sc) {
  std::vector<std::string> secrets; // read before touching the cluster
  for (const auto& host : hosts) secrets.push_back(ingress_secret_yaml(ctx, cluster, host));
  const auto manifests = yaml_stream_of(files);
  const auto kubectl = kubectl_for(ctx, cluster, sc.runner);
  apply_yaml(kubectl, util::join(secrets, "---\n"), Secrecy::secret); // each ends with a newline
  apply_yaml(kubectl, manifests);
  sc.facts["hosts"] = std::to_string(hosts.size());
}

bool hosts_served(const LaunchContext& ctx, const lab::Cluster& cluster, const std::vector<std::string>& hosts,
                  const std::vector<fs::path>& files, exec::Runner& runner) {
  try {
    const auto kubectl = kubectl_for(ctx, cluster, runner);
    for (const auto& host : hosts) {
      const auto crt = util::base64_encode(util::read_file(certificate_dir(ctx, cluster, host) / "tls.crt"));
      const auto found = snapshot_lookup(ctx, kubectl, "secret", lab::ingress_secret_name(host), k_istio_namespace);
      if (found.state != Lookup::State::found) return false;
      if (found.object.value("data", nlohmann::json::object()).value("tls.crt", std::string()) != crt) return false;
    }
    return objects_present(ctx, kubectl, files);
  } catch (const Error&) {
    return false; // unreachable or unreadable: run the step, which says why
  }
}

} // namespace

std::string ingress_secret_yaml(const LaunchContext& ctx, const lab::Cluster& cluster, const std::string& host) {
  const auto dir = certificate_dir(ctx, cluster, host);
  auto secret = secret_object(lab::ingress_secret_name(host), k_istio_namespace, "kubernetes.io/tls");
  secret["metadata"]["labels"] = {{k_lab_label, ctx.lab.name}};
  secret["data"] = {{"tls.crt", util::base64_encode(util::read_file(dir / "tls.crt"))},
                    {"tls.key", util::base64_encode(util::read_file(dir / "tls.key"))}};
  return to_yaml(secret);
}

void add_ingress_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  for (const auto* cluster : ctx.lab.workload_clusters()) {
    const auto hosts = hosts_of(ctx.lab, *cluster);
    const auto files = rendered_files(ctx.state_dir, "ingress", cluster->name);
    if (hosts.empty() || files.empty()) continue;
    std::vector<fs::path> inputs = files;
    for (const auto& host : hosts) inputs.push_back(certificate_dir(ctx, *cluster, host) / "tls.crt");
    const auto after = builder.contains(ids::apps_sync()) ? ids::apps_sync() : ids::cluster_cacerts(cluster->name);
    expect_objects(ctx, *cluster, "secret", k_istio_namespace);
    expect_rendered_objects(ctx, *cluster, files);
    builder.add(plan::Step{
        .id = ids::ingress(cluster->name),
        .title = fmt::format("Serving the TLS hosts of {}", cluster->name),
        .needs = {after},
        .inputs_hash = files_digest(inputs, {cluster->name}),
        .run = [ctx, cluster, hosts, files](plan::StepContext& sc) { serve_hosts(ctx, *cluster, hosts, files, sc); },
        .verify =
            [ctx, cluster, hosts, files](exec::Runner& runner) {
              return hosts_served(ctx, *cluster, hosts, files, runner);
            },
    });
  }
}

} // namespace meshlab::actions

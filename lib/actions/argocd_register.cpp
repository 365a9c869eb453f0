// argocd/register/<c>: what `argocd cluster add` does (argo-cd util/clusterauth), done
// declaratively with kubectl.
#include "actions/argocd.hpp"

#include "actions/kube_access.hpp"
#include "actions/manifest.hpp"
#include "actions/step_ids.hpp"
#include "net/http.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

namespace {

using Json = nlohmann::ordered_json;

constexpr auto k_token_timeout = std::chrono::minutes(2);
constexpr const char* k_in_cluster_url = "https://kubernetes.default.svc";

void register_cluster(const LaunchContext& ctx, const lab::Cluster& host, const lab::Cluster& cluster,
                      plan::StepContext& sc) {
  auto spec = argocd_manager_account();
  spec.labels = {{k_lab_label, ctx.lab.name}};
  const auto target = kubectl_for(ctx, cluster, sc.runner);
  const auto mode = apply_yaml(target, yaml_stream(service_account_objects(spec)));
  const auto access = wait_for_token(target, spec, util::Clock::now() + k_token_timeout);
  const auto server = argocd_server_url(
      ctx.lab, cluster, &cluster == &host ? "" : internal_server(sc, cluster, ctx.dry_run ? RunMode::dry_run : mode));
  apply_yaml(kubectl_for(ctx, host, sc.runner), to_yaml(cluster_secret(ctx.lab, cluster, server, access)),
             Secrecy::secret);
  sc.facts["name"] = ctx.lab.instance_name(cluster.name);
  sc.facts["server"] = server;
  // Which cluster this registration reaches: when it is a new one, argocd/apps runs again and
  // has Argo CD refresh what it shows about it (see apps.cpp).
  sc.facts["cluster_ca_sha256"] = net::sha256_hex(access.ca_data);
}

} // namespace

ServiceAccountSpec argocd_manager_account() {
  // The rules `argocd cluster add` grants (util/clusterauth/clusterauth.go): everything.
  Json rules = Json::array(
      {{{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"*"}}}, {{"nonResourceURLs", {"*"}}, {"verbs", {"*"}}}});
  return {.name = "argocd-manager",
          .ns = "kube-system",
          .token_secret = "argocd-manager-long-lived-token",
          .cluster_role = "argocd-manager-role",
          .binding = "argocd-manager-role-binding",
          .rules = std::move(rules)};
}

std::string argocd_server_url(const lab::Lab& lab, const lab::Cluster& cluster, const std::string& internal_server) {
  const auto* host = lab.cluster(lab.argocd.cluster);
  if (host == nullptr) host = lab.management_cluster();
  // Argo CD reaches its own cluster through the in-cluster Service; a Secret for it still
  // carries a token, which works with every Argo CD version and needs no special case.
  if (host != nullptr && host->name == cluster.name) return k_in_cluster_url;
  return internal_server;
}

Json cluster_secret(const lab::Lab& lab, const lab::Cluster& cluster, const std::string& server,
                    const TokenAccess& access) {
  const auto name = lab.instance_name(cluster.name);
  auto secret = secret_object("cluster-" + name, k_argocd_namespace);
  Json labels = {{"argocd.argoproj.io/secret-type", "cluster"},
                 {k_lab_label, lab.name},
                 {"meshlab.dev/cluster", cluster.name}};
  // Labels reach ApplicationSet cluster generators as metadata.labels.<key>.
  if (!cluster.cell.empty()) labels["meshlab.dev/cell"] = cluster.cell;
  if (!cluster.network.empty()) labels["meshlab.dev/network"] = cluster.network;
  if (!cluster.locality.region.empty()) labels["topology.kubernetes.io/region"] = cluster.locality.region;
  if (!cluster.locality.zone.empty()) labels["topology.kubernetes.io/zone"] = cluster.locality.zone;
  secret["metadata"]["labels"] = std::move(labels);
  const Json config = {{"bearerToken", access.token},
                       {"tlsClientConfig", {{"insecure", false}, {"caData", access.ca_data}}}};
  secret["stringData"] = {{"name", name}, {"server", server}, {"config", config.dump()}};
  return secret;
}

bool cluster_registered(const LaunchContext& ctx, const lab::Cluster& host, const lab::Cluster& cluster,
                        exec::Runner& runner) {
  const auto found = snapshot_lookup(ctx, kubectl_for(ctx, host, runner), "secret",
                                     "cluster-" + ctx.lab.instance_name(cluster.name), k_argocd_namespace);
  if (found.state != Lookup::State::found) return false;
  const auto labels =
      found.object.value("metadata", nlohmann::json::object()).value("labels", nlohmann::json::object());
  return labels.value("argocd.argoproj.io/secret-type", "") == "cluster" &&
         labels.value("meshlab.dev/cluster", "") == cluster.name;
}

void add_argocd_register_steps(plan::PlanBuilder& builder, const LaunchContext& ctx, const lab::Cluster& host) {
  expect_objects(ctx, host, "secret", k_argocd_namespace);
  for (const auto* cluster : ctx.lab.workload_clusters()) {
    const auto& c = *cluster;
    builder.add(plan::Step{
        .id = ids::argocd_register(c.name),
        .title = fmt::format("Registering {} with Argo CD", c.name),
        .needs = {ids::argocd_install(), ids::cluster_ready(c.name), ids::cluster_kubeconfig(c.name)},
        .inputs_hash = digest({ctx.lab.name, host.name, c.name, ctx.lab.instance_name(c.name), c.cell, c.network,
                               c.locality.region, c.locality.zone}),
        .run = [ctx, argocd = &host, cluster](plan::StepContext& sc) { register_cluster(ctx, *argocd, *cluster, sc); },
        .verify = [ctx, argocd = &host,
                   cluster](exec::Runner& runner) { return cluster_registered(ctx, *argocd, *cluster, runner); },
    });
  }
}

} // namespace meshlab::actions

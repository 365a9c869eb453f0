#include "actions/remote_secrets.hpp"

#include "actions/kube_access.hpp"
#include "actions/manifest.hpp"
#include "actions/step_ids.hpp"
#include "kube/object.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <set>

namespace meshlab::actions {

namespace {

using Json = nlohmann::ordered_json;

constexpr auto k_token_timeout = std::chrono::minutes(2);

struct Member {
  const lab::Cluster* cluster;
  TokenAccess access;
  std::string server;
};

void link_cell(const LaunchContext& ctx, const std::vector<const lab::Cluster*>& clusters, plan::StepContext& sc) {
  auto spec = istio_reader_account();
  spec.labels = {{k_lab_label, ctx.lab.name}};
  std::vector<Member> members;
  for (const auto* cluster : clusters) {
    const auto kubectl = kubectl_for(ctx, *cluster, sc.runner);
    const auto mode = apply_yaml(kubectl, yaml_stream(service_account_objects(spec)));
    auto access = wait_for_token(kubectl, spec, util::Clock::now() + k_token_timeout);
    members.push_back(
        {cluster, std::move(access), internal_server(sc, *cluster, ctx.dry_run ? RunMode::dry_run : mode)});
  }
  for (const auto& b : members) {
    std::vector<Json> secrets;
    for (const auto& a : members)
      if (a.cluster != b.cluster) {
        secrets.push_back(remote_secret(a.cluster->name, a.server, a.access));
        secrets.back()["metadata"]["labels"][k_lab_label] = ctx.lab.name;
      }
    apply_yaml(kubectl_for(ctx, *b.cluster, sc.runner), yaml_stream(secrets), Secrecy::secret);
  }
  sc.facts["clusters"] = std::to_string(members.size());
}

} // namespace

ServiceAccountSpec istio_reader_account() {
  const Json read = {"get", "list", "watch"};
  // istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery/templates/reader-clusterrole.yaml
  // (without the externalIstiod extras).
  Json rules = Json::array({
      {{"apiGroups",
        {"config.istio.io", "security.istio.io", "networking.istio.io", "authentication.istio.io", "rbac.istio.io"}},
       {"resources", {"*"}},
       {"verbs", read}},
      {{"apiGroups", {""}},
       {"resources", {"endpoints", "pods", "services", "nodes", "replicationcontrollers", "namespaces", "secrets"}},
       {"verbs", read}},
      {{"apiGroups", {"networking.istio.io"}}, {"resources", {"workloadentries"}}, {"verbs", read}},
      {{"apiGroups", {"apiextensions.k8s.io"}}, {"resources", {"customresourcedefinitions"}}, {"verbs", read}},
      {{"apiGroups", {"discovery.k8s.io"}}, {"resources", {"endpointslices"}}, {"verbs", read}},
      {{"apiGroups", {"multicluster.x-k8s.io"}}, {"resources", {"serviceexports"}}, {"verbs", read}},
      {{"apiGroups", {"apps"}}, {"resources", {"replicasets"}}, {"verbs", read}},
      {{"apiGroups", {"authentication.k8s.io"}}, {"resources", {"tokenreviews"}}, {"verbs", {"create"}}},
      {{"apiGroups", {"authorization.k8s.io"}}, {"resources", {"subjectaccessreviews"}}, {"verbs", {"create"}}},
  });
  // The chart's own role and binding carry the release's names; meshlab's are its own, so
  // Argo CD syncing the chart never fights over them.
  return {.name = "istio-reader-service-account",
          .ns = k_istio_namespace,
          .token_secret = "istio-reader-service-account-istio-remote-secret-token",
          .cluster_role = "meshlab-istio-reader",
          .binding = "meshlab-istio-reader",
          .rules = std::move(rules)};
}

std::string remote_kubeconfig(const std::string& cluster_name, const std::string& server, const TokenAccess& access) {
  const Json config = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", Json::array({{{"name", cluster_name},
                                 {"cluster", {{"server", server}, {"certificate-authority-data", access.ca_data}}}}})},
      {"contexts",
       Json::array({{{"name", cluster_name}, {"context", {{"cluster", cluster_name}, {"user", cluster_name}}}}})},
      {"current-context", cluster_name},
      {"preferences", Json::object()},
      {"users", Json::array({{{"name", cluster_name}, {"user", {{"token", access.token}}}}})},
  };
  return to_yaml(config);
}

Json remote_secret(const std::string& cluster_name, const std::string& server, const TokenAccess& access) {
  auto secret = secret_object("istio-remote-secret-" + cluster_name, k_istio_namespace);
  secret["metadata"]["labels"] = {{"istio/multiCluster", "true"}};
  secret["metadata"]["annotations"] = {{"networking.istio.io/cluster", cluster_name}};
  secret["stringData"] = {{cluster_name, remote_kubeconfig(cluster_name, server, access)}};
  return secret;
}

bool remote_secrets_in_place(const LaunchContext& ctx, const std::vector<const lab::Cluster*>& clusters,
                             exec::Runner& runner) {
  for (const auto* b : clusters) {
    // The snapshot reads istio-system's Secrets with its output kept out of the check's log.
    const auto secrets = ctx.snapshot->objects().items(kubectl_for(ctx, *b, runner), "secret", k_istio_namespace);
    if (!secrets) return false;
    std::set<std::string> linked; // remote secrets: labelled istio/multiCluster=true
    for (const auto& secret : *secrets) {
      const auto& metadata = kube::member(secret, "metadata");
      if (kube::member(kube::member(metadata, "labels"), "istio/multiCluster") == "true" &&
          kube::member(metadata, "name").is_string())
        linked.insert(kube::member(metadata, "name").get<std::string>());
    }
    for (const auto* a : clusters)
      if (a != b && linked.count("istio-remote-secret-" + a->name) == 0) return false;
  }
  return true;
}

void add_remote_secrets_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  for (const auto& cell : ctx.lab.cells) {
    std::vector<const lab::Cluster*> clusters;
    for (const auto& name : cell.clusters)
      if (const auto* cluster = ctx.lab.cluster(name)) clusters.push_back(cluster);
    if (clusters.size() < 2) continue;
    for (const auto* cluster : clusters) expect_objects(ctx, *cluster, "secret", k_istio_namespace);
    std::vector<std::string> needs;
    std::vector<std::string> parts{cell.name};
    for (const auto* cluster : clusters) {
      needs.push_back(ids::cluster_cacerts(cluster->name));
      needs.push_back(ids::cluster_kubeconfig(cluster->name));
      parts.push_back(cluster->name);
    }
    builder.add(plan::Step{
        .id = ids::remote_secrets(cell.name),
        .title = fmt::format("Linking the clusters of cell {} for endpoint discovery", cell.name),
        .needs = std::move(needs),
        .inputs_hash = digest(parts),
        .run = [ctx, clusters](plan::StepContext& sc) { link_cell(ctx, clusters, sc); },
        .verify = [ctx, clusters](exec::Runner& runner) { return remote_secrets_in_place(ctx, clusters, runner); },
    });
  }
}

} // namespace meshlab::actions

#include "actions/cacerts.hpp"

#include "actions/kube_access.hpp"
#include "actions/manifest.hpp"
#include "actions/rendered.hpp"
#include "actions/step_ids.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

namespace {

constexpr const char* k_secret_name = "cacerts";

std::filesystem::path ca_dir(const LaunchContext& ctx, const lab::Cluster& cluster) {
  return ctx.state_dir / "ca" / cluster.name;
}

bool multi_network(const lab::Lab& lab, const lab::Cluster& cluster) {
  const auto* cell = lab.cell(cluster.cell);
  return cell != nullptr && cell->network_mode == lab::NetworkMode::multi;
}

// The files and the namespace label: what the step's effect depends on. A file that
// cannot be read yet (a plan printed before rendering) still gives a stable hash; the
// step itself then reports the file.
std::string inputs_hash(const LaunchContext& ctx, const lab::Cluster& cluster) {
  std::vector<std::filesystem::path> files;
  for (const char* file : k_cacerts_files) files.push_back(ca_dir(ctx, cluster) / file);
  return files_digest(files, {cluster.name, multi_network(ctx.lab, cluster) ? cluster.network : ""});
}

// On an external cluster, whether istio-system is the lab's to delete: missing (this launch
// makes it) or labelled by this lab on an earlier launch. Server-side apply would drop the
// label if a later apply left it out, so it is re-applied for as long as it is there.
bool lab_owns_istio_namespace(const kube::Kubectl& kubectl, const LaunchContext& ctx, const lab::Cluster& cluster) {
  if (cluster.provider != lab::Provider::external) return false; // deleted with the cluster
  const auto found = lookup(kubectl, "namespace", k_istio_namespace, "");
  if (found.state == Lookup::State::missing) return true;
  if (found.state == Lookup::State::unanswered) return false;
  const auto labels = found.object.value("metadata", nlohmann::json::object()).value("labels", nlohmann::json::object());
  return labels.value(k_lab_label, "") == ctx.lab.name;
}

void install_cacerts(const LaunchContext& ctx, const lab::Cluster& cluster, plan::StepContext& sc) {
  const auto kubectl = kubectl_for(ctx, cluster, sc.runner);
  const auto secret = cacerts_secret_yaml(ctx, cluster); // read before touching the cluster
  auto ns = istio_namespace(ctx.lab, cluster);
  if (lab_owns_istio_namespace(kubectl, ctx, cluster)) ns["metadata"]["labels"][k_lab_label] = ctx.lab.name;
  apply_yaml(kubectl, to_yaml(ns));
  apply_yaml(kubectl, secret, Secrecy::secret);
  sc.facts["secret"] = fmt::format("{}/{}", k_istio_namespace, k_secret_name);
}

} // namespace

nlohmann::ordered_json istio_namespace(const lab::Lab& lab, const lab::Cluster& cluster) {
  std::map<std::string, std::string> labels;
  // istiod reads the network of a cluster's workloads from this label (multi-network only).
  if (multi_network(lab, cluster)) labels["topology.istio.io/network"] = cluster.network;
  return namespace_object(k_istio_namespace, labels);
}

std::string cacerts_secret_yaml(const LaunchContext& ctx, const lab::Cluster& cluster) {
  auto secret = secret_object(k_secret_name, k_istio_namespace);
  secret["metadata"]["labels"] = {{k_lab_label, ctx.lab.name}};
  auto& data = secret["data"] = nlohmann::ordered_json::object();
  for (const char* file : k_cacerts_files)
    data[file] = util::base64_encode(util::read_file(ca_dir(ctx, cluster) / file));
  return to_yaml(secret);
}

bool cacerts_in_place(const LaunchContext& ctx, const lab::Cluster& cluster, exec::Runner& runner) {
  try {
    const auto root = util::base64_encode(util::read_file(ca_dir(ctx, cluster) / "root-cert.pem"));
    const auto found = snapshot_lookup(ctx, kubectl_for(ctx, cluster, runner), "secret", k_secret_name, k_istio_namespace);
    if (found.state != Lookup::State::found) return false;
    const auto& data = found.object.value("data", nlohmann::json::object());
    return data.value("root-cert.pem", std::string()) == root && data.contains("ca-key.pem");
  } catch (const Error&) {
    return false; // unreachable or unreadable: run the step, which says why
  }
}

void add_cacerts_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  for (const auto* cluster : ctx.lab.workload_clusters()) {
    expect_objects(ctx, *cluster, "secret", k_istio_namespace);
    builder.add(plan::Step{
        .id = ids::cluster_cacerts(cluster->name),
        .title = fmt::format("Installing the Istio CA on {}", cluster->name),
        .needs = {ids::cluster_ready(cluster->name)},
        .inputs_hash = inputs_hash(ctx, *cluster),
        .run = [ctx, cluster](plan::StepContext& sc) { install_cacerts(ctx, *cluster, sc); },
        .verify = [ctx, cluster](exec::Runner& runner) { return cacerts_in_place(ctx, *cluster, runner); },
    });
  }
}

} // namespace meshlab::actions

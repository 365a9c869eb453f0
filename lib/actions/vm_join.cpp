#include "actions/vm_join.hpp"

#include "actions/argocd.hpp"
#include "actions/kube_access.hpp"
#include "actions/machines_detail.hpp"
#include "actions/manifest.hpp"
#include "actions/rendered.hpp"
#include "actions/sidecar_package.hpp"
#include "actions/step_ids.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/wait.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

namespace {

namespace fs = std::filesystem;

// The east-west gateway gets its address from MetalLB or k3s's service load balancer within
// seconds once Argo CD has synced it; istiod registers a VM as soon as its sidecar connects.
constexpr auto k_address_timeout = std::chrono::minutes(5);
constexpr auto k_register_timeout = std::chrono::minutes(3);
constexpr auto k_poll = std::chrono::milliseconds(250);
constexpr const char* k_group_annotation = "istio.io/autoRegistrationGroup";
// As the resume checks read them (kube/object_snapshot.hpp).
constexpr const char* k_workload_group = "workloadgroup.networking.istio.io";
constexpr const char* k_workload_entry = "workloadentry.networking.istio.io";
constexpr const char* k_package = "istio-sidecar";
// Stand-ins the dry run prints where a live answer would go.
constexpr const char* k_dry_run_address = "<east-west gateway address>";

// The VM's Namespace and ServiceAccount, WorkloadGroup and Services, as index.json lists
// them (kind "istio", cluster = the VM); sorted by path, identity.yaml comes first, so the
// namespace exists before what lives in it. istiod's exposure through the east-west gateway
// is the cluster's own (istio/<c>/resources applies it).
std::vector<fs::path> mesh_files(const LaunchContext& ctx, const lab::Vm& vm) {
  return rendered_files(ctx.state_dir, "istio", vm.name);
}

// cluster.env, mesh.yaml and root-cert.pem (index.json kind "vm-bootstrap").
std::vector<fs::path> bootstrap_files(const LaunchContext& ctx, const lab::Vm& vm) {
  return rendered_files(ctx.state_dir, "vm-bootstrap", vm.name);
}

// Throws when the render left nothing of `what` for `vm`: a step must not apply or copy
// an empty set and call the VM joined.
void require_rendered(const std::vector<fs::path>& files, const LaunchContext& ctx, const lab::Vm& vm,
                      const char* what) {
  if (files.empty())
    throw Error(fmt::format("{} of VM {} are not rendered in {}; render the lab again", what, vm.name,
                            ctx.state_dir.string()));
}

void apply_mesh_side(const LaunchContext& ctx, const lab::Vm& vm, const lab::Cluster& cluster,
                     const std::vector<fs::path>& files, plan::StepContext& sc) {
  require_rendered(files, ctx, vm, "the WorkloadGroup files");
  apply_yaml(kubectl_for(ctx, cluster, sc.runner), yaml_stream_of(files));
  sc.facts["cluster"] = cluster.name;
}

bool group_present(const LaunchContext& ctx, const lab::Vm& vm, const lab::Cluster& cluster, exec::Runner& runner) {
  return snapshot_lookup(ctx, kubectl_for(ctx, cluster, runner), k_workload_group, vm.name, vm.namespace_).state ==
         Lookup::State::found;
}

// The east-west gateway's address, waited for; empty under --dry-run.
std::string eastwest_address(const kube::Kubectl& kubectl) {
  return util::wait_until(
      util::Clock::now() + k_address_timeout, k_poll,
      [&]() -> std::optional<std::string> {
        const auto found = lookup(kubectl, "service", k_eastwest_service, k_istio_namespace);
        if (found.state == Lookup::State::unanswered) return std::string();
        if (found.state == Lookup::State::missing) return std::nullopt;
        if (auto address = service_address(found.object)) return address;
        // A cloud load balancer may publish only a host name, which will not become an IP.
        if (const auto hostname = service_hostname(found.object))
          throw Error(fmt::format("service {}/{} on {} publishes the host name {} and no IP, but a VM reaches istiod "
                                  "through an /etc/hosts entry, which needs an IP; attach the VM to a cluster whose "
                                  "east-west gateway has an IP address",
                                  k_istio_namespace, k_eastwest_service, kubectl.context(), *hostname));
        return std::nullopt;
      },
      fmt::format("a LoadBalancer address for service {}/{} on {}", k_istio_namespace, k_eastwest_service,
                  kubectl.context()));
}

// The sidecar package version installed in the VM ("" when none), from `dpkg-query -W`,
// which prints "<package>\t<version>" and needs no format string through ssh.
std::string installed_version(const providers::MultipassVm& machine) {
  const auto done = machine.run({"dpkg-query", "-W", k_package});
  if (done.exit_code != 0) return "";
  const auto tab = done.out.find('\t');
  return tab == std::string::npos ? "" : util::trim_end(done.out.substr(tab + 1));
}

void join(const LaunchContext& ctx, const lab::Vm& vm, const lab::Cluster& cluster, plan::StepContext& sc) {
  auto files = bootstrap_files(ctx, vm);
  require_rendered(files, ctx, vm, "the bootstrap files");
  const auto kubectl = kubectl_for(ctx, cluster, sc.runner);
  const providers::MultipassVm machine(sc.runner, ctx.lab.instance_name(vm.name));
  const std::string staging = k_vm_staging_dir;

  auto address = eastwest_address(kubectl);
  const bool dry = ctx.dry_run || address.empty();
  if (address.empty()) address = k_dry_run_address;
  const auto token = util::trim_end(kubectl
                                        .check({"create", "token", vm.service_account, "-n", vm.namespace_,
                                                "--audience", "istio-ca", "--duration", k_vm_token_duration},
                                               std::nullopt, true)
                                        .out);
  if (token.empty() && !dry)
    throw Error(fmt::format("kubectl create token {} -n {} on {} printed no token", vm.service_account, vm.namespace_,
                            cluster.name));

  // The package: once per VM (a joined VM keeps it), downloaded once per architecture.
  const auto& version = ctx.lab.istio.version;
  std::optional<fs::path> package;
  if (installed_version(machine) != version) {
    auto arch = util::trim_end(machine.check({"dpkg", "--print-architecture"}).out);
    if (arch.empty() && dry) arch = "amd64";
    if (!sidecar_arch_supported(arch))
      throw Error(fmt::format("VM {} runs on {}; Istio publishes the istio-sidecar package for amd64 and arm64 only",
                              machine.instance(), arch));
    sc.facts["arch"] = arch;
    if (dry) {
      const auto url = sidecar_package_url(version, arch);
      package = ctx.state_dir / "cache" / fmt::format("istio-sidecar-{}-{}.deb", version, arch);
      sc.log << fmt::format("dry run: {} would be downloaded into {} unless cached there\n", url, package->string());
    } else {
      const auto cached = cache_sidecar_package(version, arch, ctx.state_dir, sc.log);
      package = cached.file;
      sc.facts["package_sha256"] = cached.sha256;
    }
  }

  machine.check({"install", "-d", "-m", "0700", staging});
  if (package) files.push_back(*package);
  machine.copy_in(files, staging);
  machine.write(staging + "/istio-token", token + "\n", providers::Stdin::secret);
  machine.write(staging + "/hosts", vm_hosts_entry(ctx.lab, address));
  if (package) machine.check({"sudo", "dpkg", "-i", staging + "/" + package->filename().string()});
  machine.check({"sudo", "sh", "-c", vm_install_script()});
  machine.check({"sudo", "sh", "-c", vm_hosts_script(istiod_host(ctx.lab))});
  machine.check({"sudo", "systemctl", "enable", "istio"});
  machine.check({"sudo", "systemctl", "restart", "istio"}); // picks up new files on a re-join
  machine.check({"sudo", "rm", "-rf", staging});            // the token's staged copy

  std::string vm_address;
  if (const auto it = sc.earlier.find(ids::vm(vm.name)); it != sc.earlier.end())
    if (const auto a = it->second.find("address"); a != it->second.end()) vm_address = a->second;
  const auto entry = util::wait_until(
      util::Clock::now() + k_register_timeout, k_poll,
      [&]() -> std::optional<nlohmann::json> {
        const auto items = list_items(kubectl, "workloadentries", vm.namespace_);
        if (!items) return nlohmann::json::object(); // dry run
        return registered_entry(*items, vm.name, vm_address);
      },
      fmt::format("istiod on {} to register a WorkloadEntry for VM {} (WorkloadGroup {}/{}); see `sudo journalctl "
                  "-u istio` in the VM",
                  cluster.name, machine.instance(), vm.namespace_, vm.name));
  sc.facts["eastwest_address"] = address;
  sc.facts["workload_entry"] = entry.value("metadata", nlohmann::json::object()).value("name", "");
  sc.facts["cluster"] = cluster.name;
}

} // namespace

std::string istiod_host(const lab::Lab& lab) {
  const auto& rev = lab.istio.revision;
  const bool revisioned = !rev.empty() && rev != "default";
  return fmt::format("{}.{}.svc", revisioned ? "istiod-" + rev : std::string("istiod"), k_istio_namespace);
}

std::string vm_hosts_entry(const lab::Lab& lab, const std::string& eastwest_address) {
  return fmt::format("{} {}\n", eastwest_address, istiod_host(lab));
}

std::optional<std::string> service_address(const nlohmann::json& service) {
  const auto& status = detail::member(detail::member(service, "status"), "loadBalancer");
  for (const auto& entry : detail::member(status, "ingress")) {
    const auto& ip = detail::member(entry, "ip");
    if (ip.is_string() && !ip.get<std::string>().empty()) return ip.get<std::string>();
  }
  for (const auto& ip : detail::member(detail::member(service, "spec"), "externalIPs"))
    if (ip.is_string() && !ip.get<std::string>().empty()) return ip.get<std::string>();
  return std::nullopt;
}

std::optional<std::string> service_hostname(const nlohmann::json& service) {
  for (const auto& entry : detail::member(detail::member(detail::member(service, "status"), "loadBalancer"), "ingress")) {
    const auto& hostname = detail::member(entry, "hostname");
    if (hostname.is_string() && !hostname.get<std::string>().empty()) return hostname.get<std::string>();
  }
  return std::nullopt;
}

std::optional<nlohmann::json> registered_entry(const nlohmann::json& items, const std::string& group,
                                               const std::string& address) {
  if (!items.is_array()) return std::nullopt;
  for (const auto& item : items) {
    const auto& annotation = detail::member(detail::member(detail::member(item, "metadata"), "annotations"),
                                            k_group_annotation);
    if (!annotation.is_string() || annotation.get<std::string>() != group) continue;
    const auto& at = detail::member(detail::member(item, "spec"), "address");
    if (address.empty() || (at.is_string() && at.get<std::string>() == address)) return item;
  }
  return std::nullopt;
}

std::string vm_install_script() {
  const std::string s = k_vm_staging_dir;
  return fmt::format("install -D -m 0644 {0}/root-cert.pem /etc/certs/root-cert.pem"
                     " && install -D -m 0600 {0}/istio-token {1}"
                     " && install -D -m 0644 {0}/cluster.env /var/lib/istio/envoy/cluster.env"
                     " && install -D -m 0644 {0}/mesh.yaml /etc/istio/config/mesh"
                     " && mkdir -p /etc/istio/proxy"
                     " && chown -R istio-proxy /etc/certs /etc/istio/proxy /etc/istio/config /var/lib/istio"
                     " /var/run/secrets/tokens",
                     s, k_vm_token_path);
}

std::string vm_hosts_script(const std::string& host) {
  const std::string s = k_vm_staging_dir;
  // grep exits 1 when it keeps no line; the new file is complete either way.
  return fmt::format("grep -vF '{1}' /etc/hosts > {0}/hosts.new; cat {0}/hosts >> {0}/hosts.new"
                     " && install -m 0644 {0}/hosts.new /etc/hosts",
                     s, host);
}

bool vm_sidecar_running(const providers::MultipassVm& vm) {
  // Two read-only commands (no sudo: the token's directory is world-readable, so `test -s`
  // sees the file); after a reboot the service is active again but the token, on a tmpfs, is gone.
  return vm.run({"systemctl", "is-active", "--quiet", "istio"}).exit_code == 0 &&
         vm.run({"test", "-s", k_vm_token_path}).exit_code == 0;
}

void add_vm_join_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  // Istio reaches the clusters through Argo CD only; without it there is no istiod to join.
  if (argocd_cluster(ctx.lab) == nullptr || !builder.contains(ids::apps_sync())) return;
  for (const auto& vm : ctx.lab.vms) {
    const auto* cluster = ctx.lab.cluster(vm.cluster);
    if (cluster == nullptr) continue; // validation reports it
    const auto files = mesh_files(ctx, vm);
    expect_objects(ctx, *cluster, k_workload_group, vm.namespace_);
    expect_objects(ctx, *cluster, k_workload_entry, vm.namespace_);
    // istiod must be reachable through the east-west gateway before the VM bootstraps.
    std::vector<std::string> needs{ids::apps_sync()};
    if (builder.contains(ids::mesh_resources(cluster->name))) needs.push_back(ids::mesh_resources(cluster->name));
    builder.add(plan::Step{
        .id = ids::vm_mesh(vm.name),
        .title = fmt::format("Registering VM {} with {}", ctx.lab.instance_name(vm.name), cluster->name),
        .needs = needs,
        .inputs_hash = files_digest(files, {"vm-mesh", vm.name, cluster->name}),
        .run = [ctx, vm, cluster, files](plan::StepContext& sc) { apply_mesh_side(ctx, vm, *cluster, files, sc); },
        .verify = detail::never_throwing(
            [ctx, vm, cluster](exec::Runner& runner) { return group_present(ctx, vm, *cluster, runner); }),
    });
    builder.add(plan::Step{
        .id = ids::vm_join(vm.name),
        .title = fmt::format("Joining VM {} to the mesh", ctx.lab.instance_name(vm.name)),
        .needs = {ids::vm(vm.name), ids::vm_mesh(vm.name)},
        .inputs_hash = files_digest(bootstrap_files(ctx, vm), {"vm-join", vm.name, ctx.lab.istio.version}),
        .run = [ctx, vm, cluster](plan::StepContext& sc) { join(ctx, vm, *cluster, sc); },
        .verify = detail::never_throwing([ctx, vm, cluster](exec::Runner& runner) {
          if (!vm_sidecar_running(providers::MultipassVm(runner, ctx.lab.instance_name(vm.name)))) return false;
          const auto items =
              ctx.snapshot->objects().items(kubectl_for(ctx, *cluster, runner), k_workload_entry, vm.namespace_);
          return items && registered_entry(*items, vm.name, "").has_value();
        }),
    });
  }
}

} // namespace meshlab::actions

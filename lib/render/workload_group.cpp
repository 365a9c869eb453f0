// What a VM needs in the cluster whose istiod it attaches to: the WorkloadGroup istiod
// auto-registers it from (istio/api networking/v1alpha3/workload_group.proto), and the
// Namespace and ServiceAccount whose token the VM's sidecar presents.
#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::render::mesh {

namespace {

Data workload_group_data(const lab::Vm& vm) {
  Data data;
  data.set("name", yaml_quote(vm.name));
  data.set("namespace", yaml_quote(vm.namespace_));
  // The app label selects the VM into its Service (and names it in telemetry): the
  // first service it runs, else the VM itself.
  data.set("app", yaml_quote(vm.services.empty() ? vm.name : vm.services.front().name));
  data.set("service_account", yaml_quote(vm.service_account));
  data.set("network", yaml_quote(vm.network));
  data.set("has_locality", !vm.locality.empty());
  data.set("locality", yaml_quote(vm.locality.str()));
  Data ports{Data::type::list};
  for (const auto& service : vm.services) {
    if (service.port < 1 || service.port > 65535)
      throw Error(
          fmt::format("vms.{}.services.{}.port: {} is not a TCP port (1..65535)", vm.name, service.name, service.port));
    Data port;
    port.set("name", yaml_quote(service.name));
    port.set("number", std::to_string(service.port));
    ports.push_back(port);
  }
  data.set("has_ports", !vm.services.empty());
  data.set("ports", ports);
  if (!vm.services.empty()) {
    // A TCP probe works for whatever the VM serves; istiod marks the WorkloadEntry
    // unhealthy (and out of load balancing) while it fails.
    Data probe;
    probe.set("port", std::to_string(vm.services.front().port));
    data.set("probe", probe);
  } else {
    data.set("probe", false);
  }
  return data;
}

} // namespace

std::vector<Artifact> vm_resources(const lab::Lab& lab, const lab::Vm& vm, const TemplateSource& templates) {
  const auto& dir = path_component(vm.name, "vms." + vm.name);
  const auto* cluster = lab.cluster(vm.cluster);
  if (cluster == nullptr)
    throw Error(fmt::format("vms.{}.cluster: {} is not declared in clusters", vm.name, yaml_quote(vm.cluster)));

  Data identity;
  identity.set("namespace", yaml_quote(vm.namespace_));
  identity.set("service_account", yaml_quote(vm.service_account));
  const auto [label, value] = injection_label(lab);
  identity.set("injection_label", yaml_quote(label));
  identity.set("injection_value", yaml_quote(value));

  std::vector<Artifact> out;
  out.push_back(
      Artifact{.path = fmt::format("vms/{}/workload-group.yaml", dir),
               .kind = "istio",
               .cluster = vm.name,
               .purpose = fmt::format("WorkloadGroup of VM {}, applied to cluster {}", vm.name, cluster->name),
               .content = render(templates, "istio/workload-group.yaml.mustache", workload_group_data(vm))});
  out.push_back(Artifact{
      .path = fmt::format("vms/{}/identity.yaml", dir),
      .kind = "istio",
      .cluster = vm.name,
      .purpose = fmt::format("Namespace and ServiceAccount of VM {}, applied to cluster {}", vm.name, cluster->name),
      .content = render(templates, "istio/vm-identity.yaml.mustache", identity)});
  return out;
}

} // namespace meshlab::render::mesh

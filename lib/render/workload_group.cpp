// What a VM needs in the cluster whose istiod it attaches to: the WorkloadGroup istiod
// auto-registers it from (istio/api networking/v1alpha3/workload_group.proto), and the
// Namespace and ServiceAccount whose token the VM's sidecar presents.
#include "render/mesh_detail.hpp"
#include "render/vm_bootstrap.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::render::mesh {

namespace {

// The VM's workload labels as a list of {key, value}: the WorkloadGroup's labels, which
// istiod copies onto the WorkloadEntry, and the selector of the VM's Services.
Data workload_label_list(const lab::Vm& vm) {
  Data labels{Data::type::list};
  for (const auto& [key, value] : vm_workload_labels(vm)) {
    Data label;
    label.set("key", yaml_quote(key));
    label.set("value", yaml_quote(value));
    labels.push_back(label);
  }
  return labels;
}

Data workload_group_data(const lab::Vm& vm) {
  Data data;
  data.set("name", yaml_quote(vm.name));
  data.set("namespace", yaml_quote(vm.namespace_));
  data.set("labels", workload_label_list(vm));
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

// One Service per VM service, named <vm>-<service>: what the mesh (and meshlab verify)
// calls to reach the workload on the VM. Its port is named like the WorkloadGroup's port, so
// the WorkloadEntry's port map sends it to the service's port on the VM.
Data service_data(const lab::Vm& vm) {
  const auto selector = workload_label_list(vm);
  Data services{Data::type::list};
  for (const auto& service : vm.services) {
    Data item;
    item.set("name", yaml_quote(fmt::format("{}-{}", vm.name, service.name)));
    item.set("namespace", yaml_quote(vm.namespace_));
    item.set("vm", yaml_quote(vm.name));
    item.set("port_name", yaml_quote(service.name));
    item.set("port", std::to_string(service.port));
    item.set("selector", selector);
    services.push_back(item);
  }
  Data data;
  data.set("services", services);
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
  if (!vm.services.empty())
    out.push_back(Artifact{
        .path = fmt::format("vms/{}/service.yaml", dir),
        .kind = "istio",
        .cluster = vm.name,
        .purpose = fmt::format("Services reaching the workloads of VM {} (<vm>-<service>), applied to cluster {}",
                               vm.name, cluster->name),
        .content = render(templates, "istio/vm-service.yaml.mustache", service_data(vm))});
  return out;
}

} // namespace meshlab::render::mesh

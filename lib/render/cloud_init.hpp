// Cloud-init user-data for the machines multipass creates: one k3s node per multipass
// cluster and one plain VM per lab VM. View models are computed here; the templates in
// templates/cloud-init/ only lay them out.
#pragma once

#include "lab/model.hpp"
#include "render/artifact.hpp"
#include "render/engine.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::render {

// Where a k3s node leaves the kubeconfig for the host: server https://<node address>:6443,
// cluster, user and context all named after the instance (`lab.instance_name(cluster)`),
// owned by `ubuntu`, mode 0600. The launch fetches it with
// `multipass exec <instance> -- cat /home/ubuntu/kubeconfig`.
inline constexpr std::string_view k_node_kubeconfig_path = "/home/ubuntu/kubeconfig";

// Replaced at boot, in /etc/rancher/k3s/registries.yaml, by the VM's default gateway:
// the host address at which a multipass VM reaches the registry caches.
inline constexpr std::string_view k_host_gateway_placeholder = "@HOST_GATEWAY@";

// Where a k3s node keeps the lab's root certificate (for reference; Istio gets its
// intermediate through the cacerts secret, never through user-data).
inline constexpr std::string_view k_node_root_cert_path = "/etc/meshlab/ca/root-cert.pem";

// CA material that goes into user-data: certificates only, never keys.
struct NodeCa {
  std::string root_cert_pem; // contents of ca/root-cert.pem
};

// The 10th address of `cidr` ("10.43.0.0/16" → "10.43.0.10"), where k3s and kubeadm put
// the cluster DNS service. Throws meshlab::Error naming `cidr` when it is not an IPv4
// CIDR or holds fewer than 11 addresses.
std::string cluster_dns_address(std::string_view cidr);

// User-data for the k3s node of multipass cluster `cluster`:
// path clusters/<cluster>/cloud-init.yaml. Throws meshlab::Error on a bad service CIDR.
Artifact render_k3s_node(const lab::Lab& lab, const lab::Cluster& cluster, const NodeCa& ca,
                         const TemplateSource& templates);

// User-data for VM `vm` (services as systemd units, extra packages, the directories
// the Istio sidecar files are copied into): path vms/<vm>/cloud-init.yaml.
// Throws meshlab::Error for a service meshlab does not know how to install.
Artifact render_vm(const lab::Lab& lab, const lab::Vm& vm, const TemplateSource& templates);

// Every user-data file of the lab: multipass clusters, then VMs, each in lab order.
std::vector<Artifact> render_cloud_init(const lab::Lab& lab, const NodeCa& ca, const TemplateSource& templates);

// Services a VM can run (`vms.<name>.services[].name`).
const std::vector<std::string>& known_vm_services();

} // namespace meshlab::render

// VMs joining the mesh (docs/vms.md): the WorkloadGroup side in the VM's cluster, then the
// VM side — what `istioctl x workload entry configure` writes plus the istio-sidecar
// package — copied in with multipass, and the `istio` service started, after which istiod
// auto-registers a WorkloadEntry for the VM.
#pragma once

#include "actions/launch_context.hpp"
#include "kube/kubectl.hpp"
#include "plan/plan.hpp"
#include "providers/multipass_vm.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::actions {

// Per lab VM, when the lab installs Istio (through Argo CD):
// vm/<vm>/mesh (needs apps/sync, and istio/<cluster>/resources when the plan has it: that
// step exposes istiod through the east-west gateway): applies the VM's Namespace and
// ServiceAccount, WorkloadGroup and Services (index.json kind "istio", cluster = the VM);
// vm/<vm>/join (needs vm/<vm>/create and vm/<vm>/mesh): bootstraps and starts the sidecar,
// then waits for the WorkloadEntry. Both take their files from index.json (kind
// "vm-bootstrap" for the VM side) and throw when the render left none. A joined VM
// (service active, token in place, WorkloadEntry present) is left alone on a later launch.
void add_vm_join_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

// Where the sidecar's files go in the VM (istio.io "Virtual Machine Installation").
inline constexpr const char* k_vm_staging_dir = "/tmp/meshlab-istio";
inline constexpr const char* k_vm_token_path = "/var/run/secrets/tokens/istio-token";
inline constexpr const char* k_eastwest_service = "istio-eastwestgateway";
// TokenRequest lifetime: the agent presents the token for its first certificate and again
// whenever it restarts; a lab lives for a day or so, and `meshlab launch` renews it (docs/vms.md).
inline constexpr const char* k_vm_token_duration = "24h";

// The host istiod is reached at from a VM: istiod[-<revision>].istio-system.svc.
std::string istiod_host(const lab::Lab& lab);
// The `hosts` line istioctl writes: "<east-west address> <istiod host>\n".
std::string vm_hosts_entry(const lab::Lab& lab, const std::string& eastwest_address);

// The address of a LoadBalancer Service object (status.loadBalancer.ingress[0].ip, else
// spec.externalIPs[0], as istioctl's createHosts); nullopt when it has none yet.
std::optional<std::string> service_address(const nlohmann::json& service);
// The host name a cloud load balancer publishes instead (status.loadBalancer.ingress[].hostname).
std::optional<std::string> service_hostname(const nlohmann::json& service);

// The WorkloadEntry istiod registered for group `group` (annotation
// istio.io/autoRegistrationGroup) at `address` (any address when empty), among `items`.
std::optional<nlohmann::json> registered_entry(const nlohmann::json& items, const std::string& group,
                                               const std::string& address);

// The shell script (run as root in the VM) that puts the staged files where the sidecar
// reads them and hands them to istio-proxy.
std::string vm_install_script();
// The shell script that replaces any earlier line for `host` in /etc/hosts with the staged
// `hosts` file, so a re-join never appends twice.
std::string vm_hosts_script(const std::string& host);

// Whether the VM still runs a bootstrapped sidecar: `istio` active and its token present
// (two read-only `multipass exec`s).
bool vm_sidecar_running(const providers::MultipassVm& vm);

} // namespace meshlab::actions

// The files `istioctl x workload entry configure` would write for a VM, rendered without a
// cluster: cluster.env, mesh.yaml and root-cert.pem under vms/<vm>/bootstrap/. The other two
// istioctl files depend on the live cluster and are made by the launch (actions/vm_join):
// `istio-token` (a TokenRequest) and `hosts` (istiod's name → the east-west gateway address).
#pragma once

#include "lab/model.hpp"
#include "render/artifact.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::render {

// The labels of a VM's WorkloadGroup (spec.metadata.labels), which istiod copies onto the
// WorkloadEntry it registers and the VM's Services select: `app` = the first service (else
// the VM) and `meshlab.dev/vm` = the VM, so a Service never selects another workload.
std::map<std::string, std::string> vm_workload_labels(const lab::Vm& vm);

// cluster.env, mesh.yaml and root-cert.pem (`root_cert_pem`, the lab root every istiod of
// the cell trusts) for each lab VM, byte for byte what istioctl 1.30 writes for the VM's
// WorkloadGroup with --autoregister against the VM's cluster as meshlab installs it (istiod
// chart values from helm_values.cpp). Throws meshlab::Error when a VM names an undeclared
// cluster or cell.
std::vector<Artifact> render_vm_bootstrap(const lab::Lab& lab, std::string_view root_cert_pem);

// What istioctl does to the pieces (exposed for tests):
// istio's shellescape.Quote: '' for empty; the value as is when it holds only the characters
// its pattern lets through (a backslash, 'w', @ % + = : , . / -); else single-quoted with
// each ' as '"'"'. (The pattern means \w but, in a Go raw string, is a backslash and a 'w', so
// nearly every value ends up quoted, as in istioctl's golden files.)
std::string shell_quote(std::string_view value);
// The order sigs.k8s.io/yaml (go-yaml v2) writes map keys in: character by character, a
// non-letter before a letter ("ISTIO_META_X" before "ISTIO_METAJSON"), runs of digits by value.
bool go_yaml_key_less(std::string_view a, std::string_view b);
// A string scalar as go-yaml v2 writes it: plain when it reads back as that string,
// "double-quoted" when plain would read as another type (true, 1, null, empty), 'single-quoted'
// when it starts with a YAML indicator or holds ": " or " #".
std::string go_yaml_string(std::string_view value);

} // namespace meshlab::render

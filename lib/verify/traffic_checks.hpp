// Checks 6–9 of `meshlab verify`: traffic really flows — across the clusters of a cell,
// between the VMs and the mesh, by locality as the lab's traffic policies say, and through
// the TLS ingress with the lab's certificates. Each sends requests through the Runner
// (kubectl exec / multipass exec + curl) or libcurl and records what decided.
#pragma once

#include "verify/check.hpp"
#include "verify/cluster_view.hpp"
#include "verify/traffic_probe.hpp"

#include <vector>

namespace meshlab::verify {

// The four checks, in the order of issue 4: cross-cluster, vm, locality, tls-ingress.
std::vector<Check> traffic_checks(const TrafficOptions& options = {});

// One result per client cluster of every cell with two or more clusters: pass when the
// answers to options.requests requests come from pods in more than one cluster.
std::vector<CheckResult> check_cross_cluster(const VerifyContext& ctx, const TrafficOptions& options);

// Per VM: the VM reaches a mesh service of its cell, and a client pod in the VM's cluster
// reaches the VM's services through the Service "<vm>-<service>".
std::vector<CheckResult> check_vm_reach(const VerifyContext& ctx, const TrafficOptions& options);

// Per failover and distribute rule of every traffic policy (see docs/verify-traffic.md).
std::vector<CheckResult> check_locality(const VerifyContext& ctx, const TrafficOptions& options);

// Per app host and target cluster: HTTPS through the cluster's istio-ingressgateway,
// verified against state_dir/ca/root-cert.pem.
std::vector<CheckResult> check_tls_ingress(const VerifyContext& ctx, const TrafficOptions& options);

} // namespace meshlab::verify

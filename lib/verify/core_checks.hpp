// Checks 1–5 of `meshlab verify`: the lab's machines, trust, control planes, gateways and
// Argo CD apps. One file per check (nodes.cpp, cacerts.cpp, istiod.cpp, eastwest.cpp,
// argocd_apps.cpp); checks.cpp lists them in report order.
#pragma once

#include "verify/check.hpp"

namespace meshlab::verify {

// 1 "nodes": every node of every cluster Ready and labelled with its locality; VMs Running.
Check nodes_check();
// 2 "cacerts": each cell cluster's cacerts chains to the lab root; workload certificates
// carry the cell's SPIFFE trust domain.
Check cacerts_check();
// 3 "istiod": istiod Available in each cell cluster and synced with every other cluster of its cell.
Check istiod_check();
// 4 "eastwest": east-west gateway Services have a LoadBalancer address (multi-network cells).
Check eastwest_check();
// 5 "argocd-apps": every Argo CD Application Synced and Healthy.
Check argocd_apps_check();

} // namespace meshlab::verify

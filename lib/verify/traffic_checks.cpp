#include "verify/traffic_checks.hpp"

namespace meshlab::verify {

std::vector<Check> traffic_checks(const TrafficOptions& options) {
  auto bind = [options](auto check) {
    return [options, check](const VerifyContext& ctx) { return check(ctx, options); };
  };
  return {
      Check{"cross-cluster", "requests from each cluster are answered by more than one cluster of its cell",
            bind(check_cross_cluster)},
      Check{"vm", "VMs reach the mesh and the mesh reaches their services", bind(check_vm_reach)},
      Check{"locality", "traffic policies keep requests local, fail over and split as written", bind(check_locality),
            Effect::disturbs},
      Check{"tls-ingress", "each lab host answers over TLS through the ingress gateway, trusted by the lab CA",
            bind(check_tls_ingress)},
  };
}

} // namespace meshlab::verify

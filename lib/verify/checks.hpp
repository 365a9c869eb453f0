// The registry of `meshlab verify`'s checks: which exist, in which order they run and
// are reported, and picking some of them by id (--check).
#pragma once

#include "verify/check.hpp"

#include <string>
#include <vector>

namespace meshlab::verify {

// Every check, in report order: nodes, cacerts, istiod, eastwest, argocd-apps, then the
// traffic checks (cross-cluster, vm, locality, tls-ingress) once they are built in.
std::vector<Check> all_checks();

// The ids of `checks`, in order (for --check's help and its error message).
std::vector<std::string> check_ids(const std::vector<Check>& checks);

// The checks of `checks` whose id is in `ids`, in `checks`' order; all of them when `ids` is
// empty. Throws UsageError naming an unknown id and listing the known ones.
std::vector<Check> select_checks(const std::vector<Check>& checks, const std::vector<std::string>& ids);

} // namespace meshlab::verify

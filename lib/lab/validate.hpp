// Checks a loaded lab as a whole: names, references between clusters, cells, VMs and
// localities, CIDRs, weights, ports, resources. Reports every problem at once.
#pragma once

#include "lab/model.hpp"
#include "util/error.hpp"

#include <vector>

namespace meshlab::lab {

// Every semantic problem in `lab`, each pointing at the value at fault; empty when valid.
std::vector<Diagnostic> validate(const Lab& lab);

// Orders diagnostics by line and column (unknown positions last), keeping the order of
// diagnostics at the same spot.
void sort_by_position(std::vector<Diagnostic>& diagnostics);

} // namespace meshlab::lab

// Writes a large, valid lab file for the benchmarks: many kind clusters grouped in cells,
// apps targeting each cell with per-cluster values, and a failover policy per cell.
#pragma once

#include <string>

namespace meshlab::bench {

struct BigLabShape {
  int clusters = 100;     // kind clusters; the first one is also the management cluster
  int cells = 10;         // clusters are spread evenly, in order, over the cells
  int apps_per_cell = 10; // each targets its cell, so every cluster gets this many apps
};

// The lab as YAML text; deterministic for a given shape. Throws std::invalid_argument when
// the shape cannot make a valid lab (no clusters, more cells than clusters, too many
// clusters for the address pools).
std::string big_lab(const BigLabShape& shape);

} // namespace meshlab::bench

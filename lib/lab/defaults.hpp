// Resolution of everything a lab file may leave out: the lab's `defaults` section and
// the built-in defaults of docs/lab-file.md, plus values derived from others (a cell's
// clusters, kind node localities, CIDRs allocated from the address pools).
#pragma once

#include "lab/model.hpp"
#include "util/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::lab {

// The `defaults` section as written: unset members were not written.
struct LabDefaults {
  struct Machine {
    std::optional<int> cpus;
    std::optional<std::string> memory;
    std::optional<std::string> disk;
    std::optional<std::string> image;
  };
  Machine cluster;
  std::optional<std::string> k3s_version;
  std::optional<std::string> kind_image;
  Machine vm;
};

// Fills every value `lab` left out. What was written is known from lab.positions (a path
// is there iff the key was written). Relative paths (stateDir, ca.rootCert, ca.rootKey,
// kubeconfig) are resolved against `lab_dir` when given. Problems that only show while
// resolving (an address pool with no room left) are appended to `diagnostics`.
void resolve_defaults(Lab& lab, const LabDefaults& defaults, const std::optional<std::filesystem::path>& lab_dir,
                      std::vector<Diagnostic>& diagnostics);

// Gives each multipass and kind cluster without podCIDR / serviceCIDR the first block of
// the lab's pools that overlaps no CIDR written anywhere in the lab nor allocated to an
// earlier cluster, walking clusters in file order (pods, then services, per cluster).
// A pool with no room left is reported; an unparsable pool is left to the validator.
void allocate_cidrs(Lab& lab, std::vector<Diagnostic>& diagnostics);

// $XDG_STATE_HOME/meshlab/<name>, else $HOME/.local/state/meshlab/<name>, else
// .meshlab/<name> (relative to the working directory) when neither is set.
std::string default_state_dir(const std::string& lab_name);

} // namespace meshlab::lab

// `meshlab status` as a library call: asks every provider, cluster and registry cache of a
// lab how it is right now, in one parallel round of short calls, and never fails on a lab
// that is partly launched, stopped or deleted.
#pragma once

#include "exec/runner.hpp"
#include "lab/model.hpp"
#include "status/report.hpp"

#include <chrono>
#include <cstddef>

namespace meshlab::status {

struct StatusOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(10)}; // per call (kubectl: --request-timeout too)
  std::size_t workers = 8;                                      // calls at once
};

// The report for `lab`, read through `runner` with meshlab's own kubeconfigs in the lab's
// state directory (external clusters before launch: the lab's kubeconfig and context).
// Every value a call could not give is unknown with the reason; nothing here throws for a
// machine that is missing, stopped or answering nonsense. Throws only Interrupted.
LabReport collect_status(const lab::Lab& lab, exec::Runner& runner, const StatusOptions& options = {});

} // namespace meshlab::status

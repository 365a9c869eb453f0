// What launch says when it ends: on failure each failed step with the end of its log and
// the log's path; on success where the lab is (clusters, contexts, addresses, Argo CD) and
// how long each phase took.
#pragma once

#include "actions/launch_context.hpp"
#include "plan/executor.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace meshlab::actions {

// Lines of a step's log the failure summary shows when the error has no command output.
inline constexpr std::size_t k_summary_log_lines = 10;

// "2 steps failed, 3 not run because of them:" and, per failed step, its error, the failing
// command with its last output lines (or the last lines of its log), and "  full log: PATH".
std::string failure_summary(const plan::ExecuteResult& result);

// "launch of lab "x" did not finish: 2 steps failed, 3 not run; run "meshlab launch" again
// to resume once the cause is fixed": the one line main prints as the error.
std::string failure_headline(const std::string& lab_name, const plan::ExecuteResult& result);

// The lab as it stands after a successful launch: each cluster with its context and API
// address (and node address when known), each VM's address, the kubeconfig the contexts are
// in, the Argo CD URL with the hint to run `meshlab argocd`, total and per-phase time.
// `report` is run_plan's report (phases and totals).
std::string success_summary(const LaunchContext& ctx, const plan::ExecuteResult& result, const nlohmann::json& report);

} // namespace meshlab::actions

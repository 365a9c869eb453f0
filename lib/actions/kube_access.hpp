// How the bring-up steps reach a lab cluster with kubectl: the kubectl for a cluster, the
// facts other steps learned about it, and reads that also work under --dry-run.
//
// Under --dry-run every command goes to exec::DryRunRunner, which answers "success, nothing
// printed". kubectl never answers a `get -o json` of an object or a list, nor an `apply`,
// with an empty stdout, so such an answer means "dry run": steps then stop waiting and use
// placeholders, and the plan still shows every command they would run.
#pragma once

#include "actions/launch_context.hpp"
#include "kube/kubectl.hpp"
#include "plan/step.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace meshlab::actions {

// Whether a command carries a secret in (stdin) or out (stdout); logs then redact it.
enum class Secrecy { plain, secret };

// A real run, or --dry-run (told by the runner's answers, see above).
enum class RunMode { real, dry_run };

// kubectl for `cluster` with meshlab's own kubeconfig and context for it (see LaunchContext).
kube::Kubectl kubectl_for(const LaunchContext& ctx, const lab::Cluster& cluster, exec::Runner& runner);

// dry_run for DryRunRunner's answer, exit status 0 and nothing on stdout (see above).
RunMode run_mode(const exec::Completed& done);

// One object read with `kubectl get KIND NAME -n NS -o json` (no --ignore-not-found, so a
// missing object and a dry run differ).
struct Lookup {
  enum class State { found, missing, unanswered };
  State state = State::missing;
  nlohmann::json object; // when found
};
// Throws CommandError when kubectl fails for another reason than NotFound (cluster
// unreachable, no such kind), meshlab::Error when it prints something that is not JSON.
Lookup lookup(const kube::Kubectl& kubectl, const std::string& kind, const std::string& name, const std::string& ns,
              Secrecy secrecy = Secrecy::plain);

// Declares, for ctx's snapshot, that a resume check reads `resource` ("secret",
// "gateway.networking.istio.io": kube/object_snapshot.hpp) in `ns` ("" cluster-scoped) on
// `cluster`, so the read that answers it also answers the other checks on that cluster.
void expect_objects(const LaunchContext& ctx, const lab::Cluster& cluster, const std::string& resource,
                    const std::string& ns);

// Object `name` of `resource` in `ns` on kubectl's cluster, as ctx's snapshot read it (the
// same answer as `lookup`, shared with the other checks). Throws what ObjectSnapshot::items
// throws.
Lookup snapshot_lookup(const LaunchContext& ctx, const kube::Kubectl& kubectl, const std::string& resource,
                       const std::string& name, const std::string& ns);

// The items of `kubectl get KINDS -n NS -o json` (KINDS may be "deployments,statefulsets");
// nullopt under --dry-run. Throws like lookup.
std::optional<nlohmann::json> list_items(const kube::Kubectl& kubectl, const std::string& kinds, const std::string& ns);

// Server-side applies `yaml` (through stdin; `secrecy` keeps it out of logs) with meshlab as
// field manager; returns which kind of run answered. Server-side also
// keeps a Secret's data out of the last-applied annotation client-side apply would write.
// Throws CommandError when kubectl fails.
RunMode apply_yaml(const kube::Kubectl& kubectl, const std::string& yaml, Secrecy secrecy = Secrecy::plain);

// Fact keys the cluster/<c>/kubeconfig step records (branch providers).
inline constexpr const char* k_fact_internal_server = "internal_server";

// The API server URL pods of other clusters (Argo CD, istiod) use to reach `cluster`: the
// internal_server fact of its cluster/<c>/kubeconfig step. Throws meshlab::Error when that
// step has not recorded it in a real run; under --dry-run a placeholder instead.
std::string internal_server(const plan::StepContext& sc, const lab::Cluster& cluster, RunMode mode);

// A SHA-256 (hex) over `parts`, each one delimited, for Step::inputs_hash.
std::string digest(const std::vector<std::string>& parts);

} // namespace meshlab::actions

// The lab's Argo CD objects and the wait for them: argocd/apps applies the rendered
// AppProjects and Applications (<state>/argocd/, see index.json) on the Argo CD cluster,
// one sync wave after the other; apps/sync polls the Applications until every one is Synced and Healthy, and otherwise
// reports each app that is not, with Argo CD's own message.
#pragma once

#include "actions/launch_context.hpp"
#include "kube/kubectl.hpp"
#include "plan/plan.hpp"
#include "util/wait.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace meshlab::actions {

// Adds argocd/apps (after argocd/install, every argocd/register/<c> and every
// cluster/<c>/cacerts, since istiod must find its CA when it first starts), which applies
// the projects and then the Applications wave by wave (sync_waves), has Argo CD refresh each
// wave (request_refresh) and waits for each wave but the last to be Synced and Healthy; and
// apps/sync, which waits for all of them. argocd/apps runs again whenever a registration
// does (a new cluster's registration records its new CA), so apps on a re-created cluster are
// synced onto it again instead of being trusted from before.
// Nothing when the lab has no Argo CD or nothing was rendered for it.
void add_apps_steps(plan::PlanBuilder& builder, const LaunchContext& ctx);

// The rendered Argo CD manifests in `state_dir`, AppProjects first (Applications name
// them), each group in path order: the files index.json lists with kind "argocd", or,
// without an index, the YAML files under argocd/projects/ and argocd/applications/.
std::vector<std::filesystem::path> argocd_manifest_files(const std::filesystem::path& state_dir);

// The annotation that orders Applications (argo-cd docs: sync waves); missing means 0.
inline constexpr const char* k_sync_wave_annotation = "argocd.argoproj.io/sync-wave";
// The annotation that asks Argo CD to refresh an Application ("normal" or "hard": also drop
// its cache of the cluster's live state); the application controller removes it once done.
inline constexpr const char* k_refresh_annotation = "argocd.argoproj.io/refresh";

// The Applications of one sync wave: their files and names.
struct SyncWave {
  int wave = 0;
  std::vector<std::filesystem::path> files;
  std::vector<std::string> names;
};

// `files` (argocd_manifest_files) grouped by the sync wave of their Applications, lowest
// wave first, each group in `files` order; files without an Application (AppProjects) lead
// the first group, so projects exist before anything names them. Never empty. Throws
// meshlab::Error naming a file that cannot be parsed, holds two waves, or has a wave that
// is not an integer.
std::vector<SyncWave> sync_waves(const std::vector<std::filesystem::path>& files);

// metadata.name of every Application in `files`. Throws meshlab::Error naming a file that
// cannot be read or parsed.
std::vector<std::string> application_names(const std::vector<std::filesystem::path>& files);

// How one Application looks to Argo CD.
struct AppHealth {
  std::string name;
  bool found = false;
  std::string sync;    // status.sync.status: Synced, OutOfSync, Unknown
  std::string health;  // status.health.status: Healthy, Progressing, Degraded, ...
  std::string phase;   // status.operationState.phase: Running, Succeeded, Failed, Error, ...
  std::string message; // conditions, health and operation messages, "; "-joined
  // k_refresh_annotation is still on it: Argo CD has not yet compared it with its cluster
  // again, so its status may describe a cluster that has since been re-created.
  bool refresh_pending = false;
  bool ok() const { return found && !refresh_pending && sync == "Synced" && health == "Healthy"; }
  // The last sync operation ended in failure: automated sync does not retry the same
  // revision, so waiting longer does not help.
  bool failed() const { return !ok() && !refresh_pending && (phase == "Failed" || phase == "Error"); }
};

// The state of each app in `names` among `items` (kubectl's Applications), in `names` order.
std::vector<AppHealth> app_health(const nlohmann::json& items, const std::vector<std::string>& names);

// "2 of 5 Argo CD applications are not Synced and Healthy:" and one line per such app:
// "  kube-01-httpbin: OutOfSync, Degraded, last sync Failed: <message>".
std::string unhealthy_report(const std::vector<AppHealth>& apps);

// `kubectl annotate applications.argoproj.io NAMES argocd.argoproj.io/refresh=hard -n argocd`:
// Argo CD compares them with their clusters' live state afresh rather than keep showing the
// status it had (Synced and Healthy even when their cluster was re-created since, empty).
void request_refresh(const kube::Kubectl& kubectl, const std::vector<std::string>& names);

// Polls `kubectl get applications -n argocd -o json` until every app in `names` is Synced
// and Healthy. Throws meshlab::Error with unhealthy_report when the deadline passes or a
// sync has failed for good; returns at once under --dry-run.
void wait_for_apps(const kube::Kubectl& kubectl, const std::vector<std::string>& names,
                   util::Clock::time_point deadline);

// Resume checks: argocd/apps is still done when every app in `names` exists in namespace
// argocd; apps/sync when every one is also Synced and Healthy. Throw when the cluster
// cannot be asked (the resume counts that as false).
// Both read the Applications through ctx's snapshot, so the two checks make one read.
bool apps_present(const LaunchContext& ctx, const kube::Kubectl& kubectl, const std::vector<std::string>& names);
bool apps_healthy(const LaunchContext& ctx, const kube::Kubectl& kubectl, const std::vector<std::string>& names);

} // namespace meshlab::actions

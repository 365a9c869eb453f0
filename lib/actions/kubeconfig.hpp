// The lab's kubeconfig and the user's: step kubeconfig/merge puts every cluster's context
// into state_dir/kubeconfig and into the user's kubeconfig (atomically, with a backup,
// recording what it added), and delete removes exactly those entries again.
#pragma once

#include "actions/launch_context.hpp"
#include "plan/plan.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::actions {

// In the state directory: the lab kubeconfig, and the record of what went into the user's.
inline constexpr std::string_view k_lab_kubeconfig = "kubeconfig";
inline constexpr std::string_view k_kubeconfig_entries = "kubeconfig-entries.json";

// One cluster's contribution to the merge.
struct KubeconfigSource {
  std::string cluster;                         // as named in the lab
  std::filesystem::path file;                  // its kubeconfig (LaunchContext::kubeconfig_for)
  std::optional<std::string> external_context; // external clusters: the context the lab names
};

struct KubeconfigMerge {
  std::filesystem::path state_dir;
  std::string lab_name;
  std::vector<KubeconfigSource> sources;
  std::filesystem::path user_kubeconfig; // kube::user_kubeconfig_path() when the plan is built
};

// What kubeconfig-entries.json holds.
struct KubeconfigRecord {
  std::filesystem::path user_kubeconfig;
  std::filesystem::path backup;
  std::vector<std::string> entries; // cluster, user and context names meshlab put there
  bool created = false;             // the file did not exist before: delete removes it when empty
};

// Adds kubeconfig/merge, after every cluster's kubeconfig step.
void add_kubeconfig_steps(plan::PlanBuilder& plan, const LaunchContext& ctx);

// The merge the step does: writes state_dir/kubeconfig from every source, then the user's
// kubeconfig with the sources' entries (external clusters whose context the user already
// has are left out), removing entries an earlier merge added that no source has any more.
// The user's file is written only when its content changes, so an up lab leaves it alone.
// Returns the record it saved. Throws meshlab::Error, leaving the user's file untouched,
// when a source is missing or a kubeconfig is not valid.
KubeconfigRecord merge_kubeconfigs(const KubeconfigMerge& merge);

// The step's check: the lab kubeconfig and the user's still hold what a merge would put there.
bool kubeconfigs_merged(const KubeconfigMerge& merge);

// The record in `state_dir`; nullopt when there is none (nothing merged yet). Throws
// meshlab::Error when it cannot be read.
std::optional<KubeconfigRecord> read_kubeconfig_record(const std::filesystem::path& state_dir);

// For delete: removes the recorded entries from the user's kubeconfig, restoring the
// backup's bytes when the result means the same as the backup (so the file is identical to
// before launch; a file launch created goes away when nothing else is in it), then removes
// the record. Nothing recorded: nothing to do. Throws
// meshlab::Error (the record is kept for the next try) when the file cannot be read or written.
void remove_kubeconfig_entries(const std::filesystem::path& state_dir);

// Throws meshlab::Error when the user's kubeconfig exists and is not a valid kubeconfig:
// launch asks before creating anything, so a broken file stops it at once.
void check_user_kubeconfig();

// Where the user's kubeconfig is backed up before this lab first changes it.
std::filesystem::path kubeconfig_backup_path(const std::filesystem::path& user_kubeconfig, std::string_view lab_name);

} // namespace meshlab::actions

#include "actions/delete.hpp"

#include "actions/external_delete.hpp"
#include "actions/kubeconfig.hpp"
#include "actions/launch.hpp"
#include "actions/machines.hpp"
#include "exec/posix_runner.hpp"
#include "lab/load.hpp"
#include "state/lock.hpp"
#include "ui/make_status.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <vector>

namespace meshlab::actions {

namespace fs = std::filesystem;

namespace {

// Everything in the state directory but ca/ (unless purged) and the lock, which goes last.
void remove_state(const fs::path& state_dir, Purge purge, std::vector<std::string>& problems) {
  std::error_code error;
  if (!fs::exists(state_dir, error)) return;
  for (const auto& entry : fs::directory_iterator(state_dir, error)) {
    const auto name = entry.path().filename().string();
    if (name == state::k_lock_file || (name == "ca" && purge == Purge::no)) continue;
    std::error_code removal;
    fs::remove_all(entry.path(), removal);
    if (removal) problems.push_back(fmt::format("cannot remove {}: {}", entry.path().string(), removal.message()));
  }
  if (error) problems.push_back(fmt::format("cannot list {}: {}", state_dir.string(), error.message()));
}

} // namespace

void delete_lab(const DeleteOptions& options, std::ostream& err) {
  const lab::Lab lab = lab::load_valid_lab(options.lab_file);
  const fs::path state_dir = lab.state_dir;
  const bool existed = fs::exists(state_dir);
  auto lock = state::LabLock::acquire(state_dir, lab.name);
  auto status = ui::make_status(err, 2);
  std::vector<std::string> problems;

  exec::PosixRunner posix;
  StepDeadlines deadlines(posix, step_timeout_from_env());
  VerboseRunner verbose(deadlines, *status);
  exec::Runner& runner = options.verbosity > 0 ? static_cast<exec::Runner&>(verbose) : deadlines;
  ProviderSet providers(runner, state_dir);
  const auto ctx = providers.context(lab);
  // Clusters meshlab does not own first, while its kubeconfigs for them are still there.
  const auto external = delete_external_objects(ctx, runner);
  for (const auto& removed : external.removed) status->info("removed " + removed);
  problems.insert(problems.end(), external.problems.begin(), external.problems.end());

  const auto machines = delete_machines(
      ctx, runner, options.registries == Registries::remove ? DeleteRegistries::yes : DeleteRegistries::no);
  for (const auto& removed : machines.removed) status->info("removed " + removed);
  problems.insert(problems.end(), machines.problems.begin(), machines.problems.end());

  try {
    remove_kubeconfig_entries(state_dir);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    problems.push_back(fmt::format("cannot remove this lab's entries from your kubeconfig: {}", e.what()));
  }
  // The record of kubeconfig entries stays while they could not be removed: the next
  // delete needs it.
  if (problems.empty()) {
    remove_state(state_dir, options.purge, problems);
  } else {
    status->warn(fmt::format("keeping {} until everything else is gone", state_dir.string()));
  }
  const bool ca_kept = options.purge == Purge::no && fs::exists(state_dir / "ca");
  if (problems.empty()) {
    lock.release();
    std::error_code ignored;
    fs::remove(state_dir / state::k_lock_file, ignored);
    if (!ca_kept) fs::remove(state_dir, ignored);
  }

  if (!problems.empty()) {
    std::string list;
    for (const auto& problem : problems) list += "\n  " + problem;
    throw Error(fmt::format("lab \"{}\" is not completely deleted; could not remove:{}", lab.name, list));
  }
  std::string done = fmt::format("lab \"{}\" {}", lab.name, existed ? "deleted" : "was not there; nothing to delete");
  if (ca_kept) done += fmt::format("; its CA stays in {} (--purge removes it)", (state_dir / "ca").string());
  if (options.registries == Registries::keep && !lab.registries.empty())
    done += "; registry caches kept (--registries removes them)";
  status->info(done);
}

} // namespace meshlab::actions

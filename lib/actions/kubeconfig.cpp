#include "actions/kubeconfig.hpp"

#include "actions/step_ids.hpp"
#include "kube/kubeconfig.hpp"
#include "net/http.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace meshlab::actions {

namespace fs = std::filesystem;

namespace {

constexpr auto k_private = fs::perms(0600);

struct Loaded {
  const KubeconfigSource* source;
  kube::Kubeconfig config;
};

std::vector<Loaded> load_sources(const KubeconfigMerge& merge) {
  std::vector<Loaded> loaded;
  for (const auto& source : merge.sources) {
    if (!fs::exists(source.file))
      throw Error(fmt::format("cluster \"{}\" has no kubeconfig yet: {} is missing", source.cluster, source.file.string()));
    loaded.push_back({&source, kube::Kubeconfig::load(source.file)});
  }
  return loaded;
}

kube::Kubeconfig lab_kubeconfig(const std::vector<Loaded>& loaded) {
  kube::Kubeconfig lab;
  for (const auto& [source, config] : loaded) lab.merge(config);
  return lab;
}

// An external cluster the user can already reach through a context of their own: adding
// it again under another name would only duplicate it.
bool user_has_it(const Loaded& loaded, const kube::Kubeconfig& user, const std::set<std::string>& ours) {
  if (!loaded.source->external_context) return false;
  const auto names = user.context_names();
  auto has = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  if (has(*loaded.source->external_context)) return true;
  const auto wanted = loaded.config.context_names();
  return !wanted.empty() && std::all_of(wanted.begin(), wanted.end(), [&](const std::string& name) {
    return has(name) && !ours.count(name);
  });
}

// The user's kubeconfig as the merge wants it, and the entry names that merge puts there.
std::pair<kube::Kubeconfig, std::vector<std::string>> merged_user_kubeconfig(const KubeconfigMerge& merge,
                                                                            const std::vector<Loaded>& loaded,
                                                                            const std::vector<std::string>& previous) {
  auto user = kube::Kubeconfig::load(merge.user_kubeconfig);
  const std::set<std::string> ours(previous.begin(), previous.end());
  std::vector<const Loaded*> wanted;
  std::set<std::string> added;
  for (const auto& item : loaded) {
    if (user_has_it(item, user, ours)) continue;
    wanted.push_back(&item);
    for (const auto& name : item.config.entry_names()) added.insert(name);
  }
  std::vector<std::string> stale;
  for (const auto& name : previous)
    if (!added.count(name)) stale.push_back(name);
  user.remove(stale);
  for (const auto* item : wanted) user.merge(item->config);
  return {std::move(user), {added.begin(), added.end()}};
}

void write_record(const fs::path& state_dir, const KubeconfigRecord& record) {
  const nlohmann::json json{{"kubeconfig", record.user_kubeconfig.string()},
                            {"backup", record.backup.string()},
                            {"entries", record.entries},
                            {"created", record.created}};
  util::write_file_atomic(state_dir / k_kubeconfig_entries, json.dump(2) + "\n", k_private);
}

std::string inputs_hash(const KubeconfigMerge& merge) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : merge.sources)
    sources.push_back({s.cluster, s.file.string(), s.external_context.value_or("")});
  return net::sha256_hex(nlohmann::json{{"user", merge.user_kubeconfig.string()}, {"sources", sources}}.dump());
}

} // namespace

fs::path kubeconfig_backup_path(const fs::path& user_kubeconfig, std::string_view lab_name) {
  return fs::path(user_kubeconfig.string() + fmt::format(".meshlab-{}.backup", lab_name));
}

std::optional<KubeconfigRecord> read_kubeconfig_record(const fs::path& state_dir) {
  const auto path = state_dir / k_kubeconfig_entries;
  if (!fs::exists(path)) return std::nullopt;
  try {
    const auto json = nlohmann::json::parse(util::read_file(path));
    return KubeconfigRecord{json.at("kubeconfig").get<std::string>(), json.at("backup").get<std::string>(),
                            json.at("entries").get<std::vector<std::string>>(), json.value("created", false)};
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{} is damaged ({}); remove this lab's contexts from your kubeconfig by hand",
                            path.string(), e.what()));
  }
}

KubeconfigRecord merge_kubeconfigs(const KubeconfigMerge& merge) {
  const auto loaded = load_sources(merge);
  util::write_file_atomic(merge.state_dir / k_lab_kubeconfig, lab_kubeconfig(loaded).dump(), k_private);

  const auto previous_record = read_kubeconfig_record(merge.state_dir);
  std::vector<std::string> previous;
  if (previous_record && previous_record->user_kubeconfig == merge.user_kubeconfig) previous = previous_record->entries;
  const auto original = kube::Kubeconfig::load(merge.user_kubeconfig);
  auto [user, added] = merged_user_kubeconfig(merge, loaded, previous);

  KubeconfigRecord record{merge.user_kubeconfig, kubeconfig_backup_path(merge.user_kubeconfig, merge.lab_name), {},
                          previous_record ? previous_record->created : !fs::exists(merge.user_kubeconfig)};
  // First touch in this lab's life: a backup left by an earlier life (kept by delete)
  // would be stale, so the next save takes a fresh one.
  if (!previous_record) fs::remove(record.backup);
  // Record before writing, so a crash in between never leaves an entry delete does not know.
  std::set<std::string> both(previous.begin(), previous.end());
  both.insert(added.begin(), added.end());
  record.entries.assign(both.begin(), both.end());
  write_record(merge.state_dir, record);
  if (!user.same_as(original)) kube::save_with_backup(user, merge.user_kubeconfig, record.backup);
  record.entries = added;
  write_record(merge.state_dir, record);
  return record;
}

bool kubeconfigs_merged(const KubeconfigMerge& merge) {
  const auto loaded = load_sources(merge);
  const auto lab_file = merge.state_dir / k_lab_kubeconfig;
  if (!fs::exists(lab_file) || !kube::Kubeconfig::load(lab_file).same_as(lab_kubeconfig(loaded))) return false;
  const auto record = read_kubeconfig_record(merge.state_dir);
  if (!record || record->user_kubeconfig != merge.user_kubeconfig) return false;
  const auto [wanted, added] = merged_user_kubeconfig(merge, loaded, record->entries);
  return added == record->entries && wanted.same_as(kube::Kubeconfig::load(merge.user_kubeconfig));
}

void remove_kubeconfig_entries(const fs::path& state_dir) {
  const auto record = read_kubeconfig_record(state_dir);
  if (!record) return;
  const auto& path = record->user_kubeconfig;
  if (fs::exists(path)) {
    auto user = kube::Kubeconfig::load(path);
    user.remove(record->entries);
    // Byte-identical when nothing else changed: the backup holds the user's own formatting.
    std::optional<std::string> restored;
    if (fs::exists(record->backup)) {
      const std::string backup = util::read_file(record->backup);
      if (user.same_as(kube::Kubeconfig::parse(backup, record->backup.string()))) restored = backup;
    }
    if (record->created && user.same_as(kube::Kubeconfig{})) {
      fs::remove(path);
    } else if (restored) {
      util::write_file_atomic(path, *restored, k_private);
    } else if (!user.same_as(kube::Kubeconfig::load(path))) {
      util::write_file_atomic(path, user.dump(), k_private);
    }
  }
  fs::remove(state_dir / k_kubeconfig_entries);
}

void check_user_kubeconfig() { kube::Kubeconfig::load(kube::user_kubeconfig_path()); }

void add_kubeconfig_steps(plan::PlanBuilder& plan, const LaunchContext& ctx) {
  KubeconfigMerge merge{ctx.state_dir, ctx.lab.name, {}, kube::user_kubeconfig_path()};
  std::vector<std::string> needs;
  for (const auto& cluster : ctx.lab.clusters) {
    std::optional<std::string> external;
    if (cluster.provider == lab::Provider::external) external = cluster.context;
    merge.sources.push_back({cluster.name, ctx.kubeconfig_for(cluster), external});
    needs.push_back(ids::cluster_kubeconfig(cluster.name));
  }
  plan.add(plan::Step{.id = ids::kubeconfig_merge(),
                      .title = "Adding the lab's contexts to " + merge.user_kubeconfig.string(),
                      .needs = std::move(needs),
                      .inputs_hash = inputs_hash(merge),
                      .run =
                          [merge](plan::StepContext& step) {
                            const auto record = merge_kubeconfigs(merge);
                            step.log << "# kubeconfig " << record.user_kubeconfig.string() << " holds "
                                     << record.entries.size() << " entries of this lab\n";
                            step.facts["kubeconfig"] = record.user_kubeconfig.string();
                          },
                      .verify = [merge](exec::Runner&) { return kubeconfigs_merged(merge); }});
}

} // namespace meshlab::actions

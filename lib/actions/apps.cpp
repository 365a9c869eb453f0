#include "actions/apps.hpp"

#include "actions/argocd.hpp"
#include "actions/kube_access.hpp"
#include "actions/rendered.hpp"
#include "actions/step_ids.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>

namespace meshlab::actions {

namespace {

namespace fs = std::filesystem;

// Istio and the apps pull images and wait for each other's sync waves.
constexpr auto k_sync_timeout = std::chrono::minutes(20);
constexpr auto k_poll = std::chrono::milliseconds(500);
// Argo CD Applications as kubectl and the resume checks name them (kube/object_snapshot.hpp).
constexpr const char* k_application_resource = "application.argoproj.io";

// Without an index (a state directory older than index.json): the two directories.
std::vector<fs::path> scanned_files(const fs::path& state_dir) {
  std::vector<fs::path> files;
  for (const char* dir : {"argocd/projects", "argocd/applications"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(state_dir / dir, ec))
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  return files;
}

std::string joined_message(const nlohmann::json& status) {
  std::vector<std::string> parts;
  const auto add = [&](const std::string& text) {
    if (!text.empty() && std::find(parts.begin(), parts.end(), text) == parts.end()) parts.push_back(text);
  };
  for (const auto& condition : status.value("conditions", nlohmann::json::array())) add(condition.value("message", ""));
  add(status.value("health", nlohmann::json::object()).value("message", ""));
  add(status.value("operationState", nlohmann::json::object()).value("message", ""));
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

// Argo CD orders sync waves only among the resources of one sync (an app of apps); meshlab
// applies the Applications itself, so it keeps their order: each wave is applied once the
// waves before it are Synced and Healthy (CRDs before the CNI agent before istiod before
// the gateways before the apps). The last wave is left to apps/sync.
void apply_in_waves(const LaunchContext& ctx, const lab::Cluster& host, const std::vector<fs::path>& files,
                    plan::StepContext& sc) {
  const auto kubectl = kubectl_for(ctx, host, sc.runner);
  const auto waves = sync_waves(files);
  const auto deadline = util::Clock::now() + k_sync_timeout;
  for (std::size_t i = 0; i < waves.size(); ++i) {
    apply_yaml(kubectl, yaml_stream_of(waves[i].files));
    request_refresh(kubectl, waves[i].names);
    if (i + 1 < waves.size()) wait_for_apps(kubectl, waves[i].names, deadline);
  }
  sc.facts["manifests"] = std::to_string(files.size());
  sc.facts["waves"] = std::to_string(waves.size());
}

int wave_of(const YAML::Node& doc, const fs::path& file) {
  const auto annotations = doc["metadata"]["annotations"];
  if (!annotations || !annotations[k_sync_wave_annotation]) return 0;
  const auto text = annotations[k_sync_wave_annotation].as<std::string>();
  try {
    std::size_t used = 0;
    const int wave = std::stoi(text, &used);
    if (used == text.size()) return wave;
  } catch (const std::exception&) {
  }
  throw Error(fmt::format("{}: annotation {} is \"{}\", not an integer", file.string(), k_sync_wave_annotation, text));
}

} // namespace

std::vector<fs::path> argocd_manifest_files(const fs::path& state_dir) {
  std::error_code ec;
  auto files = fs::is_regular_file(state_dir / "index.json", ec) ? rendered_files(state_dir, "argocd")
                                                                  : scanned_files(state_dir);
  // All under `state_dir`: the paths compare as the relative paths they end in.
  const auto projects = (state_dir / "argocd" / "projects").string() + "/";
  const auto is_project = [&projects](const fs::path& file) { return file.string().rfind(projects, 0) == 0; };
  std::stable_sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    if (is_project(a) != is_project(b)) return is_project(a);
    return a.string() < b.string();
  });
  return files;
}

std::vector<std::string> application_names(const std::vector<fs::path>& files) {
  std::vector<std::string> names;
  for (const auto& file : files) {
    try {
      for (const auto& doc : YAML::LoadAll(util::read_file(file)))
        if (doc.IsMap() && doc["kind"] && doc["kind"].as<std::string>() == "Application")
          names.push_back(doc["metadata"]["name"].as<std::string>());
    } catch (const YAML::Exception& e) {
      throw Error(fmt::format("{}: not a valid Argo CD manifest: {}", file.string(), e.what()));
    }
  }
  return names;
}

std::vector<SyncWave> sync_waves(const std::vector<fs::path>& files) {
  std::map<int, SyncWave> by_wave;
  std::vector<fs::path> projects;
  for (const auto& file : files) {
    std::optional<int> wave;
    std::vector<std::string> names;
    try {
      for (const auto& doc : YAML::LoadAll(util::read_file(file))) {
        if (!doc.IsMap() || !doc["kind"] || doc["kind"].as<std::string>() != "Application") continue;
        const int this_wave = wave_of(doc, file);
        if (wave && *wave != this_wave)
          throw Error(fmt::format("{}: holds Applications of sync waves {} and {}; keep one wave per file",
                                  file.string(), *wave, this_wave));
        wave = this_wave;
        names.push_back(doc["metadata"]["name"].as<std::string>());
      }
    } catch (const YAML::Exception& e) {
      throw Error(fmt::format("{}: not a valid Argo CD manifest: {}", file.string(), e.what()));
    }
    if (!wave) {
      projects.push_back(file);
      continue;
    }
    auto& group = by_wave[*wave];
    group.wave = *wave;
    group.files.push_back(file);
    group.names.insert(group.names.end(), names.begin(), names.end());
  }
  std::vector<SyncWave> out;
  for (auto& [wave, group] : by_wave) out.push_back(std::move(group));
  if (out.empty()) out.push_back(SyncWave{});
  out.front().files.insert(out.front().files.begin(), projects.begin(), projects.end());
  return out;
}

std::vector<AppHealth> app_health(const nlohmann::json& items, const std::vector<std::string>& names) {
  std::vector<AppHealth> out;
  for (const auto& name : names) {
    AppHealth app{.name = name};
    for (const auto& item : items) {
      const auto metadata = item.value("metadata", nlohmann::json::object());
      if (metadata.value("name", "") != name) continue;
      const auto status = item.value("status", nlohmann::json::object());
      app.found = true;
      app.refresh_pending = metadata.value("annotations", nlohmann::json::object()).contains(k_refresh_annotation);
      app.sync = status.value("sync", nlohmann::json::object()).value("status", "");
      app.health = status.value("health", nlohmann::json::object()).value("status", "");
      app.phase = status.value("operationState", nlohmann::json::object()).value("phase", "");
      app.message = joined_message(status);
    }
    out.push_back(std::move(app));
  }
  return out;
}

std::string unhealthy_report(const std::vector<AppHealth>& apps) {
  const auto bad = std::count_if(apps.begin(), apps.end(), [](const AppHealth& app) { return !app.ok(); });
  std::string out = fmt::format("{} of {} Argo CD application{} {} not Synced and Healthy:", bad, apps.size(),
                                apps.size() == 1 ? "" : "s", bad == 1 ? "is" : "are");
  for (const auto& app : apps) {
    if (app.ok()) continue;
    if (!app.found) {
      out += fmt::format("\n  {}: not found in namespace {}", app.name, k_argocd_namespace);
      continue;
    }
    std::string state = fmt::format("{}, {}", app.sync.empty() ? "no sync status" : app.sync,
                                    app.health.empty() ? "no health status" : app.health);
    if (!app.phase.empty()) state += ", last sync " + app.phase;
    if (app.refresh_pending) state += ", refresh not yet done by Argo CD";
    out += fmt::format("\n  {}: {}{}", app.name, state, app.message.empty() ? "" : ": " + app.message);
  }
  return out;
}

void request_refresh(const kube::Kubectl& kubectl, const std::vector<std::string>& names) {
  if (names.empty()) return;
  std::vector<std::string> args{"annotate", "-n", k_argocd_namespace, "--overwrite", k_application_resource};
  args.insert(args.end(), names.begin(), names.end());
  args.push_back(std::string(k_refresh_annotation) + "=hard");
  kubectl.check(args);
}

void wait_for_apps(const kube::Kubectl& kubectl, const std::vector<std::string>& names,
                   util::Clock::time_point deadline) {
  std::vector<AppHealth> apps;
  bool failed = false;
  try {
    util::wait_until(
        deadline, k_poll,
        [&] {
          const auto items = list_items(kubectl, "applications", k_argocd_namespace);
          if (!items) return true; // dry run
          apps = app_health(*items, names);
          failed = std::any_of(apps.begin(), apps.end(), [](const AppHealth& app) { return app.failed(); });
          return failed || std::all_of(apps.begin(), apps.end(), [](const AppHealth& app) { return app.ok(); });
        },
        fmt::format("the Argo CD applications on {}", kubectl.context()));
  } catch (const Interrupted&) {
    throw;
  } catch (const CommandError&) {
    throw;
  } catch (const Error& e) {
    throw Error(fmt::format("{}\n{}", e.what(), unhealthy_report(apps)));
  }
  if (failed) throw Error(unhealthy_report(apps));
}

bool apps_present(const LaunchContext& ctx, const kube::Kubectl& kubectl, const std::vector<std::string>& names) {
  const auto items = ctx.snapshot->objects().items(kubectl, k_application_resource, k_argocd_namespace);
  if (!items) return false;
  const auto apps = app_health(*items, names);
  return std::all_of(apps.begin(), apps.end(), [](const AppHealth& app) { return app.found; });
}

bool apps_healthy(const LaunchContext& ctx, const kube::Kubectl& kubectl, const std::vector<std::string>& names) {
  const auto items = ctx.snapshot->objects().items(kubectl, k_application_resource, k_argocd_namespace);
  if (!items) return false;
  const auto apps = app_health(*items, names);
  return std::all_of(apps.begin(), apps.end(), [](const AppHealth& app) { return app.ok(); });
}

void add_apps_steps(plan::PlanBuilder& builder, const LaunchContext& ctx) {
  const auto* host = argocd_cluster(ctx.lab);
  if (host == nullptr) return;
  const auto files = argocd_manifest_files(ctx.state_dir);
  if (files.empty()) return;
  std::vector<std::string> needs{ids::argocd_install()};
  for (const auto* cluster : ctx.lab.workload_clusters()) {
    needs.push_back(ids::argocd_register(cluster->name));
    needs.push_back(ids::cluster_cacerts(cluster->name));
  }
  const auto hash = files_digest(files);
  expect_objects(ctx, *host, k_application_resource, k_argocd_namespace);
  builder.add(plan::Step{
      .id = ids::argocd_apps(),
      .title = "Applying the Argo CD projects and applications, wave by wave",
      .needs = needs,
      .inputs_hash = hash,
      .run = [ctx, host, files](plan::StepContext& sc) { apply_in_waves(ctx, *host, files, sc); },
      .verify =
          [ctx, host, files](exec::Runner& runner) {
            return apps_present(ctx, kubectl_for(ctx, *host, runner), application_names(files));
          },
  });
  builder.add(plan::Step{
      .id = ids::apps_sync(),
      .title = "Waiting until every app is Synced and Healthy",
      .needs = {ids::argocd_apps()},
      .inputs_hash = hash,
      .run =
          [ctx, host, files](plan::StepContext& sc) {
            const auto names = application_names(files);
            wait_for_apps(kubectl_for(ctx, *host, sc.runner), names, util::Clock::now() + k_sync_timeout);
            sc.facts["apps"] = std::to_string(names.size());
          },
      .verify =
          [ctx, host, files](exec::Runner& runner) {
            return apps_healthy(ctx, kubectl_for(ctx, *host, runner), application_names(files));
          },
  });
}

} // namespace meshlab::actions

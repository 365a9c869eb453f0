#include "actions/apps.hpp"

#include "render/mesh.hpp"
#include "support/bringup_lab.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using namespace std::chrono_literals;
using test::Argv;

namespace {

nlohmann::json app(const std::string& name, const std::string& sync, const std::string& health,
                   const std::string& phase = "", const std::string& message = "") {
  nlohmann::json status = {{"sync", {{"status", sync}}}, {"health", {{"status", health}}}};
  if (!phase.empty()) status["operationState"] = {{"phase", phase}, {"message", message}};
  if (!message.empty()) status["conditions"] = {{{"type", "SyncError"}, {"message", message}}};
  return {{"metadata", {{"name", name}, {"namespace", "argocd"}}}, {"status", status}};
}

std::string list(const std::vector<nlohmann::json>& items) { return nlohmann::json{{"items", items}}.dump(); }

} // namespace

TEST_CASE("actions::apps") {
  test::BringupLab lab;
  const auto plan = lab.plan([](plan::PlanBuilder& builder, const actions::LaunchContext& ctx) {
    // The steps argocd/apps needs, as the other actions add them.
    for (const auto* id : {"argocd/install", "argocd/register/east", "argocd/register/west", "argocd/register/lone",
                           "cluster/east/cacerts", "cluster/west/cacerts", "cluster/lone/cacerts"})
      builder.add(plan::Step{.id = id, .title = id, .run = [](plan::StepContext&) {}});
    actions::add_apps_steps(builder, ctx);
  });
  test::RecordingRunner runner;
  runner.on_prefix(lab.kubectl("hub", {"apply"}), exec::Completed{.out = "applied\n"});
  runner.on_prefix(lab.kubectl("hub", {"annotate"}), exec::Completed{.out = "annotated\n"});
  const auto refresh = [&](std::vector<std::string> names) {
    std::vector<std::string> args{"annotate", "-n", "argocd", "--overwrite", "application.argoproj.io"};
    args.insert(args.end(), names.begin(), names.end());
    args.push_back("argocd.argoproj.io/refresh=hard");
    return lab.kubectl("hub", args);
  };
  const auto get_apps = lab.kubectl("hub", {"get", "applications", "-n", "argocd", "-o", "json"});
  const kube::Kubectl kubectl(runner, lab.state() / "kubeconfigs/hub.yaml", "bring-hub");

  SUBCASE("projects first, then applications; names read from the files") {
    const auto files = actions::argocd_manifest_files(lab.state());
    REQUIRE(files.size() == 3);
    CHECK(files[0] == lab.state() / "argocd/projects/apps.yaml");
    CHECK(files[1] == lab.state() / "argocd/applications/east-httpbin.yaml");
    CHECK(actions::application_names(files) == std::vector<std::string>{"east-httpbin", "west-httpbin"});
    std::filesystem::remove(lab.state() / "index.json"); // without an index: the directories
    CHECK(actions::argocd_manifest_files(lab.state()) == files);
  }

  SUBCASE("wave by wave: a wave is applied once the waves before it are Synced and Healthy") {
    const auto annotate = [&](const std::string& file, const std::string& wave) {
      auto text = util::read_file(lab.state() / file);
      const std::string anchor = "  namespace: argocd\n";
      text.replace(text.find(anchor), anchor.size(),
                   anchor + "  annotations:\n    argocd.argoproj.io/sync-wave: \"" + wave + "\"\n");
      util::write_file_atomic(lab.state() / file, text);
    };
    annotate("argocd/applications/east-httpbin.yaml", "-2");
    annotate("argocd/applications/west-httpbin.yaml", "0");
    const auto waves = actions::sync_waves(actions::argocd_manifest_files(lab.state()));
    REQUIRE(waves.size() == 2);
    CHECK(waves[0].wave == -2);
    CHECK(waves[0].names == std::vector<std::string>{"east-httpbin"});
    CHECK(waves[0].files.front() == lab.state() / "argocd/projects/apps.yaml"); // projects lead
    CHECK(waves[1].names == std::vector<std::string>{"west-httpbin"});

    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "OutOfSync", "Missing")})});
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "Synced", "Healthy")})});
    const auto run = test::run_step(plan, "argocd/apps", runner, {});
    CHECK(run.facts.at("waves") == "2");
    const auto calls = runner.calls();
    REQUIRE(calls.size() == 6); // apply, refresh, get, get, apply, refresh
    const auto first = test::yaml_docs(*calls[0].input);
    REQUIRE(first.size() == 2);
    CHECK(first[0]["kind"].as<std::string>() == "AppProject");
    CHECK(first[1]["metadata"]["name"].as<std::string>() == "east-httpbin");
    CHECK(calls[1].argv == refresh({"east-httpbin"}));
    CHECK(calls[2].argv == get_apps);
    CHECK(calls[3].argv == get_apps);
    const auto last = test::yaml_docs(*calls[4].input);
    REQUIRE(last.size() == 1);
    CHECK(last[0]["metadata"]["name"].as<std::string>() == "west-httpbin");
    CHECK(calls[5].argv == refresh({"west-httpbin"}));
  }

  SUBCASE("a sync wave that is not an integer is an error naming the file") {
    auto text = util::read_file(lab.state() / "argocd/applications/west-httpbin.yaml");
    text.replace(text.find("  namespace: argocd\n"), 19,
                 "  namespace: argocd\n  annotations: {argocd.argoproj.io/sync-wave: soon}");
    util::write_file_atomic(lab.state() / "argocd/applications/west-httpbin.yaml", text);
    CHECK_THROWS_WITH_AS(actions::sync_waves(actions::argocd_manifest_files(lab.state())),
                         doctest::Contains("west-httpbin.yaml: annotation argocd.argoproj.io/sync-wave is \"soon\""),
                         Error);
  }

  SUBCASE("applied after Argo CD, every registration and every CA; sync after that") {
    const auto needs = test::needs_of(plan, "argocd/apps");
    for (const auto* id : {"argocd/install", "argocd/register/east", "argocd/register/lone", "cluster/west/cacerts"})
      CHECK(std::find(needs.begin(), needs.end(), id) != needs.end());
    CHECK(test::needs_of(plan, "apps/sync") == std::vector<std::string>{"argocd/apps"});
    test::run_step(plan, "argocd/apps", runner, {});
    REQUIRE(runner.calls().size() == 2);
    CHECK(runner.argvs()[0] ==
          lab.kubectl("hub", {"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"}));
    // Argo CD is asked to look at the clusters again rather than keep showing what it last saw.
    CHECK(runner.argvs()[1] == refresh({"east-httpbin", "west-httpbin"}));
    const auto docs = test::yaml_docs(*runner.calls()[0].input);
    REQUIRE(docs.size() == 3);
    CHECK(docs[0]["kind"].as<std::string>() == "AppProject");
    CHECK(docs[1]["metadata"]["name"].as<std::string>() == "east-httpbin");
    CHECK(docs[2]["metadata"]["name"].as<std::string>() == "west-httpbin");
  }

  SUBCASE("sync waits until every app is Synced and Healthy") {
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "OutOfSync", "Missing")})});
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "Synced", "Healthy"),
                                                     app("west-httpbin", "OutOfSync", "Progressing", "Running")})});
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "Synced", "Healthy"),
                                                     app("west-httpbin", "Synced", "Healthy", "Succeeded")})});
    const auto run = test::run_step(plan, "apps/sync", runner, {});
    CHECK(runner.count(get_apps) == 3);
    CHECK(run.facts.at("apps") == "2");
  }

  SUBCASE("an app is not taken as Synced and Healthy while the refresh asked for is pending") {
    // Its status then may be about a cluster since re-created, and a failed sync may be old.
    auto stale = app("west-httpbin", "Synced", "Healthy");
    stale["metadata"]["annotations"] = {{"argocd.argoproj.io/refresh", "hard"}};
    auto stale_failure = app("east-httpbin", "OutOfSync", "Degraded", "Failed", "boom");
    stale_failure["metadata"]["annotations"] = stale["metadata"]["annotations"];
    runner.on(get_apps, exec::Completed{.out = list({stale_failure, stale})});
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "OutOfSync", "Missing"),
                                                     app("west-httpbin", "OutOfSync", "Missing")})});
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "Synced", "Healthy"),
                                                     app("west-httpbin", "Synced", "Healthy")})});
    test::run_step(plan, "apps/sync", runner, {});
    CHECK(runner.count(get_apps) == 3);
    const auto health = actions::app_health(nlohmann::json::array({stale}), {"west-httpbin"});
    CHECK(health[0].refresh_pending);
    CHECK_FALSE(health[0].ok());
    CHECK(actions::unhealthy_report(health) ==
          "1 of 1 Argo CD application is not Synced and Healthy:\n"
          "  west-httpbin: Synced, Healthy, refresh not yet done by Argo CD");
  }

  SUBCASE("a Degraded app whose sync failed is reported at once, with Argo CD's message") {
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "Synced", "Healthy"),
                                                     app("west-httpbin", "OutOfSync", "Degraded", "Failed",
                                                         "one or more objects failed to apply: boom")})});
    CHECK_THROWS_WITH_AS(test::run_step(plan, "apps/sync", runner, {}),
                         "1 of 2 Argo CD applications is not Synced and Healthy:\n"
                         "  west-httpbin: OutOfSync, Degraded, last sync Failed: one or more objects failed to "
                         "apply: boom",
                         Error);
    CHECK(runner.count(get_apps) == 1);
  }

  SUBCASE("on timeout every app that is not ready is listed, also a missing one") {
    runner.on(get_apps, exec::Completed{.out = list({app("east-httpbin", "Synced", "Progressing", "Running",
                                                         "waiting for healthy state of apps/Deployment/httpbin")})});
    try {
      actions::wait_for_apps(kubectl, {"east-httpbin", "west-httpbin"}, util::Clock::now() + 300ms);
      FAIL("no timeout");
    } catch (const Error& e) {
      const std::string message = e.what();
      CAPTURE(message);
      CHECK(message.find("timed out after") == 0);
      CHECK(message.find("2 of 2 Argo CD applications are not Synced and Healthy:") != std::string::npos);
      CHECK(message.find("  east-httpbin: Synced, Progressing, last sync Running: waiting for healthy state of "
                         "apps/Deployment/httpbin") != std::string::npos);
      CHECK(message.find("  west-httpbin: not found in namespace argocd") != std::string::npos);
    }
  }

  SUBCASE("health is read from status fields, messages deduplicated") {
    auto item = app("a", "OutOfSync", "Degraded", "Error", "same");
    item["status"]["health"]["message"] = "same";
    const auto health = actions::app_health(nlohmann::json::array({item}), {"a"});
    REQUIRE(health.size() == 1);
    CHECK(health[0].message == "same");
    CHECK(health[0].failed());
    CHECK_FALSE(health[0].ok());
  }

  SUBCASE("no Argo CD, no steps") {
    test::BringupLab bare("", "{provider: kind, role: management}");
    auto lab_copy = bare.lab();
    lab_copy.argocd.enabled = false;
    plan::PlanBuilder builder;
    actions::add_apps_steps(builder, actions::LaunchContext{lab_copy, bare.state(), {}});
    CHECK_FALSE(builder.contains("argocd/apps"));
  }
}

TEST_CASE("actions::apps with the rendered manifests of the example labs") {
  for (const auto* name : {"ci-smoke", "kind-locality", "multi-primary", "stamps"}) {
    CAPTURE(name);
    const auto lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/" + name + ".yaml");
    test::TempDir state;
    std::size_t applications = 0;
    for (const auto& artifact : render::render_mesh(lab, render::TemplateSource{})) {
      if (artifact.kind != "argocd") continue;
      util::write_file_atomic(state / artifact.path, artifact.content);
      applications += artifact.path.rfind("argocd/applications/", 0) == 0 ? 1 : 0;
    }
    const auto files = actions::argocd_manifest_files(state.path());
    REQUIRE(!files.empty());
    CHECK(files.front().parent_path().filename() == "projects");
    const auto names = actions::application_names(files);
    CHECK(names.size() == applications);
    // Each app's destination is a cluster argocd/register/<c> registers under that name.
    for (const auto& file : files) {
      const auto doc = YAML::LoadFile(file.string());
      if (doc["kind"].as<std::string>() != "Application") continue;
      const auto destination = doc["spec"]["destination"]["name"].as<std::string>();
      bool registered = false;
      for (const auto* cluster : lab.workload_clusters())
        registered = registered || lab.instance_name(cluster->name) == destination;
      CHECK(registered);
    }
  }
}

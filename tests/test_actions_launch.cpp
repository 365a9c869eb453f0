#include "actions/launch.hpp"
#include "actions/launch_summary.hpp"
#include "actions/step_ids.hpp"
#include "exec/check.hpp"
#include "lab/load.hpp"
#include "state/journal.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "ui/plain_status.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <sstream>
#include <thread>

using namespace meshlab;
using namespace std::chrono_literals;
using plan::StepStatus;
using test::RecordingRunner;

namespace {

// Stand-ins for the real steps: each runs "do <id>" through exec::check, so a scripted
// non-zero exit fails it the way a real command would.
plan::Plan stand_in_plan() {
  plan::PlanBuilder builder;
  auto add = [&](std::string id, std::vector<std::string> needs) {
    builder.add(plan::Step{.id = id, .title = "Doing " + id, .needs = std::move(needs), .inputs_hash = "1",
                           .run = [id](plan::StepContext& ctx) {
                             ctx.log << "working on " << id << "\n";
                             exec::check(ctx.runner, exec::Command{.argv = {"do", id}});
                             ctx.facts["done"] = id;
                           }});
  };
  add("registry/docker.io", {});
  add("cluster/one/create", {"registry/docker.io"});
  add("cluster/two/create", {"registry/docker.io"});
  add("cluster/one/kubeconfig", {"cluster/one/create"});
  add("cluster/two/kubeconfig", {"cluster/two/create"});
  add("apps/sync", {"cluster/one/kubeconfig", "cluster/two/kubeconfig"});
  return builder.build();
}

std::size_t ran(RecordingRunner& runner) { return runner.count({"do"}); }

} // namespace

TEST_CASE("actions::run_plan") {
  test::TempDir dir;
  const actions::RunSettings settings{dir / "state", "ci-smoke", 2};
  std::ostringstream progress;
  ui::PlainStatus status(progress);
  const auto plan = stand_in_plan();

  SUBCASE("a run writes logs, the journal and report.json; the next run resumes everything") {
    RecordingRunner runner;
    const auto first = actions::run_plan(plan, runner, status, settings);
    CHECK(first.result.ok());
    CHECK(ran(runner) == 6);
    CHECK(util::read_file(dir / "state" / "logs" / "cluster" / "one" / "create.log").find("working on cluster/one/create") !=
          std::string::npos);
    CHECK(state::Journal::load(dir / "state" / "journal.json").entries().size() == 6);
    const auto report = nlohmann::json::parse(util::read_file(dir / "state" / "report.json"));
    CHECK(report == first.report);
    CHECK(report["lab"] == "ci-smoke");
    CHECK(report["ok"] == true);
    CHECK(report["totals"]["done"] == 6);
    CHECK(report["steps"][5]["id"] == "apps/sync");
    CHECK(report["steps"][5]["commands"] == nlohmann::json{"do apps/sync"});

    RecordingRunner again;
    const auto second = actions::run_plan(plan, again, status, settings);
    CHECK(second.result.ok());
    CHECK(ran(again) == 0);
    CHECK(second.report["totals"]["skipped_done"] == 6);
    CHECK(second.report["totals"]["wall_ms"].get<long>() >= second.report["totals"]["checks_ms"].get<long>());
  }

  SUBCASE("a failed step: the others finish, the summary quotes it, and the next run retries only it") {
    RecordingRunner runner;
    runner.on({"do", "cluster/two/create"}, {.exit_code = 2, .err = "launch failed: Remote \"\" is unknown"});
    const auto outcome = actions::run_plan(plan, runner, status, settings);
    CHECK_FALSE(outcome.result.ok());
    CHECK(outcome.result.find("cluster/one/kubeconfig")->status == StepStatus::done);
    CHECK(outcome.result.find("cluster/two/kubeconfig")->status == StepStatus::skipped_dependency_failed);
    CHECK(outcome.report["ok"] == false);

    const auto summary = actions::failure_summary(outcome.result);
    CAPTURE(summary);
    CHECK(summary.find("1 step failed, 2 not run because of it:") != std::string::npos);
    CHECK(summary.find(" ✗ step cluster/two/create failed: do exited with status 2") != std::string::npos);
    CHECK(summary.find("launch failed: Remote \"\" is unknown") != std::string::npos);
    CHECK(summary.find("full log: " + (dir / "state" / "logs" / "cluster" / "two" / "create.log").string()) !=
          std::string::npos);
    CHECK(actions::failure_headline("ci-smoke", outcome.result) ==
          "launch of lab \"ci-smoke\" did not finish: 1 step failed, 2 not run; run \"meshlab launch\" again to "
          "resume once the cause is fixed");

    RecordingRunner retry;
    CHECK(actions::run_plan(plan, retry, status, settings).result.ok());
    CHECK(retry.calls().size() == 3);
    CHECK(retry.argvs() == std::vector<test::Argv>{{"do", "cluster/two/create"},
                                                   {"do", "cluster/two/kubeconfig"},
                                                   {"do", "apps/sync"}});
  }

  SUBCASE("control characters in quoted tool output cannot reach the terminal") {
    plan::PlanBuilder builder;
    builder.add(plan::Step{.id = "cluster/one/create", .title = "C", .run = [](plan::StepContext&) {
                             throw Error("unexpected output from `kind get clusters`: \"\x1b[31mjunk\"");
                           }});
    RecordingRunner runner;
    const auto summary = actions::failure_summary(actions::run_plan(builder.build(), runner, status, settings).result);
    CHECK(summary.find('\x1b') == std::string::npos);
    CHECK(summary.find("\"\\x1b[31mjunk\"") != std::string::npos);
  }

  SUBCASE("a step that fails without a command shows the end of its log") {
    plan::PlanBuilder builder;
    builder.add(plan::Step{.id = "argocd/install", .title = "Installing Argo CD", .run = [](plan::StepContext& ctx) {
                             for (int i = 1; i <= 15; ++i) ctx.log << "line " << i << "\n";
                             throw Error("timed out after 300s waiting for argocd-server");
                           }});
    RecordingRunner runner;
    const auto outcome = actions::run_plan(builder.build(), runner, status, settings);
    const auto summary = actions::failure_summary(outcome.result);
    CAPTURE(summary);
    CHECK(summary.find(" ✗ step argocd/install failed: timed out after 300s waiting for argocd-server\n"
                       "  log (last lines):\n") != std::string::npos);
    CHECK(summary.find("    line 15\n") != std::string::npos);
    CHECK(summary.find("    line 6\n") != std::string::npos);
    CHECK(summary.find("    line 5\n") == std::string::npos);
    CHECK(summary.find("waiting for argocd-server\n  full log:") == std::string::npos); // not twice
  }
}

TEST_CASE("actions::StepDeadlines") {
  std::ostringstream progress;
  ui::PlainStatus status(progress);

  SUBCASE("commands of a step get at most what is left of its time, and nothing once it is gone") {
    RecordingRunner inner;
    inner.on({"slow"}, [](const exec::Command&) {
      std::this_thread::sleep_for(120ms);
      return exec::Completed{};
    });
    actions::StepDeadlines deadlines(inner, 100ms);
    plan::PlanBuilder builder;
    builder.add(plan::Step{.id = "s", .title = "S", .run = [](plan::StepContext& ctx) {
                             ctx.runner.run(exec::Command{.argv = {"slow"}});
                             ctx.runner.run(exec::Command{.argv = {"never"}});
                           }});
    plan::ExecuteOptions options;
    const auto result = plan::execute(deadlines.apply(builder.build()), deadlines, status, options);
    REQUIRE(result.steps.size() == 1);
    CHECK(result.steps[0].status == StepStatus::failed);
    CHECK(result.steps[0].error == "step s failed: the step ran out of its time limit (0.1s) before never could start");
    REQUIRE(inner.calls().size() == 1);
    CHECK(inner.calls()[0].timeout <= 100ms);
  }

  SUBCASE("a command without a log sink run during a step goes to the step's log") {
    RecordingRunner inner;
    actions::StepDeadlines deadlines(inner, 10s);
    std::ostream* seen = nullptr;
    plan::PlanBuilder builder;
    builder.add(plan::Step{.id = "s", .title = "S", .run = [&](plan::StepContext& ctx) {
                             seen = &ctx.log;
                             deadlines.run(exec::Command{.argv = {"kind", "get", "clusters"}}); // a provider's runner
                           }});
    plan::ExecuteOptions options;
    plan::execute(deadlines.apply(builder.build()), deadlines, status, options);
    REQUIRE(inner.calls().size() == 1);
    CHECK(inner.calls()[0].log == seen);
    deadlines.run(exec::Command{.argv = {"outside"}});
    CHECK(inner.calls()[1].log == nullptr);
  }

  SUBCASE("outside a step (verify checks) each command is capped at the step limit") {
    RecordingRunner inner;
    actions::StepDeadlines deadlines(inner, 2s);
    deadlines.run(exec::Command{.argv = {"multipass", "list"}, .timeout = 300s});
    deadlines.run(exec::Command{.argv = {"kind", "get", "clusters"}, .timeout = 1s});
    CHECK(inner.calls()[0].timeout == 2s);
    CHECK(inner.calls()[1].timeout == 1s);
  }

  SUBCASE("MESHLAB_STEP_TIMEOUT") {
    ::unsetenv("MESHLAB_STEP_TIMEOUT");
    CHECK(actions::step_timeout_from_env() == actions::k_default_step_timeout);
    ::setenv("MESHLAB_STEP_TIMEOUT", "2", 1);
    CHECK(actions::step_timeout_from_env() == 2s);
    ::setenv("MESHLAB_STEP_TIMEOUT", "0.25", 1);
    CHECK(actions::step_timeout_from_env() == 250ms);
    for (const char* bad : {"0", "-3", "soon", "5s"}) {
      ::setenv("MESHLAB_STEP_TIMEOUT", bad, 1);
      CHECK_THROWS_WITH_AS(actions::step_timeout_from_env(),
                           (std::string("MESHLAB_STEP_TIMEOUT: \"") + bad + "\" is not a positive number of seconds").c_str(),
                           Error);
    }
    ::unsetenv("MESHLAB_STEP_TIMEOUT");
  }
}

TEST_CASE("actions::success_summary") {
  test::TempDir dir;
  const auto lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/ci-smoke.yaml");
  const actions::LaunchContext ctx{lab, dir / "state", nullptr};
  plan::ExecuteResult result;
  auto done = [&](std::string id, plan::Facts facts, StepStatus status = StepStatus::done) {
    plan::StepResult step{id, id, status};
    step.facts = std::move(facts);
    result.steps.push_back(step);
  };
  done(actions::ids::cluster_kubeconfig("one"), {{"context", "ci-smoke-one"}, {"server", "https://127.0.0.1:40001"}});
  done(actions::ids::cluster_kubeconfig("two"), {{"context", "ci-smoke-two"}, {"server", "https://127.0.0.1:40002"}},
       StepStatus::skipped_done);
  done(actions::ids::kubeconfig_merge(), {{"kubeconfig", "/home/u/.kube/config"}});
  done(actions::ids::argocd_install(), {{"url", "https://127.0.20.1"}});
  const nlohmann::json report{{"totals", {{"wall_ms", 95000}}},
                              {"phases", {{{"phase", "cluster"}, {"wall_ms", 61000}}, {{"phase", "argocd"}, {"wall_ms", 30000}}}}};
  const auto text = actions::success_summary(ctx, result, report);
  CAPTURE(text);
  CHECK(text.find("lab \"ci-smoke\" is up: 4 steps (1 already done) in 1m35s\n") != std::string::npos);
  CHECK(text.find("  cluster one      context ci-smoke-one  https://127.0.0.1:40001\n") != std::string::npos);
  CHECK(text.find("  cluster two      context ci-smoke-two  https://127.0.0.1:40002\n") != std::string::npos);
  CHECK(text.find("  contexts are in /home/u/.kube/config (and " + (dir / "state" / "kubeconfig").string() + ")\n") !=
        std::string::npos);
  CHECK(text.find("  Argo CD: https://127.0.20.1; run `meshlab argocd` for the password\n") != std::string::npos);
  CHECK(text.find("  time: 1m35s in all; cluster 1m01s, argocd 30s\n") != std::string::npos);
}

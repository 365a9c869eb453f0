#include "plan/executor.hpp"
#include "state/resume.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "ui/plain_status.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <sstream>
#include <thread>

using namespace meshlab;
using plan::StepContext;
using plan::StepStatus;
using test::Argv;
using test::RecordingRunner;

namespace {

struct StepSpec {
  std::string id;
  std::vector<std::string> needs;
  std::string inputs = "v1";
  std::function<bool(exec::Runner&)> verify = nullptr;
};

// Each step runs "do <id>" and learns {"by": <id>, "from": <facts of its needs>}, so a
// test sees both what ran and which facts reached whom.
plan::Plan make_plan(const std::vector<StepSpec>& specs) {
  plan::PlanBuilder builder;
  for (const auto& spec : specs) {
    builder.add(plan::Step{
        .id = spec.id,
        .title = "Doing " + spec.id,
        .needs = spec.needs,
        .inputs_hash = spec.inputs,
        .run =
            [id = spec.id, needs = spec.needs](StepContext& ctx) {
              const auto done = ctx.runner.run(exec::Command{.argv = {"do", id}});
              std::string from;
              for (const auto& need : needs) from += ctx.earlier.at(need).at("by") + ",";
              ctx.facts = {{"by", id}, {"from", from}, {"out", done.out}};
            },
        .verify = spec.verify});
  }
  return builder.build();
}

// One launch: a fresh journal object loaded from disk, as a new meshlab process would.
struct Launch {
  plan::ExecuteResult result;
  std::vector<Argv> argvs;
  std::string check_log;
};

Launch launch(const plan::Plan& plan, const std::filesystem::path& journal_path, RecordingRunner& runner) {
  auto journal = state::Journal::load(journal_path);
  std::ostringstream progress, check_log;
  ui::PlainStatus status(progress);
  state::Resume resume(journal, plan, runner, &check_log);
  plan::ExecuteOptions options;
  options.jobs = 3;
  resume.attach(options);
  Launch launched;
  launched.result = plan::execute(plan, runner, status, options);
  launched.argvs = runner.argvs();
  launched.check_log = check_log.str();
  return launched;
}

std::vector<std::string> ran(const Launch& launched) {
  std::vector<std::string> ids;
  for (const auto& argv : launched.argvs)
    if (argv.size() == 2 && argv[0] == "do") ids.push_back(argv[1]);
  std::sort(ids.begin(), ids.end());
  return ids;
}

StepStatus status_of(const Launch& launched, const std::string& id) {
  const auto* step = launched.result.find(id);
  REQUIRE(step != nullptr);
  return step->status;
}

//   registry    vm/db ─────────┐
//   cluster/east ── cacerts/east ── apps
//   cluster/west ── cacerts/west ──┘
std::vector<StepSpec> lab_steps() {
  return {{"registry", {}},
          {"vm/db", {}},
          {"cluster/east", {"registry"}},
          {"cluster/west", {"registry"}},
          {"cacerts/east", {"cluster/east"}},
          {"cacerts/west", {"cluster/west"}},
          {"apps", {"cacerts/east", "cacerts/west", "vm/db"}}};
}

} // namespace

TEST_CASE("state::Resume") {
  test::TempDir dir;
  const auto journal_path = dir / "journal.json";

  SUBCASE("a second launch of an unchanged plan runs nothing and hands on the recorded facts") {
    const auto plan = make_plan(lab_steps());
    RecordingRunner first_runner;
    first_runner.on({"do", "vm/db"}, {.out = "127.0.10.5"});
    const auto first = launch(plan, journal_path, first_runner);
    REQUIRE(first.result.ok());
    CHECK(ran(first).size() == 7);
    CHECK(state::Journal::load(journal_path).entries().size() == 7);

    RecordingRunner second_runner;
    const auto second = launch(plan, journal_path, second_runner);
    CHECK(second.result.ok());
    CHECK(second.argvs.empty());
    for (const auto& step : second.result.steps) CHECK(step.status == StepStatus::skipped_done);
    CHECK(second.result.find("vm/db")->facts.at("out") == "127.0.10.5");
    CHECK(second.result.find("apps")->facts.at("from") == "cacerts/east,cacerts/west,vm/db,");
  }

  SUBCASE("changed inputs re-run exactly that step and what depends on it") {
    RecordingRunner first_runner;
    REQUIRE(launch(make_plan(lab_steps()), journal_path, first_runner).result.ok());

    auto changed = lab_steps();
    changed[3].inputs = "v2"; // cluster/west
    RecordingRunner runner;
    const auto second = launch(make_plan(changed), journal_path, runner);
    CHECK(second.result.ok());
    CHECK(ran(second) == std::vector<std::string>{"apps", "cacerts/west", "cluster/west"});
    CHECK(status_of(second, "cluster/east") == StepStatus::skipped_done);
    CHECK(status_of(second, "registry") == StepStatus::skipped_done);

    RecordingRunner third_runner; // and the journal now knows the new inputs
    CHECK(launch(make_plan(changed), journal_path, third_runner).argvs.empty());
  }

  SUBCASE("a step that joins the plan runs, with everything after it") {
    RecordingRunner first_runner;
    REQUIRE(launch(make_plan(lab_steps()), journal_path, first_runner).result.ok());
    auto grown = lab_steps();
    grown.insert(grown.begin() + 4, StepSpec{"kubeconfig", {"cluster/east", "cluster/west"}});
    grown.back().needs.push_back("kubeconfig");
    RecordingRunner runner;
    const auto second = launch(make_plan(grown), journal_path, runner);
    CHECK(ran(second) == std::vector<std::string>{"apps", "kubeconfig"});
  }

  SUBCASE("a check that says the world changed re-runs the step; same facts spare its dependents") {
    auto specs = lab_steps();
    bool vm_running = true;
    specs[1].verify = [&](exec::Runner& runner) {
      runner.run(exec::Command{.argv = {"multipass", "info", "db"}});
      return vm_running;
    };
    const auto plan = make_plan(specs);
    RecordingRunner first_runner;
    REQUIRE(launch(plan, journal_path, first_runner).result.ok());

    RecordingRunner still_there;
    const auto unchanged = launch(plan, journal_path, still_there);
    CHECK(unchanged.argvs == std::vector<Argv>{{"multipass", "info", "db"}}); // only the cheap check
    CHECK(unchanged.check_log.find("# check vm/db\n") != std::string::npos);
    CHECK(still_there.calls().front().log != nullptr); // check commands are logged, not lost
    CHECK(unchanged.check_log.find("still done") != std::string::npos);

    vm_running = false;
    RecordingRunner gone;
    const auto recreated = launch(plan, journal_path, gone);
    CHECK(ran(recreated) == std::vector<std::string>{"vm/db"});
    CHECK(recreated.check_log.find("needs to run again") != std::string::npos);
  }

  SUBCASE("a re-run that learns something new re-runs the steps that need it") {
    auto specs = lab_steps();
    bool vm_running = true;
    specs[1].verify = [&](exec::Runner&) { return vm_running; };
    const auto plan = make_plan(specs);
    RecordingRunner first_runner;
    first_runner.on({"do", "vm/db"}, {.out = "127.0.10.5"});
    REQUIRE(launch(plan, journal_path, first_runner).result.ok());

    vm_running = false;
    RecordingRunner runner;
    runner.on({"do", "vm/db"}, {.out = "127.0.10.9"}); // a new address
    const auto second = launch(plan, journal_path, runner);
    CHECK(ran(second) == std::vector<std::string>{"apps", "vm/db"});
  }

  SUBCASE("a check's commands may run side by side; each one's log stays whole") {
    // Writes its command's log in pieces, with pauses, as a runner streaming output does.
    struct PiecemealLogger : exec::Runner {
      exec::Completed run(const exec::Command& cmd) override {
        for (const auto& arg : cmd.argv) {
          *cmd.log << arg << ' ';
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        *cmd.log << "done\n";
        return {};
      }
    };
    auto specs = lab_steps();
    specs[0].verify = [](exec::Runner& runner) { // one read per kind node, side by side
      std::thread other([&runner] { runner.run(exec::Command{.argv = {"docker", "exec", "node-a", "cat", "f"}}); });
      runner.run(exec::Command{.argv = {"docker", "exec", "node-b", "cat", "f"}});
      other.join();
      return true;
    };
    const auto plan = make_plan(specs);
    RecordingRunner first_runner;
    REQUIRE(launch(plan, journal_path, first_runner).result.ok());
    auto journal = state::Journal::load(journal_path);
    std::ostringstream check_log;
    PiecemealLogger checks;
    state::Resume resume(journal, plan, checks, &check_log);
    CHECK(resume.should_skip(*plan.find("registry")));
    const auto log = check_log.str();
    CHECK(log.find("docker exec node-a cat f done\n") != std::string::npos);
    CHECK(log.find("docker exec node-b cat f done\n") != std::string::npos);
  }

  SUBCASE("a check that throws counts as changed, and says why in the check log") {
    auto specs = lab_steps();
    specs[0].verify = [](exec::Runner&) -> bool { throw Error("docker: corrupt output"); };
    const auto plan = make_plan(specs);
    RecordingRunner first_runner;
    REQUIRE(launch(plan, journal_path, first_runner).result.ok());
    RecordingRunner runner;
    const auto second = launch(plan, journal_path, runner);
    CHECK(ran(second) == std::vector<std::string>{"registry"}); // same facts: dependents stay done
    CHECK(second.check_log.find("the check failed, so the step runs again: docker: corrupt output") !=
          std::string::npos);
  }

  SUBCASE("a failed step is forgotten; the next launch retries it and its dependents only") {
    const auto plan = make_plan(lab_steps());
    RecordingRunner first_runner;
    REQUIRE(launch(plan, journal_path, first_runner).result.ok());

    auto changed = lab_steps();
    changed[4].inputs = "v2"; // cacerts/east
    const auto changed_plan = make_plan(changed);
    RecordingRunner failing;
    plan::PlanBuilder builder; // the same plan, with cacerts/east failing

    for (auto step : changed_plan.steps()) {
      if (step.id == "cacerts/east") step.run = [](StepContext&) { throw Error("kubectl exited with status 1"); };
      builder.add(std::move(step));
    }
    const auto broken = launch(builder.build(), journal_path, failing);
    CHECK(status_of(broken, "cacerts/east") == StepStatus::failed);
    CHECK(status_of(broken, "apps") == StepStatus::skipped_dependency_failed);
    CHECK(state::Journal::load(journal_path).find("cacerts/east") == nullptr);

    RecordingRunner retry;
    const auto fixed = launch(changed_plan, journal_path, retry);
    CHECK(fixed.result.ok());
    CHECK(ran(fixed) == std::vector<std::string>{"apps", "cacerts/east"});
  }

  SUBCASE("the journal is on disk after every step, before the next one starts") {
    plan::PlanBuilder builder;
    builder.add(plan::Step{.id = "a", .title = "A", .inputs_hash = "1", .run = [](StepContext&) {}});
    std::vector<std::string> seen;
    builder.add(plan::Step{.id = "b", .title = "B", .needs = {"a"}, .run = [&](StepContext&) {
                             const auto on_disk = state::Journal::load(journal_path);
                             for (const auto& e : on_disk.entries()) seen.push_back(e.id);
                             throw Interrupted();
                           }});
    RecordingRunner runner;
    const auto launched = launch(builder.build(), journal_path, runner);
    CHECK(seen == std::vector<std::string>{"a"});
    CHECK(status_of(launched, "b") == StepStatus::interrupted);
    const auto journal = state::Journal::load(journal_path);
    CHECK(journal.find("a") != nullptr);
    CHECK(journal.find("b") == nullptr);
  }

  SUBCASE("chained hashes differ when anything upstream differs") {
    const auto base = state::chained_hashes(make_plan(lab_steps()));
    auto changed = lab_steps();
    changed[0].inputs = "v2"; // registry
    const auto after = state::chained_hashes(make_plan(changed));
    CHECK(base.at("vm/db") == after.at("vm/db"));
    CHECK(base.at("registry") != after.at("registry"));
    CHECK(base.at("cluster/east") != after.at("cluster/east"));
    CHECK(base.at("apps") != after.at("apps"));
    CHECK(base.at("apps").size() == 64);
  }
}

TEST_CASE("state::Resume::precheck") {
  test::TempDir dir;
  const auto journal_path = dir / "journal.json";
  std::atomic<int> checks{0};
  std::atomic<bool> db_running{true};
  auto specs = lab_steps();
  for (auto& spec : specs) {
    spec.verify = [&, id = spec.id](exec::Runner&) {
      ++checks;
      return id != "vm/db" || db_running.load();
    };
  }
  const auto plan = make_plan(specs);
  RecordingRunner first_runner;
  REQUIRE(launch(plan, journal_path, first_runner).result.ok());
  checks = 0;

  auto launch_prechecked = [&](RecordingRunner& runner) {
    auto journal = state::Journal::load(journal_path);
    std::ostringstream progress;
    ui::PlainStatus status(progress);
    state::Resume resume(journal, plan, runner);
    resume.precheck(8);
    const int after_precheck = checks;
    plan::ExecuteOptions options;
    resume.attach(options);
    Launch launched;
    launched.result = plan::execute(plan, runner, status, options);
    launched.argvs = runner.argvs();
    return std::pair{launched, after_precheck};
  };

  SUBCASE("on an up lab every step is checked once, all before the plan starts") {
    RecordingRunner runner;
    const auto [launched, after_precheck] = launch_prechecked(runner);
    CHECK(launched.argvs.empty());
    CHECK(after_precheck == 7);
    CHECK(checks == 7);
  }

  SUBCASE("a step whose need re-ran is checked again, against the world as it is now") {
    db_running = false;
    RecordingRunner runner;
    const auto [launched, after_precheck] = launch_prechecked(runner);
    CHECK(after_precheck == 7);
    CHECK(ran(launched) == std::vector<std::string>{"vm/db"}); // same facts: apps stays done
    CHECK(checks == 8); // apps was checked again after vm/db re-ran
  }
}

#include "exec/check.hpp"
#include "plan/executor.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "ui/plain_status.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/interrupt.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <sstream>

using namespace meshlab;
using namespace std::chrono_literals;
using plan::StepContext;
using plan::StepStatus;
using test::Argv;
using test::RecordingRunner;

namespace {

// Runs "do <id>" through the step's runner: the recorded order is the execution order.
plan::Step step(const std::string& id, std::vector<std::string> needs = {},
                std::function<void(StepContext&)> run = nullptr) {
  if (!run) run = [id](StepContext& ctx) { ctx.runner.run(exec::Command{.argv = {"do", id}}); };
  return plan::Step{.id = id, .title = "Doing " + id, .needs = std::move(needs), .run = std::move(run)};
}

plan::Plan build(std::vector<plan::Step> steps) {
  plan::PlanBuilder builder;
  for (auto& s : steps) builder.add(std::move(s));
  return builder.build();
}

std::size_t position(const std::vector<Argv>& argvs, const std::string& id) {
  const auto found = std::find(argvs.begin(), argvs.end(), Argv{"do", id});
  REQUIRE(found != argvs.end());
  return static_cast<std::size_t>(found - argvs.begin());
}

// A meeting point for `count` threads that gives up after a while instead of hanging a
// broken test: proves that steps overlap without relying on timing.
class Meeting {
public:
  explicit Meeting(int count) : m_count(count) {}
  bool arrive_and_wait() {
    std::unique_lock lock(m_mutex);
    if (++m_arrived == m_count) m_all_here.notify_all();
    return m_all_here.wait_for(lock, 10s, [this] { return m_arrived >= m_count; });
  }

private:
  int m_count;
  int m_arrived = 0;
  std::mutex m_mutex;
  std::condition_variable m_all_here;
};

} // namespace

TEST_CASE("plan::execute") {
  RecordingRunner runner;
  std::ostringstream progress;
  ui::PlainStatus status(progress);
  plan::ExecuteOptions options;

  SUBCASE("every step runs after its needs") {
    const auto diamond = build({step("ca"), step("cluster/east"), step("cluster/west"),
                                step("cacerts/east", {"ca", "cluster/east"}), step("cacerts/west", {"ca", "cluster/west"}),
                                step("eastwest", {"cacerts/east", "cacerts/west"})});
    for (const int jobs : {1, 3}) {
      CAPTURE(jobs);
      RecordingRunner fresh;
      options.jobs = jobs;
      const auto result = plan::execute(diamond, fresh, status, options);
      CHECK(result.ok());
      const auto argvs = fresh.argvs();
      REQUIRE(argvs.size() == 6);
      for (const auto& s : diamond.steps()) {
        for (const auto& need : s.needs) CHECK(position(argvs, need) < position(argvs, s.id));
      }
      if (jobs == 1) CHECK(argvs.front() == Argv{"do", "ca"});
    }
  }
  SUBCASE("with jobs=2 two independent steps run at the same time") {
    Meeting meeting(2);
    std::atomic<int> met{0};
    const auto meet = [&](StepContext&) {
      if (meeting.arrive_and_wait()) ++met;
    };
    options.jobs = 2;
    const auto result = plan::execute(build({step("vm/a", {}, meet), step("vm/b", {}, meet)}), runner, status, options);
    CHECK(result.ok());
    CHECK(met == 2);
  }
  SUBCASE("never more than jobs steps at once") {
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    const auto count = [&](StepContext& ctx) {
      const int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      ctx.runner.run(exec::Command{.argv = {"work"}});
      --running;
    };
    options.jobs = 2;
    std::vector<plan::Step> steps;
    for (int i = 0; i < 6; ++i) steps.push_back(step("s/" + std::to_string(i), {}, count));
    CHECK(plan::execute(build(std::move(steps)), runner, status, options).ok());
    CHECK(most <= 2);
    CHECK(runner.count({"work"}) == 6);
  }
  SUBCASE("a failure skips its dependents; independent steps finish") {
    const auto fail = [](StepContext&) { throw Error("boom"); };
    const auto result = plan::execute(build({step("cluster/east", {}, fail), step("istio/east", {"cluster/east"}),
                                             step("app/x@east", {"istio/east"}), step("cluster/west"),
                                             step("istio/west", {"cluster/west"})}),
                                      runner, status, options);
    CHECK_FALSE(result.ok());
    CHECK_FALSE(result.interrupted);
    CHECK(result.find("cluster/east")->status == StepStatus::failed);
    CHECK(result.find("cluster/east")->error == "step cluster/east failed: boom");
    CHECK(result.find("istio/east")->status == StepStatus::skipped_dependency_failed);
    CHECK(result.find("istio/east")->error == "skipped: cluster/east failed");
    CHECK(result.find("app/x@east")->status == StepStatus::skipped_dependency_failed);
    CHECK(result.find("app/x@east")->error == "skipped: cluster/east failed");
    CHECK(result.find("istio/west")->status == StepStatus::done);
    CHECK(runner.argvs() == std::vector<Argv>{{"do", "cluster/west"}, {"do", "istio/west"}});
  }
  SUBCASE("a failed command's line and output are in the result") {
    runner.on({"helm", "install"}, exec::Completed{.exit_code = 1, .err = "Error: no route\n"});
    const auto helm = [](StepContext& ctx) { exec::check(ctx.runner, exec::Command{.argv = {"helm", "install"}}); };
    const auto result = plan::execute(build({step("istio/east", {}, helm)}), runner, status, options);
    const auto& istio = result.steps.front();
    CHECK(istio.error == "step istio/east failed: helm exited with status 1 after 0s");
    CHECK(istio.detail == "  command: helm install\n  output (last 1 line):\n    Error: no route\n");
    CHECK(istio.commands == std::vector<std::string>{"helm install"});
  }
  SUBCASE("should_skip resumes: the step does not run and its facts carry on") {
    options.should_skip = [](const plan::Step& s) -> std::optional<plan::Facts> {
      if (s.id == "vm/db") return plan::Facts{{"ip", "127.0.0.2"}};
      return std::nullopt;
    };
    std::string seen_ip;
    const auto read_ip = [&](StepContext& ctx) { seen_ip = ctx.earlier.at("vm/db").at("ip"); };
    const auto result = plan::execute(build({step("vm/db"), step("k3s/db", {"vm/db"}, read_ip)}), runner, status, options);
    CHECK(result.ok());
    CHECK(result.find("vm/db")->status == StepStatus::skipped_done);
    CHECK(result.find("k3s/db")->status == StepStatus::done);
    CHECK(runner.argvs().empty());
    CHECK(seen_ip == "127.0.0.2");
    CHECK(progress.str() == " ✓ Doing vm/db (already done)\n • Doing k3s/db\n ✓ Doing k3s/db (0.0s)\n");
  }
  SUBCASE("facts a step learns reach the steps after it and the result") {
    const auto learn = [](StepContext& ctx) { ctx.facts["context"] = "kind-mesh-east"; };
    std::string seen;
    const auto use = [&](StepContext& ctx) { seen = ctx.earlier.at("cluster/east").at("context"); };
    const auto result =
        plan::execute(build({step("cluster/east", {}, learn), step("istio/east", {"cluster/east"}, use)}), runner,
                      status, options);
    CHECK(seen == "kind-mesh-east");
    CHECK(result.find("cluster/east")->facts == plan::Facts{{"context", "kind-mesh-east"}});
  }
  SUBCASE("an interrupt stops scheduling") {
    util::clear_interrupt();
    const auto interrupt = [](StepContext&) { util::request_interrupt(); };
    const auto interrupted_step = [](StepContext&) { throw Interrupted(); };
    options.jobs = 1;
    const auto result = plan::execute(build({step("a", {}, interrupt), step("b", {}, interrupted_step),
                                             step("c", {"a"})}),
                                      runner, status, options);
    util::clear_interrupt();
    CHECK(result.interrupted);
    CHECK_FALSE(result.ok());
    CHECK(result.find("a")->status == StepStatus::done);
    CHECK(result.find("b")->status == StepStatus::not_run_interrupted);
    CHECK(result.find("c")->status == StepStatus::not_run_interrupted);
    CHECK(runner.argvs().empty());
  }
  SUBCASE("a step stopped by Ctrl-C is reported as interrupted") {
    util::clear_interrupt();
    const auto stopped = [](StepContext&) {
      util::request_interrupt();
      throw Interrupted();
    };
    const auto result = plan::execute(build({step("a", {}, stopped), step("b", {"a"})}), runner, status, options);
    util::clear_interrupt();
    CHECK(result.interrupted);
    CHECK(result.find("a")->status == StepStatus::interrupted);
    CHECK(result.find("b")->status == StepStatus::not_run_interrupted);
  }
  SUBCASE("each ended step is announced, for the journal") {
    std::vector<std::string> ended;
    options.on_step_finished = [&](const plan::StepResult& r) {
      ended.push_back(r.id + "=" + std::string(plan::to_string(r.status)));
    };
    const auto fail = [](StepContext&) { throw Error("no"); };
    plan::execute(build({step("a"), step("b", {"a"}, fail), step("c", {"b"})}), runner, status, options);
    CHECK(ended == std::vector<std::string>{"a=done", "b=failed"});
  }
  SUBCASE("jobs below 1 is refused") {
    options.jobs = 0;
    CHECK_THROWS_WITH_AS(plan::execute(build({step("a")}), runner, status, options),
                         "--jobs must be at least 1, not 0", Error);
  }
}

TEST_CASE("plan::execute logs") {
  test::TempDir dir;
  RecordingRunner runner;
  std::ostringstream progress;
  ui::PlainStatus status(progress);
  plan::ExecuteOptions options;
  options.log_dir = dir / "logs";

  const auto fail = [](StepContext& ctx) {
    ctx.runner.run(exec::Command{.argv = {"kubectl", "apply"}});
    throw Error("apply did not converge");
  };
  const auto result = plan::execute(build({step("app/bookinfo@east", {}, fail), step("../escape")}), runner, status,
                                    options);
  const auto& app = *result.find("app/bookinfo@east");
  REQUIRE(app.log_path);
  CHECK(*app.log_path == dir / "logs/app/bookinfo@east.log");
  const auto text = util::read_file(*app.log_path);
  CHECK(text.starts_with("# step app/bookinfo@east: Doing app/bookinfo@east\n"));
  CHECK(text.find("step app/bookinfo@east failed: apply did not converge") != std::string::npos);
  CHECK(app.detail == "  full log: " + app.log_path->string() + "\n");
  // The step's runner hands each command the step's log.
  CHECK(runner.calls().front().log != nullptr);
  CHECK(*result.find("../escape")->log_path == dir / "logs/_/escape.log");

  const auto report = plan::to_json(result);
  CHECK(report["ok"] == false);
  CHECK(report["steps"][0]["status"] == "failed");
  CHECK(report["steps"][0]["commands"] == nlohmann::json{"kubectl apply"});
  CHECK(report["steps"][0]["log"] == app.log_path->string());
  CHECK(plan::commands_by_step(result) == plan::CommandsByStep{{"app/bookinfo@east", {"kubectl apply"}},
                                                               {"../escape", {"do ../escape"}}});
}

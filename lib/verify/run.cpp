#include "verify/run.hpp"

#include "util/error.hpp"
#include "util/parallel.hpp"
#include "verify/cluster_view.hpp"

#include <fmt/format.h>

namespace meshlab::verify {

Totals Report::totals() const {
  Totals t;
  for (const auto& check : checks)
    for (const auto& r : check.results) {
      ++t.results;
      if (r.outcome == Outcome::pass) ++t.passed;
      else if (r.outcome == Outcome::fail) ++t.failed;
      else ++t.skipped;
    }
  return t;
}

namespace {

using Clock = std::chrono::steady_clock;

CheckRun run_one(const VerifyContext& ctx, const Check& check) {
  CheckRun run{check.id, check.title, {}, {}};
  const auto start = Clock::now();
  try {
    run.results = check.run(ctx);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    CheckResult r;
    r.check = check.id;
    r.subject = "lab/" + ctx.lab.name;
    r.outcome = Outcome::fail;
    r.message = fmt::format("the check could not run: {}", e.what());
    run.results.push_back(std::move(r));
  }
  run.elapsed = since(start);
  if (!run.results.empty()) {
    const auto share = run.elapsed / static_cast<long>(run.results.size());
    for (auto& r : run.results) {
      if (r.check.empty()) r.check = check.id;
      if (r.elapsed.count() == 0) r.elapsed = share;
    }
  }
  return run;
}

} // namespace

Report run_checks(const VerifyContext& given, const std::vector<Check>& checks, std::size_t jobs) {
  // One view of each cluster for the whole run: the checks read the same nodes, pods and
  // Services, so each is asked of kubectl once.
  VerifyContext ctx = given;
  if (!ctx.views) ctx.views = std::make_shared<ClusterViews>();
  Report report;
  report.lab = ctx.lab.name;
  report.started = std::chrono::system_clock::now();
  const auto start = Clock::now();
  // The checks that only read run side by side; those that disturb the lab run one at a
  // time once the others are done. The report keeps the checks' order.
  report.checks.resize(checks.size());
  std::vector<std::size_t> readers, disturbers;
  for (std::size_t i = 0; i < checks.size(); ++i)
    (checks[i].effect == Effect::reads ? readers : disturbers).push_back(i);
  util::run_tasks(readers.size(), jobs,
                  [&](std::size_t k) { report.checks[readers[k]] = run_one(ctx, checks[readers[k]]); });
  for (const auto i : disturbers) report.checks[i] = run_one(ctx, checks[i]);
  report.elapsed = since(start);
  return report;
}

} // namespace meshlab::verify

// Runs a list of checks against a live lab and gathers their results into a Report, the
// one value the text, JSON and JUnit writers (report.hpp) print.
#pragma once

#include "verify/check.hpp"
#include "verify/parallel.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace meshlab::verify {

struct CheckRun {
  std::string id;
  std::string title;
  std::vector<CheckResult> results;
  std::chrono::milliseconds elapsed{};
};

struct Totals {
  std::size_t results = 0, passed = 0, failed = 0, skipped = 0;
};

struct Report {
  std::string lab;
  std::vector<CheckRun> checks; // in the order they were given
  std::chrono::milliseconds elapsed{};
  std::chrono::system_clock::time_point started;
  Totals totals() const;
  bool passed() const { return totals().failed == 0; } // skips do not fail
};

// Runs `checks` (up to `jobs` at once) and returns their results in the given order. A
// check that throws becomes one failed result about the lab carrying the message (a broken
// probe must not hide the other checks' results); Interrupted is rethrown. A result that
// did not time itself gets an equal share of its check's time. The checks share one
// ClusterViews (VerifyContext::views) unless ctx brings its own.
Report run_checks(const VerifyContext& ctx, const std::vector<Check>& checks, std::size_t jobs = k_parallel_jobs);

} // namespace meshlab::verify

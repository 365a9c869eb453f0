// `meshlab verify` as one library call: load the lab, make sure it was launched, run the
// chosen checks against it, print the report and write the JUnit file.
#pragma once

#include "exec/runner.hpp"
#include "verify/run.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace meshlab::verify {

enum class OutputFormat { text, json };

struct VerifyOptions {
  std::string lab_file;            // empty: the built-in default lab
  std::string junit_file;          // empty: no JUnit report
  OutputFormat output = OutputFormat::text;
  std::vector<std::string> checks; // ids to run; empty: all
};

// Runs the checks through `runner` (every command logged to <state>/logs/verify.log), prints the report on `out` (text or JSON) and writes the
// JUnit file atomically, also when checks failed. Returns the report. Throws LabError for an
// invalid lab, UsageError for an unknown check id, meshlab::Error when the lab has not been
// launched (no kubeconfig for any of its clusters) or the JUnit file cannot be written.
Report verify(const VerifyOptions& options, exec::Runner& runner, std::ostream& out);

// Throws meshlab::Error "N of M checks failed: <check> <subject>, ..." when `report` has a
// failure (the command's exit status 1), after everything was printed.
void fail_unless_passed(const Report& report);

} // namespace meshlab::verify

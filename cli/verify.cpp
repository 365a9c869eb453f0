// `meshlab verify [-f LAB] [--junit FILE] [--output json] [--check ID ...]`: checks the live
// lab the way an Istio engineer would by hand and reports each result with its evidence.
// Exit 0 only if no check failed (skipped ones do not fail). One library call: verify::verify.
#include "commands.hpp"
#include "exec/posix_runner.hpp"
#include "util/strings.hpp"
#include "verify/checks.hpp"
#include "verify/verify.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace meshlab::cli {

void add_verify_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<verify::VerifyOptions>();
  auto* command = app.add_subcommand("verify", "Check the live lab: nodes, CA, istiod, gateways, Argo CD apps, traffic");
  command->add_option("-f,--file", options->lab_file, "Lab file (default: the built-in multi-primary lab)")
      ->type_name("LAB");
  command->add_option("--junit", options->junit_file, "Also write a JUnit XML report to FILE (for CI)")
      ->type_name("FILE");
  command
      ->add_option_function<std::string>(
          "-o,--output",
          [options](const std::string& format) {
            options->output = format == "json" ? verify::OutputFormat::json : verify::OutputFormat::text;
          },
          "Output format: text or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  command
      ->add_option("--check", options->checks,
                   "Run only these checks (repeatable): " + util::join(verify::check_ids(verify::all_checks())))
      ->type_name("ID");
  command->footer("Exit status: 0 when no check failed (skipped checks do not fail), 1 otherwise.\n"
                  "See docs/verify.md for what each check runs and decides.");
  command->callback([options] {
    exec::PosixRunner runner;
    const auto report = verify::verify(*options, runner, std::cout);
    verify::fail_unless_passed(report);
  });
}

} // namespace meshlab::cli

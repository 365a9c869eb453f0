// `meshlab plan [-f LAB] [--output json]`: the launch plan with the commands each step would
// run, nothing run; the same as `meshlab launch --dry-run`.
#include "actions/launch.hpp"
#include "commands.hpp"

#include <iostream>
#include <memory>

namespace meshlab::cli {

void add_plan_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<actions::LaunchOptions>();
  options->run = actions::RunKind::dry_run;
  auto* command = app.add_subcommand("plan", "Print the launch plan and its commands (launch --dry-run)");
  command->add_option("-f,--file", options->lab_file, "Lab file (default: the built-in multi-primary lab)")
      ->type_name("LAB");
  command->add_option_function<std::string>(
             "--output",
             [options](const std::string& format) {
               options->output = format == "json" ? actions::OutputFormat::json : actions::OutputFormat::text;
             },
             "Output format: text or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  command->callback([options, &global] {
    auto run = *options;
    if (!global.templates_dir.empty()) run.templates_dir = global.templates_dir;
    run.verbosity = global.verbosity;
    actions::launch(run, std::cout, std::cerr);
  });
}

} // namespace meshlab::cli

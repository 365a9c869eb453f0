// `meshlab launch [-f LAB] [--dry-run] [--jobs N] [--output json]`: builds the whole lab, or
// resumes a launch that did not finish. One library call: actions::launch.
#include "actions/launch.hpp"
#include "commands.hpp"

#include <cstdint>
#include <iostream>
#include <memory>

namespace meshlab::cli {

namespace {

// plan.cpp declares the same option.
void add_output_option(CLI::App& command, actions::OutputFormat& output) {
  command.add_option_function<std::string>(
             "--output",
             [&output](const std::string& format) {
               output = format == "json" ? actions::OutputFormat::json : actions::OutputFormat::text;
             },
             "Output format: text or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
}

void add_lab_option(CLI::App& command, std::string& lab_file) {
  command.add_option("-f,--file", lab_file, "Lab file (default: the built-in multi-primary lab)")->type_name("LAB");
}

void run(actions::LaunchOptions options, const GlobalOptions& global) {
  if (!global.templates_dir.empty()) options.templates_dir = global.templates_dir;
  options.verbosity = global.verbosity;
  actions::launch(options, std::cout, std::cerr);
}

} // namespace

void add_launch_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<actions::LaunchOptions>();
  auto* command = app.add_subcommand("launch", "Create the lab (or resume a launch that did not finish)");
  add_lab_option(*command, options->lab_file);
  command->add_flag_function(
      "--dry-run", [options](std::int64_t) { options->run = actions::RunKind::dry_run; },
      "Print the plan and the commands it would run; run nothing");
  command->add_option("-j,--jobs", options->jobs, "Steps that may run at once")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  add_output_option(*command, options->output);
  command->callback([options, &global] { run(*options, global); });
}

} // namespace meshlab::cli

// `meshlab status [-f LAB] [--output json]`: the lab as it is now — machines, clusters,
// Istio, Argo CD apps, registry caches. One library call: status::collect_status. Exits 0
// whenever it could report, also on a lab that is down; only bad input fails.
#include "commands.hpp"
#include "exec/posix_runner.hpp"
#include "lab/load.hpp"
#include "status/collect.hpp"
#include "status/format.hpp"

#include <fmt/format.h>

#include <memory>

namespace meshlab::cli {

namespace {

struct StatusCommandOptions {
  std::string lab_file; // empty: the built-in default lab
  std::string output = "text";
};

void run_status(const StatusCommandOptions& options) {
  const lab::Lab lab = lab::load_valid_lab(options.lab_file);
  exec::PosixRunner runner;
  const auto report = status::collect_status(lab, runner);
  if (options.output == "json") {
    fmt::print("{}\n", status::to_json(report).dump(2));
    return;
  }
  fmt::print("{}", status::format_table(report));
}

} // namespace

void add_status_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<StatusCommandOptions>();
  auto* command = app.add_subcommand("status", "Show the lab as it is now: machines, nodes, Istio, apps, registries");
  command->add_option("-f,--file", options->lab_file, "Lab file (default: the built-in multi-primary lab)")
      ->type_name("LAB");
  command->add_option("-o,--output", options->output, "Output format")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  command->footer("A value that cannot be read right now is shown as \"-\"; the lines below the table (and\n"
                  "\"reasons\" in JSON) say why. Exit status 0 whenever the report could be made.");
  command->callback([options] { run_status(*options); });
}

} // namespace meshlab::cli

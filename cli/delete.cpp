// `meshlab delete [-f LAB] [--registries] [--purge]`: removes everything launch made for the
// lab and nothing else. One library call: actions::delete_lab.
#include "actions/delete.hpp"
#include "commands.hpp"

#include <cstdint>
#include <iostream>
#include <memory>

namespace meshlab::cli {

void add_delete_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<actions::DeleteOptions>();
  auto* command = app.add_subcommand("delete", "Delete the lab's VMs, clusters, kubeconfig entries and state");
  command->add_option("-f,--file", options->lab_file, "Lab file (default: the built-in multi-primary lab)")
      ->type_name("LAB");
  command->add_flag_function(
      "--registries", [options](std::int64_t) { options->registries = actions::Registries::remove; },
      "Delete the registry caches too (kept by default: they are a cache)");
  command->add_flag_function(
      "--purge", [options](std::int64_t) { options->purge = actions::Purge::yes; },
      "Delete the lab's CA too (kept by default, so a new launch trusts the same root)");
  command->callback([options, &global] {
    auto run = *options;
    run.verbosity = global.verbosity;
    actions::delete_lab(run, std::cerr);
  });
}

} // namespace meshlab::cli

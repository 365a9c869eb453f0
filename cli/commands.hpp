// One function per subcommand: each adds its CLI11 subcommand, fills an options struct,
// and on run makes one library call. main.cpp owns error printing and exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace meshlab::cli {

// Options every subcommand understands.
struct GlobalOptions {
  std::string templates_dir; // --templates DIR: read templates from DIR instead of the embedded ones
  int verbosity = 0;         // -v adds command lines; -q (-1) only errors
};

// Each subcommand's cli/<command>.cpp declares its add_<command>_command here.
void add_validate_command(CLI::App& app, const GlobalOptions& global);

// `meshlab launch` and `meshlab plan` (launch --dry-run) (cli/launch.cpp).
void add_launch_command(CLI::App& app, const GlobalOptions& global);
void add_plan_command(CLI::App& app, const GlobalOptions& global);

// `meshlab delete`: remove the lab's machines, kubeconfig entries and state (cli/delete.cpp).
void add_delete_command(CLI::App& app, const GlobalOptions& global);

// `meshlab argocd`: the lab's Argo CD URL, user and initial password (cli/argocd.cpp).
void add_argocd_command(CLI::App& app, const GlobalOptions& global);

// `meshlab status`: the lab as it is now, as a table or JSON (cli/status.cpp).
void add_status_command(CLI::App& app, const GlobalOptions& global);
// `meshlab verify`: check the live lab, report with evidence, JUnit for CI (cli/verify.cpp).
void add_verify_command(CLI::App& app, const GlobalOptions& global);

// `meshlab schema`: print the lab file's JSON Schema (cli/schema.cpp).
void add_schema_command(CLI::App& app);

// `meshlab render`: write every file a launch needs (cli/render.cpp).
void add_render_command(CLI::App& app, const GlobalOptions& global);

} // namespace meshlab::cli

// meshlab: builds multi-cluster Istio labs from one lab file. This file parses the
// command line, dispatches to one subcommand, and turns exceptions into exit codes.
#include "commands.hpp"
#include "exec/interrupt.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <exception>

namespace {

constexpr int k_exit_failure = 1;
constexpr int k_exit_invalid = 2; // bad usage or an invalid lab
constexpr int k_exit_interrupted = 130;

void print_error(const std::string& message) { fmt::print(stderr, "meshlab: error: {}\n", message); }

int report_lab_error(const meshlab::LabError& error) {
  for (const auto& d : error.diagnostics()) {
    fmt::print(stderr, "{}\n", d.headline());
    if (!d.hint.empty()) fmt::print(stderr, "  hint: {}\n", d.hint);
  }
  const auto count = error.diagnostics().size();
  fmt::print(stderr, "meshlab: error: lab is invalid ({} problem{})\n", count, count == 1 ? "" : "s");
  return k_exit_invalid;
}

// What to type to finish what Ctrl-C stopped, for the commands that can pick up again.
std::string resume_hint(const CLI::App& app) {
  for (const auto* command : app.get_subcommands()) {
    const auto& name = command->get_name();
    if (name == "launch") return "; run \"meshlab launch\" again to resume";
    if (name == "delete") return "; run \"meshlab delete\" again to finish";
  }
  return "";
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"meshlab builds multi-cluster Istio labs from one declarative lab file.", "meshlab"};
  app.set_version_flag("--version", std::string("meshlab ") + MESHLAB_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  meshlab::cli::GlobalOptions global;
  app.add_option("--templates", global.templates_dir, "Read templates from DIR instead of the built-in ones")
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
  app.add_flag("-v,--verbose", global.verbosity, "Show each command line")->expected(0, 1);

  // Subcommands register here, one line each (cli/<command>.cpp).
  meshlab::cli::add_validate_command(app, global);
  meshlab::cli::add_schema_command(app);
  meshlab::cli::add_render_command(app, global);
  meshlab::cli::add_launch_command(app, global);
  meshlab::cli::add_plan_command(app, global);
  meshlab::cli::add_delete_command(app, global);
  meshlab::cli::add_argocd_command(app, global);
  meshlab::cli::add_status_command(app, global);
  meshlab::cli::add_verify_command(app, global);

  try {
    // Ctrl-C and SIGTERM only set a flag from here on: runners stop their children, the
    // executor stops scheduling, and the Interrupted that follows is caught below.
    const meshlab::exec::InterruptHandlers interrupt_handlers;
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? 0 : k_exit_invalid;
  } catch (const meshlab::LabError& e) {
    return report_lab_error(e);
  } catch (const meshlab::UsageError& e) {
    print_error(e.what());
    return k_exit_invalid;
  } catch (const meshlab::Interrupted&) {
    fmt::print(stderr, "meshlab: interrupted{}\n", resume_hint(app));
    return k_exit_interrupted;
  } catch (const std::exception& e) {
    print_error(e.what());
    return k_exit_failure;
  }
}

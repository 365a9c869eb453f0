// `meshlab validate [-f LAB]`: loads and checks a lab file, printing one summary line
// when it is valid; an invalid lab throws LabError, which main.cpp prints (exit 2).
#include "commands.hpp"
#include "lab/load.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <memory>

namespace meshlab::cli {

namespace {

struct ValidateOptions {
  std::string lab_file; // empty: the built-in default lab
};

std::string summary(const lab::Lab& lab) {
  return fmt::format("lab \"{}\": {}, {}, {}, {}", lab.name, util::count_noun(lab.clusters.size(), "cluster"),
                     util::count_noun(lab.cells.size(), "cell"), util::count_noun(lab.vms.size(), "VM"),
                     util::count_noun(lab.apps.size(), "app"));
}

void run_validate(const ValidateOptions& options) {
  const lab::Lab lab = lab::load_valid_lab(options.lab_file);
  fmt::print("{}: valid ({})\n", lab.source_file, summary(lab));
}

} // namespace

void add_validate_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<ValidateOptions>();
  auto* command = app.add_subcommand("validate", "Check a lab file and report every problem in it");
  command->add_option("-f,--file", options->lab_file, "Lab file (default: the built-in multi-primary lab)")
      ->type_name("LAB");
  command->callback([options] { run_validate(*options); });
}

} // namespace meshlab::cli

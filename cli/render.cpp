// `meshlab render [-f LAB] [-o DIR]`: writes every file a launch needs (CA, cloud-init,
// kind configs, mesh manifests, index.json) into DIR, by default the lab's state
// directory, and prints a one-line summary on stderr.
#include "commands.hpp"
#include "lab/load.hpp"
#include "render/render.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace meshlab::cli {

namespace {

struct RenderCommandOptions {
  std::string lab_file; // empty: the built-in default lab
  std::string out_dir;  // empty: the lab's state directory
};

void run_render(const RenderCommandOptions& options, const GlobalOptions& global) {
  const lab::Lab lab = lab::load_valid_lab(options.lab_file);
  render::RenderOptions render_options{.out_dir = options.out_dir.empty() ? lab.state_dir : options.out_dir};
  if (!global.templates_dir.empty()) render_options.templates_dir = global.templates_dir;
  const auto summary = render::render_all(lab, render_options);
  // +1: index.json itself.
  fmt::print(stderr, "rendered {} files to {} ({} changed, {} removed)\n", summary.files.size() + 1,
             render_options.out_dir.string(), summary.changed, summary.removed);
}

} // namespace

void add_render_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<RenderCommandOptions>();
  auto* command = app.add_subcommand("render", "Write every file a launch needs (CA, cloud-init, configs, manifests)");
  command->add_option("-f,--file", options->lab_file, "Lab file (default: the built-in multi-primary lab)")
      ->type_name("LAB");
  command->add_option("-o,--output", options->out_dir, "Output directory (default: the lab's state directory)")
      ->type_name("DIR");
  command->callback([options, &global] { run_render(*options, global); });
}

} // namespace meshlab::cli

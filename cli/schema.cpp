// `meshlab schema`: prints the JSON Schema of the lab file (docs/lab.schema.json, compiled
// in) so editors can complete and check lab files, e.g. through yaml-language-server.
#include "commands.hpp"
#include "render/embedded_templates.hpp"
#include "util/error.hpp"

#include <cstdio>
#include <string_view>

namespace meshlab::cli {
namespace {

constexpr std::string_view k_schema_file = "lab.schema.json";

// Writes the schema byte for byte as docs/lab.schema.json holds it; throws meshlab::Error
// when stdout cannot take it (a closed pipe, a full disk), so a truncated schema never
// passes for a complete one.
void print_schema() {
  const auto& docs = render::embedded_docs();
  const auto found = docs.find(k_schema_file);
  if (found == docs.end()) throw Error("this meshlab was built without docs/lab.schema.json");
  const std::string_view schema = found->second;
  const auto written = std::fwrite(schema.data(), 1, schema.size(), stdout);
  if (written != schema.size() || std::fflush(stdout) != 0) throw Error("cannot write the schema to stdout");
}

} // namespace

void add_schema_command(CLI::App& app) {
  auto* command = app.add_subcommand("schema", "Print the JSON Schema of the lab file");
  command->footer(
      "Save it and point your editor at it, or reference it from a lab file:\n"
      "  meshlab schema > lab.schema.json\n"
      "  # yaml-language-server: $schema=lab.schema.json");
  command->callback(print_schema);
}

} // namespace meshlab::cli

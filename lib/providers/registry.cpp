// providers::make: the explicit list of providers (containerlab's node registry style).
#include "providers/external.hpp"
#include "providers/kind.hpp"
#include "providers/multipass.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

namespace meshlab::providers {

std::vector<std::string> known_providers() { return {"external", "kind", "multipass"}; }

std::unique_ptr<Provider> make(std::string_view name, exec::Runner& runner, const std::filesystem::path& state_dir) {
  if (name == "multipass") return std::make_unique<Multipass>(runner);
  if (name == "kind") return std::make_unique<Kind>(runner, state_dir);
  if (name == "external") return std::make_unique<External>(runner);
  throw Error(fmt::format("unknown provider \"{}\"; known providers: {}", name, util::join(known_providers())));
}

} // namespace meshlab::providers

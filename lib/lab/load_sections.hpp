// The parts of the lab loader shared by its source files (load.cpp reads the top level,
// machines and infrastructure; load_apps.cpp reads apps and traffic policies).
#pragma once

#include "lab/model.hpp"
#include "lab/yaml_reader.hpp"

#include <optional>

namespace meshlab::lab::detail {

// A locality string parsed; a malformed one is reported and gives nullopt.
std::optional<Locality> read_locality(Reader& reader, const Field& field);

// `targets`: "all", {cell: NAME} or a list of cluster names.
Targets read_targets(Reader& reader, const Field& field);

void read_apps(Reader& reader, const Field& field, Lab& lab);
void read_traffic(Reader& reader, const Field& field, Lab& lab);

} // namespace meshlab::lab::detail

// The parts of the lab loader shared by its source files: load.cpp reads the top level,
// cells, clusters and VMs; load_infra.cpp the infrastructure sections; load_apps.cpp apps
// and traffic policies. Each read_<section> reports problems and fills `lab`.
#pragma once

#include "lab/defaults.hpp"
#include "lab/model.hpp"
#include "lab/yaml_reader.hpp"

#include <optional>

namespace meshlab::lab::detail {

// A locality string parsed; a malformed one is reported and gives nullopt.
std::optional<Locality> read_locality(Reader& reader, const Field& field);

// `targets`: "all", {cell: NAME} or a list of cluster names.
Targets read_targets(Reader& reader, const Field& field);

void read_pools(Reader& reader, const Field& field, Lab& lab);
LabDefaults read_defaults(Reader& reader, const Field& field);
void read_ca(Reader& reader, const Field& field, Lab& lab);
void read_registries(Reader& reader, const Field& field, Lab& lab);
void read_istio(Reader& reader, const Field& field, Lab& lab);
void read_argocd(Reader& reader, const Field& field, Lab& lab);
void read_dns(Reader& reader, const Field& field, Lab& lab);
void read_apps(Reader& reader, const Field& field, Lab& lab);
void read_traffic(Reader& reader, const Field& field, Lab& lab);

} // namespace meshlab::lab::detail

// Renders the mesh side of a lab: Istio Helm values, Istio resources (cross-network and
// istiod-exposing gateways, locality DestinationRules), VM WorkloadGroups, CoreDNS
// entries and the Argo CD projects and Applications that install it all.
#pragma once

#include "lab/model.hpp"
#include "render/artifact.hpp"
#include "render/engine.hpp"

#include <vector>

namespace meshlab::render {

// Every mesh artifact of a validated lab, with paths relative to the output directory,
// in a deterministic order (workload clusters in lab order, then VMs, then Argo CD).
// No I/O besides reading `templates`. Throws meshlab::Error when the lab asks for
// something that cannot be rendered safely (a name that would escape the output
// directory, a DNS entry that is not a host name, two Argo CD Applications with the
// same name, ...); the message names the offending lab entry.
std::vector<Artifact> render_mesh(const lab::Lab& lab, const TemplateSource& templates);

} // namespace meshlab::render

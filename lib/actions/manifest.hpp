// Kubernetes objects meshlab builds in C++ (namespaces, secrets, RBAC), written as YAML for
// `kubectl apply -f -`. Objects are built as JSON values, so no name or value from a lab
// file, a token or a certificate can change a document's shape.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace meshlab::actions {

// Block-style YAML of `doc`. Every string is written double-quoted with JSON's escapes
// (a valid YAML double-quoted scalar), so "true", "0755" or "a: b" stay strings; mapping
// keys are written plain when they are safe ([A-Za-z0-9._/-], not starting with '-'),
// quoted otherwise. Ends with a newline.
std::string to_yaml(const nlohmann::ordered_json& doc);

// The documents as one YAML stream ("---" between them).
std::string yaml_stream(const std::vector<nlohmann::ordered_json>& docs);

// The label on everything meshlab installs into a cluster it does not own (external
// clusters; the Argo CD cluster Secrets): `meshlab delete` removes exactly what carries
// meshlab.dev/lab=<lab name>.
inline constexpr const char* k_lab_label = "meshlab.dev/lab";

// Where Istio's control plane, its gateways and the cacerts and remote secrets live.
inline constexpr const char* k_istio_namespace = "istio-system";

// A v1 Namespace with `labels` (none when empty).
nlohmann::ordered_json namespace_object(const std::string& name, const std::map<std::string, std::string>& labels = {});

// A v1 Secret's metadata part: apiVersion, kind, metadata {name, namespace}, `type`. The
// caller adds labels, annotations, data or stringData.
nlohmann::ordered_json secret_object(const std::string& name, const std::string& ns,
                                     const std::string& type = "Opaque");

} // namespace meshlab::actions

// `meshlab status` output: an aligned table for a terminal, or JSON with stable keys.
#pragma once

#include "status/report.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace meshlab::status {

// The machines table, the registries table (when the lab has caches), then one line per
// unknown value with its reason ("not applicable" ones left out).
std::string format_table(const LabReport& report);

// {"lab", "machines": [{"name", "type", "provider", "instance", "state", "address",
// "context", "nodes": {"ready", "total"}, "istio": {"revision", "ready", "replicas"},
// "apps": {"total", "synced", "healthy"}, "reasons": {field: why}}], "registries":
// [{"upstream", "container", "port", "state", "reasons"}]}. Every key is always present;
// an unknown value is null and its field is in "reasons".
nlohmann::ordered_json to_json(const LabReport& report);

} // namespace meshlab::status

// What `kubectl get KINDS -o json` prints, for scripting a RecordingRunner's answers to the
// resume checks' snapshot reads (kube/object_snapshot.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace meshlab::test {

// An object as the API returns it: apiVersion, kind, metadata.name and .namespace ("" for
// none), and whatever else `rest` holds.
inline nlohmann::json kube_object(const std::string& api_version, const std::string& kind, const std::string& ns,
                                  const std::string& name, nlohmann::json rest = nlohmann::json::object()) {
  rest["apiVersion"] = api_version;
  rest["kind"] = kind;
  rest["metadata"]["name"] = name;
  if (!ns.empty()) rest["metadata"]["namespace"] = ns;
  return rest;
}

// `kubectl get ... -o json` of `items`: {"apiVersion": "v1", "kind": "List", "items": [...]}.
inline std::string kube_list(const std::vector<nlohmann::json>& items) {
  return nlohmann::json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}.dump();
}

} // namespace meshlab::test

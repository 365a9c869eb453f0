// The single reads `meshlab status` makes of a cluster through kubectl, and the pure
// functions that turn kubectl's JSON into report values (tested without a cluster).
#pragma once

#include "kube/kubectl.hpp"
#include "lab/model.hpp"
#include "status/report.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::status {

// The items of `kubectl get <args> -o json --request-timeout=<timeout>`. Throws
// meshlab::Error with one line saying why there is no answer (kubectl's last error line,
// "timed out", or "kubectl printed something that is not a list").
nlohmann::json list_items(const kube::Kubectl& kubectl, std::vector<std::string> args,
                          std::chrono::milliseconds timeout);

// Ready/total of a NodeList's items (Ready condition "True").
NodeCount count_nodes(const nlohmann::json& items);

// The istiod Deployment among `items` (Deployments labelled app=istiod): the one whose
// istio.io/rev label is `revision` if there is one, else the first. nullopt when none.
std::optional<IstioState> find_istiod(const nlohmann::json& items, const std::string& revision);

// Applications counted per lab cluster (by name as written in the lab): an Application
// belongs to the cluster its meshlab.dev/cluster label names, else to the cluster whose
// context (instance name) its spec.destination.name is, else — destination server
// https://kubernetes.default.svc — to `argocd_cluster`. Others are not counted.
std::map<std::string, AppCounts> count_apps(const nlohmann::json& items, const lab::Lab& lab,
                                            const std::string& argocd_cluster);

} // namespace meshlab::status

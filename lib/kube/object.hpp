// Reading Kubernetes API objects as kubectl prints them in JSON, whatever their shape:
// a field that is missing or of another type reads as null, never as an exception.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace meshlab::kube {

// `value[key]` when `value` is an object that has it, else null (so calls chain:
// member(member(pod, "status"), "conditions")).
const nlohmann::json& member(const nlohmann::json& value, std::string_view key);

// The status ("True", "False", "Unknown") of the condition of type `type` in
// `object`.status.conditions; "" when it has none.
std::string condition_status(const nlohmann::json& object, std::string_view type);

} // namespace meshlab::kube

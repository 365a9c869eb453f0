#include "kube/object.hpp"

namespace meshlab::kube {

const nlohmann::json& member(const nlohmann::json& value, std::string_view key) {
  static const nlohmann::json null;
  if (!value.is_object()) return null;
  const auto it = value.find(key);
  return it == value.end() ? null : *it;
}

std::string condition_status(const nlohmann::json& object, std::string_view type) {
  const auto& conditions = member(member(object, "status"), "conditions");
  if (!conditions.is_array()) return "";
  for (const auto& condition : conditions) {
    const auto& kind = member(condition, "type");
    if (!kind.is_string() || kind.get_ref<const std::string&>() != type) continue;
    const auto& status = member(condition, "status");
    return status.is_string() ? status.get<std::string>() : "";
  }
  return "";
}

} // namespace meshlab::kube

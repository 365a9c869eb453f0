#include "kube/object.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

TEST_CASE("kube::object") {
  const auto pod = nlohmann::json::parse(R"({"metadata": {"name": "p"}, "status": {"conditions": [
    {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}]}})");

  SUBCASE("member reads what is there and null for what is not, whatever the shape") {
    CHECK(kube::member(kube::member(pod, "metadata"), "name") == "p");
    CHECK(kube::member(kube::member(pod, "spec"), "nodeName").is_null());
    CHECK(kube::member(nlohmann::json::array({1}), "x").is_null());
    CHECK(kube::member(nlohmann::json("text"), "x").is_null());
  }
  SUBCASE("condition_status finds the condition by type") {
    CHECK(kube::condition_status(pod, "Ready") == "False");
    CHECK(kube::condition_status(pod, "PodScheduled") == "True");
    CHECK(kube::condition_status(pod, "Available").empty());
    CHECK(kube::condition_status(nlohmann::json::parse(R"({"status": {"conditions": "x"}})"), "Ready").empty());
    CHECK(kube::condition_status(nlohmann::json::parse(R"({"status": {"conditions": [{"type": "Ready", "status": 1}]}})"),
                                 "Ready")
              .empty());
  }
}

#include "actions/manifest.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

using namespace meshlab;
using Json = nlohmann::ordered_json;

TEST_CASE("actions::manifest") {
  SUBCASE("block YAML that reads back as the same strings") {
    const Json doc = {{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata", {{"name", "x"}, {"labels", {{"istio/multiCluster", "true"}, {"n", "0755"}}}}},
                      {"stringData", {{"yes", "a: b # c\n- d"}, {"we\"ird key", "\"quoted\"\\"}}},
                      {"list", Json::array({"one", Json::object({{"k", "v"}, {"k2", Json::array({1, 2})}}),
                                            Json::array({"x", "y"})})},
                      {"empty", Json::object()},
                      {"none", Json::array()},
                      {"flag", false}};
    const auto text = actions::to_yaml(doc);
    CAPTURE(text);
    CHECK(text.rfind("apiVersion: \"v1\"\nkind: \"Secret\"\n", 0) == 0); // order kept
    const auto node = YAML::Load(text);
    CHECK(node["metadata"]["labels"]["istio/multiCluster"].as<std::string>() == "true");
    CHECK(node["metadata"]["labels"]["istio/multiCluster"].Tag() == "!"); // quoted: a string, never a bool
    CHECK(node["metadata"]["labels"]["n"].as<std::string>() == "0755");
    CHECK(node["stringData"]["yes"].as<std::string>() == "a: b # c\n- d");
    CHECK(node["stringData"]["we\"ird key"].as<std::string>() == "\"quoted\"\\");
    CHECK(node["list"][0].as<std::string>() == "one");
    CHECK(node["list"][1]["k"].as<std::string>() == "v");
    CHECK(node["list"][1]["k2"][1].as<int>() == 2);
    CHECK(node["list"][2][1].as<std::string>() == "y");
    CHECK(node["empty"].IsMap());
    CHECK(node["none"].IsSequence());
    CHECK(node["flag"].as<bool>() == false);
  }
  SUBCASE("a stream separates documents") {
    const auto text =
        actions::yaml_stream({actions::namespace_object("a"), actions::namespace_object("b", {{"k", "v"}})});
    const auto docs = YAML::LoadAll(text);
    REQUIRE(docs.size() == 2);
    CHECK(docs[1]["metadata"]["labels"]["k"].as<std::string>() == "v");
    CHECK_FALSE(docs[0]["metadata"]["labels"]);
  }
}

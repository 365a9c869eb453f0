#include "render/mesh.hpp"

#include "support/mesh_artifacts.hpp"
#include "support/mesh_labs.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

using namespace meshlab;
using namespace meshlab::test;
using namespace meshlab::test::mesh_labs;

TEST_CASE("render::ingress") {
  SUBCASE("stamps: a Gateway and a VirtualService per host on every cluster of the app") {
    const auto artifacts = render_mesh_of(stamps_lab());
    std::size_t count = 0;
    for (const auto& artifact : artifacts) count += artifact.kind == "ingress" ? 1 : 0;
    CHECK(count == 8); // 4 hosts x 2 clusters
    const auto docs = load_all(artifacts, "clusters/pasta-2/ingress/httpbin.blau.demo.lab.yaml");
    REQUIRE(docs.size() == 2);
    const auto& gateway = docs[0];
    CHECK(gateway["kind"].as<std::string>() == "Gateway");
    CHECK(gateway["apiVersion"].as<std::string>() == "networking.istio.io/v1");
    CHECK(gateway["metadata"]["name"].as<std::string>() == "httpbin-blau-demo-lab");
    CHECK(gateway["metadata"]["namespace"].as<std::string>() == "istio-system");
    CHECK(gateway["spec"]["selector"]["istio"].as<std::string>() == "ingressgateway");
    const auto server = gateway["spec"]["servers"][0];
    CHECK(server["port"]["number"].as<int>() == 443);
    CHECK(server["port"]["protocol"].as<std::string>() == "HTTPS");
    CHECK(server["tls"]["mode"].as<std::string>() == "SIMPLE");
    CHECK(server["tls"]["credentialName"].as<std::string>() == "httpbin-blau-demo-lab-tls");
    CHECK(server["tls"]["credentialName"].as<std::string>() == lab::ingress_secret_name("httpbin.blau.demo.lab"));
    CHECK(server["hosts"][0].as<std::string>() == "applab-blau/httpbin.blau.demo.lab");
    const auto& route = docs[1];
    CHECK(route["kind"].as<std::string>() == "VirtualService");
    CHECK(route["metadata"]["namespace"].as<std::string>() == "applab-blau");
    CHECK(route["spec"]["hosts"][0].as<std::string>() == "httpbin.blau.demo.lab");
    CHECK(route["spec"]["gateways"][0].as<std::string>() == "istio-system/httpbin-blau-demo-lab");
    const auto destination = route["spec"]["http"][0]["route"][0]["destination"];
    CHECK(destination["host"].as<std::string>() == "httpbin.applab-blau.svc.pasta.local");
    CHECK(destination["port"]["number"].as<int>() == 80);
  }

  SUBCASE("labs without hosts get no ingress files") {
    for (const auto& lab : {multi_primary_lab(), kind_locality_lab(), ci_smoke_lab()})
      for (const auto& artifact : render_mesh_of(lab)) CHECK(artifact.kind != "ingress");
  }

  SUBCASE("the app's port; a host only on the app's target clusters") {
    auto lab = stamps_lab();
    lab.apps[0].port = 8080;
    lab.apps[0].targets = lab::Targets{.kind = lab::Targets::Kind::clusters, .cell = {}, .clusters = {"pasta-1"}};
    const auto artifacts = render_mesh_of(lab);
    const auto docs = load_all(artifacts, "clusters/pasta-1/ingress/echo.blau.demo.lab.yaml");
    REQUIRE(docs.size() == 2);
    CHECK(docs[1]["spec"]["http"][0]["route"][0]["destination"]["port"]["number"].as<int>() == 8080);
    CHECK(docs[1]["spec"]["http"][0]["route"][0]["destination"]["host"].as<std::string>() ==
          "echo.applab-blau.svc.pasta.local");
    CHECK(find_artifact(artifacts, "clusters/pasta-2/ingress/echo.blau.demo.lab.yaml") == nullptr);
    CHECK(find_artifact(artifacts, "clusters/pasta-2/ingress/echo.verd.demo.lab.yaml") != nullptr);
  }

  SUBCASE("hosts without an ingress gateway is an error naming the app") {
    auto lab = stamps_lab();
    lab.dns.clear();
    lab.istio.components = {"base", "istiod", "eastwest-gateway"};
    CHECK_THROWS_WITH_AS(render_mesh_of(lab), doctest::Contains("apps.applab-blau.hosts: TLS ingress needs"), Error);
  }
}

#include "actions/remote_secrets.hpp"

#include "actions/cacerts.hpp"
#include "support/bringup_lab.hpp"
#include "util/base64.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using test::Argv;

TEST_CASE("actions::remote_secrets") {
  test::BringupLab lab;
  const auto plan = lab.plan([](plan::PlanBuilder& builder, const actions::LaunchContext& ctx) {
    actions::add_cacerts_steps(builder, ctx);
    actions::add_remote_secrets_steps(builder, ctx);
  });
  test::RecordingRunner runner;
  const Argv apply{"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"};
  const Argv get_token{"get", "secret",      "istio-reader-service-account-istio-remote-secret-token", "-o", "json",
                       "-n",  "istio-system"};
  for (const std::string c : {"east", "west"}) {
    runner.on_prefix(lab.kubectl(c, {"apply"}), exec::Completed{.out = "applied\n"});
    runner.on(lab.kubectl(c, get_token),
              exec::Completed{.out = nlohmann::json{{"data",
                                                     {{"token", util::base64_encode("tok-" + c)},
                                                      {"ca.crt", util::base64_encode("CA of " + c)}}}}
                                         .dump()});
  }

  SUBCASE("one step per cell with two or more clusters, after their CA and kubeconfig") {
    CHECK(plan.find("mesh/mesh/remote-secrets") != nullptr);
    CHECK(plan.find("mesh/solo/remote-secrets") == nullptr); // one cluster: nobody to discover
    CHECK(test::needs_of(plan, "mesh/mesh/remote-secrets") ==
          std::vector<std::string>{"cluster/east/cacerts", "cluster/east/kubeconfig", "cluster/west/cacerts",
                                   "cluster/west/kubeconfig"});
  }

  SUBCASE("a reader account in each cluster, then each cluster's secret in the other") {
    test::run_step(plan, "mesh/mesh/remote-secrets", runner, test::BringupLab::earlier_facts({"east", "west"}));
    const auto calls = runner.calls();
    REQUIRE(calls.size() == 6);
    CHECK(calls[0].argv == lab.kubectl("east", apply));
    CHECK(calls[1].argv == lab.kubectl("east", get_token));
    CHECK(calls[2].argv == lab.kubectl("west", apply));
    CHECK(calls[3].argv == lab.kubectl("west", get_token));
    const auto reader = test::yaml_docs(*calls[0].input);
    REQUIRE(reader.size() == 4);
    CHECK(reader[0]["metadata"]["name"].as<std::string>() == "istio-reader-service-account");
    CHECK(reader[0]["metadata"]["namespace"].as<std::string>() == "istio-system");
    CHECK(reader[1]["rules"][1]["resources"][0].as<std::string>() == "endpoints");
    CHECK(reader[1]["rules"][1]["apiGroups"][0].as<std::string>() == "");
    CHECK(reader[3]["metadata"]["name"].as<std::string>() == "istio-reader-service-account-istio-remote-secret-token");

    // In east: west's secret, and the other way round.
    for (const auto& [index, receiver, remote] : {std::tuple{4, "east", "west"}, std::tuple{5, "west", "east"}}) {
      CAPTURE(receiver);
      const auto& call = calls[static_cast<std::size_t>(index)];
      CHECK(call.argv == lab.kubectl(receiver, apply));
      CHECK(call.secret_input);
      const auto docs = test::yaml_docs(*call.input);
      REQUIRE(docs.size() == 1);
      const auto& secret = docs[0];
      const std::string name = remote;
      CHECK(secret["metadata"]["name"].as<std::string>() == "istio-remote-secret-" + name);
      CHECK(secret["metadata"]["namespace"].as<std::string>() == "istio-system");
      CHECK(secret["metadata"]["labels"]["istio/multiCluster"].as<std::string>() == "true");
      // ... and the lab's, so delete finds it on an external cluster.
      CHECK(secret["metadata"]["labels"]["meshlab.dev/lab"].as<std::string>() == lab.lab().name);
      CHECK(secret["metadata"]["labels"].size() == 2);
      CHECK(secret["metadata"]["annotations"]["networking.istio.io/cluster"].as<std::string>() == name);
      REQUIRE(secret["stringData"].size() == 1);
      const auto config = YAML::Load(secret["stringData"][name].as<std::string>());
      CHECK(config["current-context"].as<std::string>() == name);
      CHECK(config["clusters"][0]["name"].as<std::string>() == name);
      CHECK(config["clusters"][0]["cluster"]["server"].as<std::string>() ==
            "https://bring-" + name + "-control-plane:6443");
      CHECK(config["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>() ==
            util::base64_encode("CA of " + name));
      CHECK(config["contexts"][0]["context"]["cluster"].as<std::string>() == name);
      CHECK(config["contexts"][0]["context"]["user"].as<std::string>() == name);
      CHECK(config["users"][0]["name"].as<std::string>() == name);
      CHECK(config["users"][0]["user"]["token"].as<std::string>() == "tok-" + name);
    }
  }

  SUBCASE("the kubeconfig keeps odd values intact") {
    const auto text = actions::remote_kubeconfig("true", "https://a:6443", {"to: ken #1", "Y0E="});
    const auto config = YAML::Load(text);
    CHECK(config["current-context"].as<std::string>() == "true");
    CHECK(config["users"][0]["user"]["token"].as<std::string>() == "to: ken #1");
  }
}

#include "kube/kubectl.hpp"

#include "support/recording_runner.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;

TEST_CASE("kube::Kubectl") {
  test::RecordingRunner runner;
  kube::Kubectl kubectl{runner, "/state/kubeconfigs/east.yaml", "mesh-east"};
  const Argv base{"kubectl", "--kubeconfig", "/state/kubeconfigs/east.yaml", "--context", "mesh-east"};
  auto with = [&](Argv rest) {
    Argv argv = base;
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
  };

  SUBCASE("argv is what run executes") {
    kubectl.run({"get", "nodes"});
    CHECK(kubectl.argv({"get", "nodes"}) == with({"get", "nodes"}));
    CHECK(runner.argvs().back() == kubectl.argv({"get", "nodes"}));
  }
  SUBCASE("apply sends the manifest through stdin, server-side when asked") {
    kubectl.apply("kind: Namespace\n", kube::ApplyMode::server_side);
    CHECK(runner.argvs().back() ==
          with({"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"}));
    CHECK(runner.calls().back().input == "kind: Namespace\n");
  }
  SUBCASE("a secret apply is marked so logs redact it") {
    kubectl.apply("kind: Secret\n", kube::ApplyMode::client_side, true);
    CHECK(runner.argvs().back() == with({"apply", "-f", "-"}));
    CHECK(runner.calls().back().secret_input);
  }
  SUBCASE("get_json: nullopt when missing, parsed JSON when present") {
    runner.on(with({"get", "secret", "cacerts", "--ignore-not-found", "-o", "json", "-n", "istio-system"}),
              exec::Completed{.out = ""});
    CHECK_FALSE(kubectl.get_json("secret", "cacerts", "istio-system", true));
    runner.on(with({"get", "ns", "istio-system", "--ignore-not-found", "-o", "json"}),
              exec::Completed{.out = R"({"kind":"Namespace"})"});
    CHECK(kubectl.get_json("ns", "istio-system")->at("kind") == "Namespace");
  }
  SUBCASE("corrupt output is a clear error") {
    runner.on(with({"get", "nodes", "-o", "json"}), exec::Completed{.out = "{not json"});
    CHECK_THROWS_WITH_AS(kubectl.list_json("nodes"), doctest::Contains("not JSON"), Error);
  }
  SUBCASE("a failing command throws CommandError") {
    runner.on(with({"get", "nodes", "-o", "json"}), exec::Completed{.exit_code = 1, .err = "connection refused"});
    CHECK_THROWS_AS(kubectl.list_json("nodes"), CommandError);
  }
}

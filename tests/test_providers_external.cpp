#include "providers/external.hpp"

#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

TEST_CASE("providers::External") {
  test::TempDir dir;
  const auto kubeconfig = dir / "config";
  util::write_file_atomic(kubeconfig, R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://10.0.0.1:6443"}
users:
- name: admin
  user: {token: abc}
contexts:
- name: prod-admin
  context: {cluster: prod, user: admin}
current-context: prod-admin
)");
  test::RecordingRunner runner;
  providers::External external{runner};
  providers::Machine prod;
  prod.name = "mesh-prod";
  prod.kubeconfig = kubeconfig;
  prod.context = "prod-admin";
  const Argv version{"kubectl", "--kubeconfig", kubeconfig.string(), "--context", "prod-admin", "version",
                     "-o",      "json"};

  SUBCASE("create only checks that the API answers; it never creates") {
    external.create(prod, runner);
    CHECK(runner.argvs() == std::vector<Argv>{version});
  }
  SUBCASE("an API that does not answer is a clear error") {
    runner.on(version, Completed{.exit_code = 1,
                                 .err = "The connection to the server 10.0.0.1:6443 was refused - did you specify the "
                                        "right host or port?"});
    CHECK_THROWS_WITH_AS(external.create(prod, runner), doctest::Contains("the API server of context \"prod-admin\""),
                         Error);
  }
  SUBCASE("a missing context or file is named, with the contexts there are") {
    auto wrong = prod;
    wrong.context = "prod";
    CHECK_THROWS_WITH_AS(external.create(wrong, runner), doctest::Contains("its contexts: prod-admin"), Error);
    wrong = prod;
    wrong.kubeconfig = dir / "nope";
    CHECK_THROWS_WITH_AS(external.create(wrong, runner), doctest::Contains("does not exist"), Error);
    CHECK(runner.calls().empty());
  }
  SUBCASE("kubeconfig: the lab's context renamed to the instance, server unchanged") {
    const auto config = external.kubeconfig(prod, runner);
    CHECK(config.context_names() == std::vector<std::string>{"mesh-prod"});
    CHECK(config.server("mesh-prod") == "https://10.0.0.1:6443");
    CHECK(external.internal_server(prod, runner) == "https://10.0.0.1:6443");
  }
  SUBCASE("existing is what it was given; destroy never runs anything") {
    CHECK(external.existing({"mesh-prod"}) == std::vector<std::string>{"mesh-prod"});
    external.destroy({"mesh-prod"});
    CHECK(runner.calls().empty());
    CHECK(external.inspect("mesh-prod").status == providers::MachineState::Status::running);
  }
}

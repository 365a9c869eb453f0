#include "actions/cacerts.hpp"

#include "exec/quote.hpp"
#include "plan/executor.hpp"
#include "support/bringup_lab.hpp"
#include "support/kube_list.hpp"
#include "util/base64.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace meshlab;
using test::Argv;

namespace {

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

} // namespace

TEST_CASE("actions::cacerts") {
  test::BringupLab lab;
  const auto plan = lab.plan(actions::add_cacerts_steps);
  test::RecordingRunner runner;
  runner.on_prefix(lab.kubectl("east", {"apply"}), exec::Completed{.out = "applied\n"});
  runner.on_prefix(lab.kubectl("lone", {"apply"}), exec::Completed{.out = "applied\n"});
  const Argv apply_args{"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"};

  SUBCASE("one step per workload cluster, after the cluster is ready") {
    CHECK(plan.find("cluster/east/cacerts") != nullptr);
    CHECK(plan.find("cluster/west/cacerts") != nullptr);
    CHECK(plan.find("cluster/lone/cacerts") != nullptr);
    CHECK(plan.find("cluster/hub/cacerts") == nullptr); // not in a cell: no Istio
    CHECK(test::needs_of(plan, "cluster/east/cacerts") == std::vector<std::string>{"cluster/east/ready"});
  }

  SUBCASE("istio-system with its network label, then the secret through stdin") {
    test::run_step(plan, "cluster/east/cacerts", runner, {});
    const auto calls = runner.calls();
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].argv == lab.kubectl("east", apply_args));
    const auto ns = test::yaml_docs(*calls[0].input);
    REQUIRE(ns.size() == 1);
    CHECK(ns[0]["kind"].as<std::string>() == "Namespace");
    CHECK(ns[0]["metadata"]["name"].as<std::string>() == "istio-system");
    CHECK(ns[0]["metadata"]["labels"]["topology.istio.io/network"].as<std::string>() == "east-net");
    CHECK_FALSE(calls[0].secret_input);

    CHECK(calls[1].argv == lab.kubectl("east", apply_args));
    CHECK(calls[1].secret_input);
    const auto secret = test::yaml_docs(*calls[1].input);
    REQUIRE(secret.size() == 1);
    CHECK(secret[0]["kind"].as<std::string>() == "Secret");
    CHECK(secret[0]["metadata"]["name"].as<std::string>() == "cacerts");
    CHECK(secret[0]["metadata"]["namespace"].as<std::string>() == "istio-system");
    CHECK(secret[0]["type"].as<std::string>() == "Opaque");
    CHECK(secret[0]["data"].size() == 4);
    for (const char* file : actions::k_cacerts_files) {
      CAPTURE(file);
      const auto decoded = util::base64_decode(secret[0]["data"][file].as<std::string>());
      REQUIRE(decoded);
      CHECK(*decoded == util::read_file(lab.state() / "ca/east" / file));
    }
    // The key travels only through stdin.
    const auto key = util::read_file(lab.state() / "ca/east/ca-key.pem");
    for (const auto& call : calls)
      for (const auto& arg : call.argv) CHECK(arg.find("PRIVATE KEY") == std::string::npos);
    CHECK(calls[1].input->find(util::base64_encode(key)) != std::string::npos);
  }

  SUBCASE("a single-network cell leaves istio-system unlabelled") {
    test::run_step(plan, "cluster/lone/cacerts", runner, {});
    const auto ns = test::yaml_docs(*runner.calls().front().input);
    CHECK_FALSE(ns[0]["metadata"]["labels"]);
  }

  SUBCASE("the inputs hash follows the CA files") {
    const auto before = plan.find("cluster/east/cacerts")->inputs_hash;
    CHECK(before == lab.plan(actions::add_cacerts_steps).find("cluster/east/cacerts")->inputs_hash);
    CHECK(before != plan.find("cluster/west/cacerts")->inputs_hash);
    util::write_file_atomic(lab.state() / "ca/east/cert-chain.pem", "changed");
    CHECK(before != lab.plan(actions::add_cacerts_steps).find("cluster/east/cacerts")->inputs_hash);
  }

  SUBCASE("a missing CA file fails the step before anything is applied") {
    std::filesystem::remove(lab.state() / "ca/east/ca-key.pem");
    CHECK_THROWS_WITH_AS(test::run_step(plan, "cluster/east/cacerts", runner, {}), doctest::Contains("ca-key.pem"),
                         Error);
    CHECK(runner.calls().empty());
  }

  SUBCASE("cacerts_in_place: the secret with this lab's root") {
    // One read of istio-system's Secrets, shared with the other checks on east.
    const auto get = lab.kubectl("east", {"get", "secret", "-n", "istio-system", "-o", "json"});
    const auto root = util::base64_encode(util::read_file(lab.state() / "ca/east/root-cert.pem"));
    const auto ctx = lab.ctx();
    const auto& east = lab.cluster("east");
    const auto cacerts = [](const std::string& data_root) {
      return test::kube_object("v1", "Secret", "istio-system", "cacerts",
                               {{"data", {{"root-cert.pem", data_root}, {"ca-key.pem", "x"}}}});
    };
    // Answers in call order: same root, another root, missing, unreachable.
    runner.on(get, exec::Completed{.out = test::kube_list({cacerts(root)})});
    runner.on(get, exec::Completed{.out = test::kube_list({cacerts("b3RoZXI=")})});
    runner.on(get, exec::Completed{.out = test::kube_list({test::kube_object("v1", "Secret", "istio-system", "other")})});
    runner.on(get, exec::Completed{.exit_code = 1, .err = "The connection to the server 127.0.0.1:1 was refused"});
    CHECK(actions::cacerts_in_place(ctx, east, runner));
    CHECK(runner.calls().back().secret_output); // the key is in that output
    CHECK(actions::cacerts_in_place(ctx, east, runner)); // the run's answer until something changes
    CHECK(runner.calls().size() == 1);
    for (int i = 0; i < 3; ++i) {
      lab.snapshot().forget(); // a step ran
      CHECK_FALSE(actions::cacerts_in_place(ctx, east, runner));
    }
    CHECK(runner.calls().size() == 4);
  }

  SUBCASE("the step log shows the namespace but not the secret") {
    test::NullStatus status;
    test::LoggingRunner logging(runner);
    plan::ExecuteOptions options{.jobs = 2, .log_dir = lab.dir() / "logs"};
    const auto result = plan::execute(plan, logging, status, options);
    REQUIRE(result.ok());
    const auto log = util::read_file(lab.dir() / "logs/cluster/east/cacerts.log");
    CHECK(log.find("istio-system") != std::string::npos);
    CHECK(log.find("bytes redacted") != std::string::npos);
    const auto key = util::read_file(lab.state() / "ca/east/ca-key.pem");
    CHECK(log.find(util::base64_encode(key).substr(0, 40)) == std::string::npos);
    CHECK(log.find("PRIVATE KEY") == std::string::npos);
    CHECK(contains(result.find("cluster/east/cacerts")->commands, exec::quote(lab.kubectl("east", apply_args))));
  }
}

TEST_CASE("actions::cacerts on an external cluster") {
  // hub joins cell solo as an external cluster: istio-system is the lab's only if it made it.
  test::BringupLab lab("", "{provider: external, role: management, cell: solo, kubeconfig: /nowhere/config, "
                           "context: home}");
  const auto plan = lab.plan(actions::add_cacerts_steps);
  test::RecordingRunner runner;
  runner.on_prefix(lab.kubectl("hub", {"apply"}), exec::Completed{.out = "applied\n"});
  const Argv get_ns{"get", "namespace", "istio-system", "-o", "json"};
  auto namespace_labels = [&] {
    for (const auto& call : runner.calls())
      if (call.input && call.input->find("kind: \"Namespace\"") != std::string::npos)
        return test::yaml_docs(*call.input)[0]["metadata"]["labels"];
    FAIL("no namespace applied");
    return YAML::Node();
  };

  SUBCASE("missing: meshlab makes it and labels it with the lab, so delete takes it back") {
    runner.on(lab.kubectl("hub", get_ns),
              exec::Completed{.exit_code = 1, .err = "Error from server (NotFound): namespaces \"istio-system\" not "
                                                     "found\n"});
    test::run_step(plan, "cluster/hub/cacerts", runner, {});
    CHECK(namespace_labels()["meshlab.dev/lab"].as<std::string>() == "bring");
  }
  SUBCASE("there before: not labelled, so delete leaves it") {
    runner.on(lab.kubectl("hub", get_ns),
              exec::Completed{.out = R"({"kind": "Namespace", "metadata": {"name": "istio-system"}})"});
    test::run_step(plan, "cluster/hub/cacerts", runner, {});
    CHECK_FALSE(namespace_labels()["meshlab.dev/lab"]);
  }
  SUBCASE("labelled by this lab on an earlier launch: the label stays") {
    runner.on(lab.kubectl("hub", get_ns),
              exec::Completed{.out = R"({"metadata": {"name": "istio-system", "labels": {"meshlab.dev/lab": "bring"}}})"});
    test::run_step(plan, "cluster/hub/cacerts", runner, {});
    CHECK(namespace_labels()["meshlab.dev/lab"].as<std::string>() == "bring");
  }
}

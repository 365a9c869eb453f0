#include "actions/snapshot.hpp"

#include "providers/multipass.hpp"
#include "support/bringup_lab.hpp"
#include "support/recording_runner.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

namespace {

const Argv k_list{"multipass", "list", "--format", "json"};
const Argv k_ps{"docker", "ps", "-a", "--format", "{{.Names}}\t{{.State}}\t{{.Networks}}"};

} // namespace

TEST_CASE("actions::Snapshot") {
  test::RecordingRunner runner;
  actions::Snapshot snapshot;

  SUBCASE("machines: one inspect_all for every machine declared, the tool's own inspect for others") {
    providers::Multipass multipass(runner);
    runner.on(k_list, Completed{.out = R"({"list": [
      {"name": "kube-01", "state": "Running", "ipv4": ["127.0.10.1"]},
      {"name": "virt-01", "state": "Stopped", "ipv4": []},
      {"name": "someone-else", "state": "Running", "ipv4": ["127.0.10.9"]}]})"});
    for (const auto* name : {"kube-01", "kube-02", "virt-01"}) snapshot.expect_machine(lab::Provider::multipass, name);
    using Status = providers::MachineState::Status;
    CHECK(snapshot.machine(multipass, lab::Provider::multipass, "kube-01").status == Status::running);
    CHECK(snapshot.machine(multipass, lab::Provider::multipass, "kube-02").status == Status::missing);
    CHECK(snapshot.machine(multipass, lab::Provider::multipass, "virt-01").status == Status::stopped);
    CHECK(runner.count(k_list) == 1);
    CHECK(snapshot.machine(multipass, lab::Provider::multipass, "someone-else").status == Status::running);
    CHECK(runner.count(k_list) == 2); // not the lab's: asked on its own, not kept
    snapshot.forget();
    CHECK(snapshot.machine(multipass, lab::Provider::multipass, "kube-01").status == Status::running);
    CHECK(runner.count(k_list) == 3);
  }

  SUBCASE("containers: one docker ps for all of them, with state and networks") {
    runner.on(k_ps, Completed{.out = "mesh-registry-docker-io\trunning\tbridge,kind\n"
                                     "mesh-registry-quay-io\texited\tbridge\n"
                                     "mesh-east-control-plane\trunning\tkind\n"
                                     "lonely\tcreated\t\n"});
    const auto docker_io = snapshot.container(runner, "mesh-registry-docker-io");
    REQUIRE(docker_io);
    CHECK(docker_io->state == "running");
    CHECK(docker_io->networks == std::vector<std::string>{"bridge", "kind"});
    CHECK(snapshot.container(runner, "mesh-registry-quay-io")->state == "exited");
    CHECK(snapshot.container(runner, "lonely")->networks.empty());
    CHECK_FALSE(snapshot.container(runner, "mesh-registry-ghcr-io"));
    CHECK(runner.count(k_ps) == 1);
  }

  SUBCASE("containers: output docker would not print is an error for every asker") {
    runner.on(k_ps, Completed{.out = "just-a-name\n"});
    CHECK_THROWS_WITH_AS(snapshot.container(runner, "a"), doctest::Contains("is not a container name, state"), Error);
    CHECK_THROWS_AS(snapshot.container(runner, "b"), Error);
    CHECK(runner.count(k_ps) == 1);
  }

  SUBCASE("the kind network's subnet, once") {
    const Argv inspect{"docker", "network", "inspect", "-f", "{{json .IPAM.Config}}", "kind"};
    runner.on(inspect, Completed{.out = R"([{"Subnet": "127.18.0.0/16", "Gateway": "127.18.0.1"}])"});
    CHECK(snapshot.network_subnet(runner, "kind").str() == "127.18.0.0/16");
    CHECK(snapshot.network_subnet(runner, "kind").str() == "127.18.0.0/16");
    CHECK(runner.count(inspect) == 1);
  }
}

TEST_CASE("actions::forgetting_at_each_step") {
  test::RecordingRunner runner;
  const Argv ps{"docker", "ps", "-a", "--format", "{{.Names}}\t{{.State}}\t{{.Networks}}"};
  runner.on(ps, Completed{.out = ""});
  runner.on(ps, Completed{.out = "cache\trunning\tbridge\n"});
  const auto snapshot = std::make_shared<actions::Snapshot>();
  plan::PlanBuilder builder;
  builder.add(plan::Step{.id = "registry/cache",
                         .title = "Starting cache",
                         .run = [](plan::StepContext&) {}, // stands for `docker run`
                         .verify = [snapshot](exec::Runner& r) { return snapshot->container(r, "cache").has_value(); }});
  builder.add(plan::Step{.id = "failing",
                         .title = "Failing",
                         .run = [](plan::StepContext&) { throw Error("no"); }});
  const auto plan = actions::forgetting_at_each_step(builder.build(), snapshot);

  CHECK_FALSE(plan.find("registry/cache")->verify(runner)); // before: no container
  test::run_step(plan, "registry/cache", runner, {});
  CHECK(plan.find("registry/cache")->verify(runner)); // after the step ran, read again
  CHECK(runner.count(ps) == 2);
  CHECK_THROWS_AS(test::run_step(plan, "failing", runner, {}), Error);
  CHECK(plan.find("registry/cache")->verify(runner)); // a failed step may have changed things too
  CHECK(runner.count(ps) == 3);
}

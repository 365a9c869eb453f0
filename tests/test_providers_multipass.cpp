#include "providers/multipass.hpp"

#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

namespace {

const Argv k_list{"multipass", "list", "--format", "json"};
const Argv k_cloud_init{"multipass", "exec", "-n", "mesh-db", "--", "cloud-init", "status", "--wait"};

// `multipass list --format json` with one instance (the contract's 1.16 layout).
std::string list_with(const std::string& name, const std::string& state, const std::string& ipv4 = "") {
  return R"({
    "list": [
        {
            "ipv4": [)" +
         (ipv4.empty() ? std::string() : "\n                \"" + ipv4 + "\"\n            ") + R"(],
            "name": ")" +
         name + R"(",
            "release": "Ubuntu 24.04 LTS",
            "state": ")" +
         state + R"("
        }
    ]
}
)";
}

const std::string k_empty_list = "{\n    \"list\": [\n    ]\n}\n";

// The contract's `multipass info mesh-db --format json` sample.
const std::string k_info = R"({
    "errors": [
    ],
    "info": {
        "mesh-db": {
            "cpu_count": "2",
            "disks": {"sda1": {"total": "10213466112", "used": "2147483648"}},
            "image_hash": "0f1e2d3c4b5a",
            "image_release": "24.04 LTS",
            "ipv4": [
                "10.71.4.23"
            ],
            "load": [0.12, 0.05, 0.01],
            "memory": {"total": 2062237696, "used": 301989888},
            "mounts": {},
            "release": "Ubuntu 24.04.1 LTS",
            "snapshot_count": "0",
            "state": "Running"
        }
    }
}
)";

// What k3s writes to /etc/rancher/k3s/k3s.yaml (names "default", loopback server).
const std::string k_k3s_yaml = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
)";

providers::Machine db_machine(const std::filesystem::path& user_data) {
  providers::Machine machine;
  machine.name = "mesh-db";
  machine.config = user_data;
  machine.cpus = 1;
  machine.memory = "1G";
  machine.disk = "8G";
  machine.image = "24.04";
  return machine;
}

} // namespace

TEST_CASE("providers::Multipass") {
  test::TempDir dir;
  const auto user_data_path = dir / "cloud-init.yaml";
  const std::string user_data = "#cloud-config\nhostname: mesh-db\n";
  util::write_file_atomic(user_data_path, user_data);
  const auto machine = db_machine(user_data_path);
  test::RecordingRunner runner;
  providers::Multipass multipass{runner};

  SUBCASE("a missing instance is launched with the user-data on stdin, then cloud-init is awaited") {
    runner.on(k_list, Completed{.out = k_empty_list});
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    multipass.create(machine, runner);
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() == 4);
    CHECK(argvs[1] == Argv{"multipass", "launch", "--name", "mesh-db", "--cpus", "1", "--memory", "1G", "--disk", "8G",
                           "--cloud-init", "-", "24.04"});
    CHECK(runner.calls()[1].input == user_data);
    CHECK(argvs[3] == k_cloud_init);
  }
  SUBCASE("a stopped or suspended instance is started, never launched") {
    for (const std::string state : {"Stopped", "Suspended"}) {
      CAPTURE(state);
      test::RecordingRunner fresh;
      fresh.on(k_list, Completed{.out = list_with("mesh-db", state)});
      providers::Multipass mp{fresh};
      mp.create(machine, fresh);
      CHECK(fresh.argvs() == std::vector<Argv>{k_list, {"multipass", "start", "mesh-db"}, k_cloud_init});
    }
  }
  SUBCASE("a running instance is left alone; only cloud-init is checked") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    multipass.create(machine, runner);
    CHECK(runner.argvs() == std::vector<Argv>{k_list, k_cloud_init});
  }
  SUBCASE("a deleted (not purged) instance is recovered and started") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Deleted")});
    multipass.create(machine, runner);
    CHECK(runner.argvs() ==
          std::vector<Argv>{
              k_list, {"multipass", "recover", "mesh-db"}, {"multipass", "start", "mesh-db"}, k_cloud_init});
  }
  SUBCASE("a starting instance is waited for, not started again") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Starting")});
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    multipass.create(machine, runner);
    CHECK(runner.count({"multipass", "start"}) == 0);
    CHECK(runner.argvs().back() == k_cloud_init);
  }
  SUBCASE("multipass's own launch timeout (exit 5) is waited out, not a failure") {
    runner.on(k_list, Completed{.out = k_empty_list});
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Starting")});
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    runner.on_prefix({"multipass", "launch"},
                     Completed{.exit_code = 5, .err = "Timed out waiting for instance launch."});
    multipass.create(machine, runner);
    CHECK(runner.argvs().back() == k_cloud_init);
  }
  SUBCASE("a failed launch throws with multipass's message") {
    runner.on(k_list, Completed{.out = k_empty_list});
    runner.on_prefix({"multipass", "launch"}, Completed{.exit_code = 2, .err = "launch failed: boom"});
    CHECK_THROWS_AS(multipass.create(machine, runner), CommandError);
  }
  SUBCASE("cloud-init error fails naming the instance, the status and its log") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    runner.on(k_cloud_init, Completed{.exit_code = 1, .out = "\nstatus: error\n"});
    CHECK_THROWS_WITH_AS(multipass.create(machine, runner),
                         doctest::Contains("cloud-init did not finish on multipass instance mesh-db"), Error);
    CHECK_THROWS_WITH_AS(multipass.create(machine, runner), doctest::Contains("status: error"), Error);
    CHECK_THROWS_WITH_AS(multipass.create(machine, runner), doctest::Contains("cloud-init-output.log"), Error);
  }
  SUBCASE("cloud-init degraded (exit 2, recoverable errors) counts as done") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    runner.on(k_cloud_init, Completed{.exit_code = 2, .out = "\nstatus: done\n"});
    CHECK_NOTHROW(multipass.create(machine, runner));
  }
  SUBCASE("multipass's own exit 2 (exec failed) is not mistaken for degraded") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    runner.on(k_cloud_init,
              Completed{.exit_code = 2,
                        .err = "exec failed: The following errors occurred:\ninstance \"mesh-db\" is deleted"});
    CHECK_THROWS_WITH_AS(multipass.create(machine, runner), doctest::Contains("is deleted"), Error);
  }
  SUBCASE("kubeconfig: k3s's file renamed to the instance, server at the instance address") {
    const Argv cat{"multipass", "exec", "-n", "mesh-db", "--", "sudo", "cat", "/etc/rancher/k3s/k3s.yaml"};
    runner.on(cat, Completed{.out = k_k3s_yaml});
    runner.on({"multipass", "info", "mesh-db", "--format", "json"}, Completed{.out = k_info});
    const auto config = multipass.kubeconfig(machine, runner);
    CHECK(config.context_names() == std::vector<std::string>{"mesh-db"});
    CHECK(config.current_context() == "mesh-db");
    CHECK(config.server("mesh-db") == "https://10.71.4.23:6443");
    CHECK(config.entry_names() == std::vector<std::string>{"mesh-db"}); // cluster, user, context: no "default" left
    CHECK(runner.calls().front().secret_output);                        // the admin key never reaches a log
    CHECK(multipass.internal_server(machine, runner) == "https://10.71.4.23:6443");
  }
  SUBCASE("kubeconfig of a VM is refused") {
    auto vm = machine;
    vm.kind = providers::Machine::Kind::vm;
    CHECK_THROWS_WITH_AS(multipass.kubeconfig(vm, runner), doctest::Contains("is a VM"), Error);
    CHECK(runner.calls().empty());
  }
  SUBCASE("inspect maps multipass's states") {
    std::string listed = list_with("mesh-db", "Running", "10.71.4.23");
    runner.on(k_list, [&](const exec::Command&) { return Completed{.out = listed}; });
    auto state = multipass.inspect("mesh-db");
    CHECK(state.status == providers::MachineState::Status::running);
    CHECK(state.ipv4 == std::vector<std::string>{"10.71.4.23"});
    CHECK(multipass.inspect("mesh-other").status == providers::MachineState::Status::missing);
    listed = list_with("mesh-db", "Suspended");
    CHECK(multipass.inspect("mesh-db").status == providers::MachineState::Status::stopped);
    listed = list_with("mesh-db", "Unknown");
    state = multipass.inspect("mesh-db");
    CHECK(state.status == providers::MachineState::Status::other);
    CHECK(state.detail == "Unknown");
  }
  SUBCASE("inspect_all: one multipass list for every name") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "10.71.4.23")});
    const auto states = multipass.inspect_all({"mesh-db", "mesh-other"});
    REQUIRE(states.size() == 2);
    CHECK(states.at("mesh-db").ipv4 == std::vector<std::string>{"10.71.4.23"});
    CHECK(states.at("mesh-other").status == providers::MachineState::Status::missing);
    CHECK(runner.count(k_list) == 1);
  }
  SUBCASE("corrupt or unexpected output is a clear error naming the command") {
    std::string listed = "{\"list\": [ {\"name\": \"mesh-db\", \"sta";
    runner.on(k_list, [&](const exec::Command&) { return Completed{.out = listed}; });
    CHECK_THROWS_WITH_AS(multipass.inspect("mesh-db"),
                         doctest::Contains("unexpected output from `multipass list --format json`: not JSON"), Error);
    listed = R"({"instances": []})";
    CHECK_THROWS_WITH_AS(multipass.inspect("mesh-db"), doctest::Contains("no \"list\" array"), Error);
    listed = R"({"list": [{"name": "mesh-db", "state": 3}]})";
    CHECK_THROWS_WITH_AS(multipass.inspect("mesh-db"), doctest::Contains("\"state\" string"), Error);
    listed = R"({"list": [{"name": "mesh-db", "state": "Running", "ipv4": "x"}]})";
    CHECK_THROWS_WITH_AS(multipass.inspect("mesh-db"), doctest::Contains("is not a list"), Error);
  }
  SUBCASE("a running instance without an address yet lists N/A") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running", "N/A")});
    CHECK(multipass.inspect("mesh-db").ipv4.empty());
  }
  SUBCASE("destroy deletes exactly the given names that exist, in one call") {
    runner.on(k_list, Completed{.out = R"({"list": [
      {"name": "mesh-db", "state": "Running", "ipv4": []},
      {"name": "mesh-old", "state": "Deleted", "ipv4": []},
      {"name": "someone-else", "state": "Running", "ipv4": []}]})"});
    CHECK(multipass.existing({"mesh-db", "mesh-old", "mesh-gone"}) == std::vector<std::string>{"mesh-db", "mesh-old"});
    multipass.destroy({"mesh-db", "mesh-old", "mesh-gone"});
    CHECK(runner.count({"multipass", "delete"}) == 1);
    CHECK(runner.argvs().back() == Argv{"multipass", "delete", "--purge", "mesh-db", "mesh-old"});
  }
  SUBCASE("destroy with nothing left to delete runs no delete") {
    runner.on(k_list, Completed{.out = k_empty_list});
    multipass.destroy({"mesh-db"});
    CHECK(runner.count({"multipass", "delete"}) == 0);
  }
  SUBCASE("destroy reports the instances a failed delete left") {
    runner.on(k_list, Completed{.out = list_with("mesh-db", "Running")});
    runner.on_prefix({"multipass", "delete"}, Completed{.exit_code = 2, .err = "delete failed: busy"});
    CHECK_THROWS_WITH_AS(multipass.destroy({"mesh-db"}),
                         doctest::Contains("could not delete multipass instance mesh-db: delete failed: busy"), Error);
  }
  SUBCASE("check_available: installed with a daemon, no daemon, not installed") {
    std::string version = "multipass   1.16.3\nmultipassd  1.16.3\n";
    bool installed = true;
    runner.on({"multipass", "version"}, [&](const exec::Command&) -> Completed {
      if (!installed) throw Error("cannot start multipass: No such file or directory");
      return Completed{.out = version};
    });
    CHECK_NOTHROW(multipass.check_available());
    version = "multipass   1.16.3\n";
    CHECK_THROWS_WITH_AS(multipass.check_available(), doctest::Contains("multipassd"), Error);
    installed = false;
    CHECK_THROWS_WITH_AS(multipass.check_available(), doctest::Contains("multipass is not installed or not on PATH"),
                         Error);
  }
}

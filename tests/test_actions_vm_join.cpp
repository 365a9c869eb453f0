#include "actions/vm_join.hpp"

#include "actions/mesh_resources.hpp"
#include "actions/sidecar_package.hpp"
#include "net/http.hpp"
#include "render/vm_bootstrap.hpp"
#include "support/scoped_env.hpp"
#include "support/bringup_lab.hpp"
#include "support/loopback_http.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace meshlab;
using test::Argv;

namespace {

// virt-01 joins through east; its rendered files as render_all lays them out.
const std::string k_vm_lab = "vms:\n"
                             "  virt-01:\n"
                             "    cluster: east\n"
                             "    namespace: httpbin\n"
                             "    serviceAccount: httpbin\n"
                             "    locality: eu/zone-a/vm\n"
                             "    services: [{name: httpbin, port: 8080}]\n";

// Adds `path` (under the state directory, holding `content`) to index.json as render_all
// lists it.
void add_rendered(const test::BringupLab& lab, const std::string& path, const std::string& kind,
                  const std::string& cluster, const std::string& content) {
  const auto state = lab.state();
  util::write_file_atomic(state / path, content);
  auto index = nlohmann::json::parse(util::read_file(state / "index.json"));
  index["files"].push_back({{"path", path}, {"kind", kind}, {"cluster", cluster}, {"purpose", "test"}});
  util::write_file_atomic(state / "index.json", index.dump(2));
}

void write_rendered(const test::BringupLab& lab) {
  add_rendered(lab, "clusters/east/istio/expose-istiod.yaml", "istio", "east", "# expose-istiod\n");
  for (const char* file : {"identity.yaml", "service.yaml", "workload-group.yaml"}) // index order: by path
    add_rendered(lab, std::string("vms/virt-01/") + file, "istio", "virt-01", std::string("# ") + file + "\n");
  for (const auto& artifact : render::render_vm_bootstrap(lab.lab(), "ROOT PEM\n"))
    add_rendered(lab, artifact.path, artifact.kind, artifact.cluster, artifact.content);
}

// apps/sync and vm/virt-01/create stand in for their actions; istio/east/resources is the
// real step (it applies expose-istiod.yaml) unless `mesh_resources` is no.
enum class MeshResources { yes, no };
plan::Plan vm_plan(const test::BringupLab& lab, MeshResources mesh_resources = MeshResources::yes) {
  return lab.plan([mesh_resources](plan::PlanBuilder& builder, const actions::LaunchContext& ctx) {
    builder.add(plan::Step{.id = actions::ids::apps_sync(), .title = "apps", .run = [](plan::StepContext&) {}});
    builder.add(plan::Step{.id = actions::ids::vm("virt-01"), .title = "vm", .run = [](plan::StepContext&) {}});
    if (mesh_resources == MeshResources::yes) actions::add_mesh_resource_steps(builder, ctx);
    actions::add_vm_join_steps(builder, ctx);
  });
}

Argv vm_exec(const std::string& instance, const Argv& inner) {
  Argv argv{"multipass", "exec", "-n", instance, "--"};
  argv.insert(argv.end(), inner.begin(), inner.end());
  return argv;
}

const std::string k_service_json =
    R"({"kind":"Service","metadata":{"name":"istio-eastwestgateway"},"status":{"loadBalancer":{"ingress":[{"ip":"127.0.20.7"}]}}})";

std::string entries_json(const std::string& group, const std::string& address) {
  return nlohmann::json{{"items",
                         {{{"apiVersion", "networking.istio.io/v1"},
                           {"kind", "WorkloadEntry"},
                           {"metadata",
                            {{"name", group + "-" + address + "-virt-01-network"},
                             {"namespace", "httpbin"},
                             {"annotations", {{"istio.io/autoRegistrationGroup", group}}}}},
                           {"spec", {{"address", address}}}}}}}
      .dump();
}


} // namespace

TEST_CASE("actions::vm_join") {
  test::BringupLab lab(k_vm_lab);
  write_rendered(lab);
  const auto plan = vm_plan(lab);
  const std::string instance = lab.lab().instance_name("virt-01"); // "bring-virt-01"
  const auto package_body = std::string("Package: istio-sidecar\nVersion: 1.30.3\nArchitecture: amd64\n");
  test::LoopbackHttp server([&](const test::LoopbackHttp::Seen&) { return std::pair{200, package_body}; });
  const test::ScopedEnv base("MESHLAB_ISTIO_DEB_URL_BASE", server.url("/istio"));

  // A subcase scripts its own answers first: the runner gives a command its answers in order.
  test::RecordingRunner runner;
  // The resume checks' one read of the Istio objects on east (vm/virt-01/mesh and /join).
  const auto checks_read = lab.kubectl(
      "east", {"get", "workloadentry.networking.istio.io,workloadgroup.networking.istio.io", "-n", "httpbin", "-o",
               "json"});
  const auto script = [&] {
    runner.on(lab.kubectl("east", {"get", "service", "istio-eastwestgateway", "-o", "json", "-n", "istio-system"}),
              exec::Completed{.out = k_service_json});
    runner.on(lab.kubectl("east", {"create", "token", "httpbin", "-n", "httpbin", "--audience", "istio-ca",
                                   "--duration", "24h"}),
              exec::Completed{.out = "eyJ.secret-token.sig\n"});
    runner.on(vm_exec(instance, {"dpkg-query", "-W", "istio-sidecar"}),
              exec::Completed{.exit_code = 1, .err = "dpkg-query: no packages found matching istio-sidecar\n"});
    runner.on(vm_exec(instance, {"dpkg", "--print-architecture"}), exec::Completed{.out = "amd64\n"});
    runner.on(lab.kubectl("east", {"get", "workloadentries", "-n", "httpbin", "-o", "json"}),
              exec::Completed{.out = entries_json("virt-01", "127.0.10.9")});
    runner.on(checks_read, exec::Completed{.out = entries_json("virt-01", "127.0.10.9")});
  };
  auto earlier = test::BringupLab::earlier_facts({"east"});
  earlier[actions::ids::vm("virt-01")] = {{"address", "127.0.10.9"}};

  SUBCASE("the mesh side after the apps are synced and istiod is exposed, the join after the VM and the mesh side") {
    CHECK(test::needs_of(plan, "vm/virt-01/mesh") == std::vector<std::string>{"apps/sync", "istio/east/resources"});
    CHECK(test::needs_of(plan, "vm/virt-01/join") == std::vector<std::string>{"vm/virt-01/create", "vm/virt-01/mesh"});
    CHECK(test::needs_of(plan, "istio/east/resources") == std::vector<std::string>{"apps/sync"});
  }

  SUBCASE("without Istio resources for the cluster the mesh side needs only the apps") {
    const auto bare = vm_plan(lab, MeshResources::no);
    CHECK(test::needs_of(bare, "vm/virt-01/mesh") == std::vector<std::string>{"apps/sync"});
  }

  SUBCASE("the mesh side applies identity, services and group in one stream; the istiod exposure is the cluster's") {
    script();
    test::run_step(plan, "vm/virt-01/mesh", runner, earlier);
    REQUIRE(runner.calls().size() == 1);
    const auto call = runner.calls()[0];
    CHECK(call.argv ==
          lab.kubectl("east", {"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"}));
    CHECK(*call.input == "# identity.yaml\n---\n# service.yaml\n---\n# workload-group.yaml\n");

    test::RecordingRunner resources;
    test::run_step(plan, "istio/east/resources", resources, earlier);
    REQUIRE(resources.calls().size() == 1);
    CHECK(*resources.calls()[0].input == "# expose-istiod\n");
  }

  SUBCASE("a VM whose files were not rendered is refused before anything is applied or copied") {
    std::filesystem::remove(lab.state() / "index.json");
    const auto unrendered = vm_plan(lab);
    CHECK_THROWS_WITH_AS(test::run_step(unrendered, "vm/virt-01/mesh", runner, earlier),
                         doctest::Contains("the WorkloadGroup files of VM virt-01 are not rendered"), Error);
    CHECK_THROWS_WITH_AS(test::run_step(unrendered, "vm/virt-01/join", runner, earlier),
                         doctest::Contains("the bootstrap files of VM virt-01 are not rendered"), Error);
    CHECK(runner.count({"kubectl"}) == 0);
    CHECK(runner.count({"multipass", "transfer"}) == 0);
  }

  SUBCASE("a fresh VM: token, package downloaded and installed, files placed, service started, entry seen") {
    script();
    const auto run = test::run_step(plan, "vm/virt-01/join", runner, earlier);
    const auto argvs = runner.argvs();
    const auto state = lab.state();
    const auto deb = state / "cache" / "istio-sidecar-1.30.3-amd64.deb";
    const auto bootstrap = state / "vms" / "virt-01" / "bootstrap";
    const std::vector<Argv> expected{
        lab.kubectl("east", {"get", "service", "istio-eastwestgateway", "-o", "json", "-n", "istio-system"}),
        lab.kubectl("east",
                    {"create", "token", "httpbin", "-n", "httpbin", "--audience", "istio-ca", "--duration", "24h"}),
        vm_exec(instance, {"dpkg-query", "-W", "istio-sidecar"}),
        vm_exec(instance, {"dpkg", "--print-architecture"}),
        vm_exec(instance, {"install", "-d", "-m", "0700", "/tmp/meshlab-istio"}),
        {"multipass", "transfer", (bootstrap / "cluster.env").string(), (bootstrap / "mesh.yaml").string(),
         (bootstrap / "root-cert.pem").string(), deb.string(), instance + ":/tmp/meshlab-istio/"},
        {"multipass", "transfer", "-", instance + ":/tmp/meshlab-istio/istio-token"},
        {"multipass", "transfer", "-", instance + ":/tmp/meshlab-istio/hosts"},
        vm_exec(instance, {"sudo", "dpkg", "-i", "/tmp/meshlab-istio/istio-sidecar-1.30.3-amd64.deb"}),
        vm_exec(instance, {"sudo", "sh", "-c", actions::vm_install_script()}),
        vm_exec(instance, {"sudo", "sh", "-c", actions::vm_hosts_script("istiod-1-30-3.istio-system.svc")}),
        vm_exec(instance, {"sudo", "systemctl", "enable", "istio"}),
        vm_exec(instance, {"sudo", "systemctl", "restart", "istio"}),
        vm_exec(instance, {"sudo", "rm", "-rf", "/tmp/meshlab-istio"}),
        lab.kubectl("east", {"get", "workloadentries", "-n", "httpbin", "-o", "json"}),
    };
    CHECK(argvs == expected);
    const auto calls = runner.calls();
    CHECK(calls[1].secret_output);                                   // the token never reaches a log
    CHECK(*calls[6].input == "eyJ.secret-token.sig\n");              // through stdin, not argv
    CHECK(calls[6].secret_input);
    CHECK(*calls[7].input == "127.0.20.7 istiod-1-30-3.istio-system.svc\n");
    CHECK(util::read_file(deb) == package_body);
    CHECK(util::read_file(deb.string() + ".sha256") ==
          net::sha256_hex(package_body) + "  " + server.url("/istio/1.30.3/deb/istio-sidecar.deb") + "\n");
    CHECK(run.facts.at("workload_entry") == "virt-01-127.0.10.9-virt-01-network");
    CHECK(run.facts.at("eastwest_address") == "127.0.20.7");
    CHECK(run.facts.at("package_sha256") == net::sha256_hex(package_body));
    CHECK(server.seen().size() == 1);

    SUBCASE("a second VM of the same architecture uses the cached package") {
      std::ostringstream log;
      const auto again = actions::cache_sidecar_package("1.30.3", "amd64", lab.state(), log);
      CHECK_FALSE(again.downloaded);
      CHECK(server.seen().size() == 1);
      CHECK(log.str().find("using cached") != std::string::npos);
    }
  }

  SUBCASE("a dry run shows every command with placeholders and downloads nothing") {
    auto ctx = lab.ctx();
    ctx.dry_run = true;
    plan::PlanBuilder builder;
    builder.add(plan::Step{.id = actions::ids::apps_sync(), .title = "apps", .run = [](plan::StepContext&) {}});
    builder.add(plan::Step{.id = actions::ids::vm("virt-01"), .title = "vm", .run = [](plan::StepContext&) {}});
    actions::add_vm_join_steps(builder, ctx);
    const auto dry = builder.build();
    test::RecordingRunner silent; // DryRunRunner's answer to everything: success, nothing printed
    test::run_step(dry, "vm/virt-01/join", silent, earlier);
    CHECK(server.seen().empty());
    const auto deb = lab.state() / "cache" / "istio-sidecar-1.30.3-amd64.deb";
    CHECK_FALSE(std::filesystem::exists(deb));
    CHECK(silent.count(vm_exec(instance, {"sudo", "dpkg", "-i", "/tmp/meshlab-istio/istio-sidecar-1.30.3-amd64.deb"})) ==
          1);
    bool hosts_shown = false;
    for (const auto& call : silent.calls())
      if (call.argv == Argv{"multipass", "transfer", "-", instance + ":/tmp/meshlab-istio/hosts"})
        hosts_shown = *call.input == "<east-west gateway address> istiod-1-30-3.istio-system.svc\n";
    CHECK(hosts_shown);
  }

  SUBCASE("a VM that has the package gets the files and a restart, but no download and no dpkg -i") {
    runner.on(vm_exec(instance, {"dpkg-query", "-W", "istio-sidecar"}), exec::Completed{.out = "istio-sidecar\t1.30.3\n"});
    script();
    test::run_step(plan, "vm/virt-01/join", runner, earlier);
    CHECK(runner.count(vm_exec(instance, {"sudo", "dpkg"})) == 0);
    CHECK(runner.count(vm_exec(instance, {"dpkg", "--print-architecture"})) == 0);
    CHECK(runner.count(vm_exec(instance, {"sudo", "systemctl", "restart", "istio"})) == 1);
    CHECK(server.seen().empty());
  }

  SUBCASE("an east-west gateway published by host name only is refused at once: /etc/hosts needs an IP") {
    runner.on(lab.kubectl("east", {"get", "service", "istio-eastwestgateway", "-o", "json", "-n", "istio-system"}),
              exec::Completed{.out = R"({"spec": {"type": "LoadBalancer"},
                                         "status": {"loadBalancer": {"ingress": [{"hostname": "eastwest-1.lb.example"}]}}})"});
    script(); // queued after the answer above
    CHECK_THROWS_WITH_AS(test::run_step(plan, "vm/virt-01/join", runner, earlier),
                         doctest::Contains("publishes the host name eastwest-1.lb.example and no IP"), Error);
    CHECK(runner.count({"multipass", "transfer"}) == 0);
  }

  SUBCASE("an architecture Istio does not publish is refused before anything is copied") {
    runner.on(vm_exec(instance, {"dpkg", "--print-architecture"}), exec::Completed{.out = "riscv64\n"});
    script();
    CHECK_THROWS_WITH_AS(test::run_step(plan, "vm/virt-01/join", runner, earlier),
                         doctest::Contains("runs on riscv64; Istio publishes the istio-sidecar package for amd64 "
                                           "and arm64 only"),
                         Error);
    CHECK(runner.count({"multipass", "transfer"}) == 0);
  }

  SUBCASE("a joined VM is confirmed by its service, its token and its WorkloadEntry") {
    script();
    const auto* step = plan.find("vm/virt-01/join");
    REQUIRE(step != nullptr);
    CHECK(step->verify(runner)); // every exec answers 0, the entry is listed
    CHECK(runner.count(checks_read) == 1);
    CHECK(runner.count({"multipass", "exec", "-n", instance, "--", "systemctl", "is-active"}) == 1);
    CHECK(runner.count({"multipass", "exec", "-n", instance, "--", "test", "-s"}) == 1);
    runner.on(vm_exec(instance, {"systemctl", "is-active", "--quiet", "istio"}), exec::Completed{.exit_code = 0});
    runner.on(vm_exec(instance, {"systemctl", "is-active", "--quiet", "istio"}), exec::Completed{.exit_code = 3});
    CHECK(step->verify(runner));
    CHECK_FALSE(step->verify(runner));
  }

  SUBCASE("a VM whose sidecar runs but whose entry is gone is joined again") {
    runner.on(checks_read, exec::Completed{.out = R"({"items": []})"});
    script();
    CHECK_FALSE(plan.find("vm/virt-01/join")->verify(runner));
  }
}

TEST_CASE("actions::vm_join helpers") {
  SUBCASE("the LoadBalancer address, else an external IP, else none") {
    CHECK(actions::service_address(nlohmann::json::parse(k_service_json)) == "127.0.20.7");
    CHECK(actions::service_address(nlohmann::json::parse(R"({"spec":{"externalIPs":["127.0.0.9"]}})")) ==
          "127.0.0.9");
    CHECK_FALSE(actions::service_address(nlohmann::json::parse(R"({"status":{"loadBalancer":{}}})")).has_value());
  }

  SUBCASE("the entry of the group at the VM's address") {
    const auto items = nlohmann::json::parse(entries_json("virt-01", "127.0.10.9"))["items"];
    CHECK(actions::registered_entry(items, "virt-01", "127.0.10.9").has_value());
    CHECK(actions::registered_entry(items, "virt-01", "").has_value());
    CHECK_FALSE(actions::registered_entry(items, "virt-01", "127.0.10.10").has_value());
    CHECK_FALSE(actions::registered_entry(items, "other", "").has_value());
  }

  SUBCASE("package URLs per architecture, the base overridable") {
    ::unsetenv("MESHLAB_ISTIO_DEB_URL_BASE");
    CHECK(actions::sidecar_package_url("1.30.3", "amd64") ==
          "https://storage.googleapis.com/istio-release/releases/1.30.3/deb/istio-sidecar.deb");
    CHECK(actions::sidecar_package_url("1.30.3", "arm64") ==
          "https://storage.googleapis.com/istio-release/releases/1.30.3/deb/istio-sidecar-arm64.deb");
    const test::ScopedEnv base("MESHLAB_ISTIO_DEB_URL_BASE", "http://127.0.0.1:9/mirror/");
    CHECK(actions::sidecar_package_url("1.29.0", "amd64") == "http://127.0.0.1:9/mirror/1.29.0/deb/istio-sidecar.deb");
    CHECK_THROWS_WITH_AS(actions::sidecar_package_url("1.29.0", "s390x"),
                         "Istio publishes no istio-sidecar package for architecture \"s390x\"; it does for amd64 and "
                         "arm64",
                         Error);
  }

  SUBCASE("hosts line and scripts name the revisioned istiod") {
    lab::Lab lab;
    lab.istio.revision = "1-30-3";
    CHECK(actions::vm_hosts_entry(lab, "127.0.20.7") == "127.0.20.7 istiod-1-30-3.istio-system.svc\n");
    lab.istio.revision.clear();
    CHECK(actions::istiod_host(lab) == "istiod.istio-system.svc");
    CHECK(actions::vm_hosts_script("istiod.istio-system.svc").find("grep -vF 'istiod.istio-system.svc' /etc/hosts") !=
          std::string::npos);
  }
}

#include "providers/docker.hpp"
#include "providers/registry_cache.hpp"

#include "support/loopback_http.hpp"
#include "support/recording_runner.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using exec::Argv;
using exec::Completed;

namespace {

int port_of(const test::LoopbackHttp& server) {
  const auto url = server.url("");
  return std::stoi(url.substr(url.rfind(':') + 1));
}

const Argv k_start{"docker", "start", "mesh-registry-docker-io"};

} // namespace

TEST_CASE("providers::RegistryCache") {
  test::LoopbackHttp registry([](const test::LoopbackHttp::Seen& seen) {
    return seen.request_line.rfind("GET /v2/ ", 0) == 0 ? std::pair{200, std::string("{}")}
                                                        : std::pair{404, std::string("{}")};
  });
  const providers::RegistryCacheSpec spec{"mesh-registry-docker-io", port_of(registry), "https://registry-1.docker.io"};
  test::RecordingRunner runner;
  providers::RegistryCache caches{runner};

  SUBCASE("an existing container is started, not created; ready once /v2/ answers") {
    runner.on(k_start, Completed{.out = "mesh-registry-docker-io\n"});
    caches.ensure(spec, runner);
    CHECK(runner.argvs() == std::vector<Argv>{k_start});
    REQUIRE_FALSE(registry.seen().empty());
    CHECK(registry.seen().back().request_line.rfind("GET /v2/ HTTP/1.1", 0) == 0);
  }
  SUBCASE("a missing container is created with the issue's docker run") {
    runner.on(k_start, Completed{.exit_code = 1,
                                 .err = "Error response from daemon: No such container: mesh-registry-docker-io\n"
                                        "Error: failed to start containers: mesh-registry-docker-io\n"});
    caches.ensure(spec, runner);
    const auto port = std::to_string(spec.port);
    CHECK(runner.argvs().back() == Argv{"docker", "run", "-d", "--restart", "always", "-p", port + ":5000", "-e",
                                        "REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io", "--name",
                                        "mesh-registry-docker-io", "registry:2"});
  }
  SUBCASE("any other start failure is reported, and nothing is created") {
    runner.on(k_start,
              Completed{.exit_code = 1, .err = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock"});
    CHECK_THROWS_AS(caches.ensure(spec, runner), CommandError);
    CHECK(runner.count({"docker", "run"}) == 0);
  }
  SUBCASE("a cache that never answers times out naming what was awaited") {
    test::LoopbackHttp broken([](const test::LoopbackHttp::Seen&) { return std::pair{503, std::string("no")}; });
    auto down = spec;
    down.port = port_of(broken);
    const auto expected = "waiting for registry cache mesh-registry-docker-io to answer on http://127.0.0.1:" +
                          std::to_string(down.port) + "/v2/";
    CHECK_THROWS_WITH_AS(caches.ensure(down, runner, std::chrono::milliseconds(300)),
                         doctest::Contains(expected.c_str()), Error);
  }
  SUBCASE("joins the kind network only when docker says it is not on it") {
    const Argv inspect{"docker",      "inspect", "--type", "container", "-f", "{{json .NetworkSettings.Networks.kind}}",
                       spec.container};
    runner.on(inspect, Completed{.out = "null\n"});
    CHECK(caches.join_network(spec.container, "kind", runner));
    CHECK(runner.argvs().back() == Argv{"docker", "network", "connect", "kind", spec.container});

    test::RecordingRunner joined;
    joined.on(inspect, Completed{.out = R"({"IPAddress":"172.18.0.5","NetworkID":"abc"})"});
    CHECK_FALSE(providers::RegistryCache(joined).join_network(spec.container, "kind", joined));
    CHECK(joined.count({"docker", "network"}) == 0);
  }
  SUBCASE("existing and destroy touch only the named containers that exist") {
    runner.on_prefix({"docker", "inspect"}, Completed{.out = "true\n"});
    runner.on({"docker", "inspect", "--type", "container", "-f", "{{.State.Running}}", "mesh-registry-quay-io"},
              Completed{.exit_code = 1, .err = "Error: No such container: mesh-registry-quay-io\n"});
    CHECK(caches.existing({spec.container, "mesh-registry-quay-io"}) == std::vector<std::string>{spec.container});
    caches.destroy({spec.container, "mesh-registry-quay-io"});
    CHECK(runner.count({"docker", "rm"}) == 1);
    CHECK(runner.argvs().back() == Argv{"docker", "rm", "-f", "-v", spec.container});
  }
}

TEST_CASE("providers::docker") {
  test::RecordingRunner runner;

  SUBCASE("the IPv4 subnet of a dual-stack network") {
    runner.on(
        {"docker", "network", "inspect", "-f", "{{json .IPAM.Config}}", "kind"},
        Completed{.out = R"([{"Subnet":"fc00:f853:ccd:e793::/64"},{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}])"
                         "\n"});
    CHECK(providers::docker::network_ipv4_subnet(runner, "kind").str() == "172.18.0.0/16");
  }
  SUBCASE("a network without IPv4 or with junk output is a clear error") {
    runner.on({"docker", "network", "inspect", "-f", "{{json .IPAM.Config}}", "kind"},
              Completed{.out = R"([{"Subnet":"fc00:f853:ccd:e793::/64"}])"});
    CHECK_THROWS_WITH_AS(providers::docker::network_ipv4_subnet(runner, "kind"), doctest::Contains("no IPv4 subnet"),
                         Error);
    test::RecordingRunner junk;
    junk.on_prefix({"docker", "network", "inspect"}, Completed{.out = "Template parsing error"});
    CHECK_THROWS_WITH_AS(providers::docker::network_ipv4_subnet(junk, "kind"),
                         doctest::Contains("unexpected output from `docker network inspect"), Error);
  }
  SUBCASE("a file goes into a container through stdin, after mkdir -p") {
    providers::docker::write_file(runner, "mesh-east-worker", "/etc/containerd/certs.d/docker.io/hosts.toml",
                                  "x = 1\n");
    CHECK(runner.argvs() ==
          std::vector<Argv>{{"docker", "exec", "mesh-east-worker", "mkdir", "-p", "/etc/containerd/certs.d/docker.io"},
                            {"docker", "exec", "-i", "mesh-east-worker", "cp", "/dev/stdin",
                             "/etc/containerd/certs.d/docker.io/hosts.toml"}});
    CHECK(runner.calls().back().input == "x = 1\n");
  }
  SUBCASE("connect treats 'already exists in network' as done") {
    runner.on_prefix({"docker", "network", "connect"},
                     Completed{.exit_code = 1,
                               .err = "Error response from daemon: endpoint with name mesh-registry-docker-io "
                                      "already exists in network kind"});
    CHECK_NOTHROW(providers::docker::connect(runner, "kind", "mesh-registry-docker-io"));
  }
}

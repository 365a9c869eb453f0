// The docker commands meshlab needs besides kind's own (registry caches, files in kind
// nodes, the `kind` network), in one place: ../shared/contracts/docker-registry.md and kind.md.
#pragma once

#include "exec/runner.hpp"
#include "util/net.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::providers::docker {

// How to get docker, for "not installed" messages.
inline constexpr std::string_view k_install_hint =
    "install Docker (https://docs.docker.com/engine/install/) and start it";

// nullopt when there is no container `name`; otherwise whether it is running
// (`docker inspect --type container -f '{{.State.Running}}' NAME`). Throws on other failures.
std::optional<bool> container_running(exec::Runner& runner, const std::string& name);

// nullopt when there is no container `name`; otherwise docker's word for its state
// ("running", "exited", "created", "paused", "restarting", "dead"), from `docker inspect
// --type container -f '{{.State.Status}}' NAME`. Throws on other failures and odd output.
std::optional<std::string> container_state(exec::Runner& runner, const std::string& name);

// A container as `docker ps` lists it.
struct ContainerSummary {
  std::string name;
  std::string state;                 // "running", "exited", "created", "paused", ...
  std::vector<std::string> networks; // the networks it is attached to
};

// Every container on the host, running or not, in one call: `docker ps -a --format
// '{{.Names}}\t{{.State}}\t{{.Networks}}'`. Throws CommandError when docker fails,
// meshlab::Error on a line without a name and a state.
std::vector<ContainerSummary> list_containers(exec::Runner& runner);

// Whether container `name` is attached to docker network `network` (kind's own check:
// `docker inspect -f '{{json .NetworkSettings.Networks.<network>}}'` prints null when not).
// Throws meshlab::Error when the container does not exist or the output is not JSON.
bool on_network(exec::Runner& runner, const std::string& container, const std::string& network);

// `docker network connect NETWORK CONTAINER`; already connected counts as success.
void connect(exec::Runner& runner, const std::string& network, const std::string& container);

// The IPv4 subnet of docker network `network` (`docker network inspect -f '{{json .IPAM.Config}}'`).
// Throws meshlab::Error when the network is missing or has no IPv4 subnet.
util::Cidr network_ipv4_subnet(exec::Runner& runner, const std::string& network);

// Writes `content` to `path` inside container `container` (root-owned): `docker exec C mkdir -p
// DIR`, then `docker exec -i C cp /dev/stdin PATH` with the content on stdin.
void write_file(exec::Runner& runner, const std::string& container, const std::string& path,
                const std::string& content);

// The concatenated contents of `paths` in `container` (`docker exec C cat P...`); nullopt
// when one cannot be read.
std::optional<std::string> read_files(exec::Runner& runner, const std::string& container,
                                      const std::vector<std::string>& paths);

// `docker rm -f -v NAME` (with its anonymous volumes); a missing container counts as removed.
// Throws CommandError on other failures.
void remove_container(exec::Runner& runner, const std::string& name);

} // namespace meshlab::providers::docker

// The lab's pull-through registry caches: one `registry:2` container per upstream registry
// (a proxy mirrors only one upstream), kept across `delete` unless asked, as
// ../shared/contracts/docker-registry.md describes them. Not a Provider: it makes no machines.
#pragma once

#include "exec/runner.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace meshlab::providers {

struct RegistryCacheSpec {
  std::string container; // lab::Lab::registry_container(host): "mesh-registry-docker-io"
  int port = 0;          // host port, published on every host address
  std::string upstream;  // REGISTRY_PROXY_REMOTEURL: "https://registry-1.docker.io"
};

// The URL the host reaches a cache at: http://127.0.0.1:<port>.
std::string registry_cache_url(int port);

// True when GET http://127.0.0.1:<port>/v2/ answers 200 right now (a refused or failed
// connection is false, not an error).
bool registry_cache_answers(int port);

// Whether ensure waits for /v2/ to answer (skip: a dry run, where nothing listens).
enum class Readiness { await, skip };

class RegistryCache {
public:
  explicit RegistryCache(exec::Runner& runner) : m_runner(runner) {}

  // Docker on PATH and its daemon answering; meshlab::Error with an install hint otherwise.
  void check_available();

  // `docker start NAME`, or, when there is no such container, `docker run -d --restart always
  // -p PORT:5000 -e REGISTRY_PROXY_REMOTEURL=URL --name NAME registry:2`; then waits until
  // /v2/ answers on 127.0.0.1:PORT (unless `readiness` is skip). Throws on failure or after
  // `timeout`.
  void ensure(const RegistryCacheSpec& spec, exec::Runner& runner,
              std::chrono::milliseconds timeout = std::chrono::minutes(2), Readiness readiness = Readiness::await);

  // Joins `container` to docker network `network` unless it is on it already (kind's own
  // check); true when it connected.
  bool join_network(const std::string& container, const std::string& network, exec::Runner& runner);

  // Which of `names` exist as containers (running or not).
  std::vector<std::string> existing(const std::vector<std::string>& names);
  // Removes the containers `names` that exist (`docker rm -f -v`). Throws naming the ones left.
  void destroy(const std::vector<std::string>& names);

  static constexpr std::chrono::minutes k_run_timeout{10}; // pulls registry:2 the first time

private:
  exec::Runner& m_runner;
};

} // namespace meshlab::providers

#include "providers/registry_cache.hpp"

#include "exec/check.hpp"
#include "net/http.hpp"
#include "providers/docker.hpp"
#include "providers/tool.hpp"
#include "util/error.hpp"
#include "util/wait.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace meshlab::providers {

namespace {

constexpr std::string_view k_image = "registry:2";
constexpr int k_container_port = 5000; // registry:2 listens there (contract)

} // namespace

std::string registry_cache_url(int port) { return fmt::format("http://127.0.0.1:{}", port); }

bool registry_cache_answers(int port) {
  try {
    net::Request request;
    request.url = registry_cache_url(port) + "/v2/";
    request.timeout = std::chrono::seconds(2);
    return net::fetch(request).status == 200;
  } catch (const Interrupted&) {
    throw;
  } catch (const Error&) {
    return false; // not listening yet
  }
}

void RegistryCache::check_available() {
  // Prints the server version only when the daemon answers; exits 1 otherwise.
  const auto cmd = command({"docker", "version", "--format", "{{.Server.Version}}"}, std::chrono::seconds(30));
  const auto done = run_tool(m_runner, cmd, docker::k_install_hint);
  if (done.exit_code != 0 || done.timed_out)
    throw Error(fmt::format("the Docker daemon does not answer (`docker version` exited with status {}): {}; {}",
                            done.exit_code, exec::last_lines(done.err, 2), docker::k_install_hint));
}

void RegistryCache::ensure(const RegistryCacheSpec& spec, exec::Runner& runner, std::chrono::milliseconds timeout,
                           Readiness readiness) {
  const auto start = command({"docker", "start", spec.container});
  const auto started = run_tool(runner, start, docker::k_install_hint);
  if (started.exit_code != 0 || started.timed_out) {
    // Only a missing container is created; any other failure (port taken, daemon gone) is reported.
    if (started.err.find("No such container") == std::string::npos) throw_command_error(start, started);
    // -p PORT:5000 publishes on every host address (docker's default), not only 127.0.0.1:
    // multipass VMs pull through the cache at the host's address on their network, and a
    // VM is not on the docker network (contract docker-registry.md). kind nodes use the
    // container name on the `kind` network instead.
    exec::check(
        runner,
        command({"docker", "run", "-d", "--restart", "always", "-p", fmt::format("{}:{}", spec.port, k_container_port),
                 "-e", "REGISTRY_PROXY_REMOTEURL=" + spec.upstream, "--name", spec.container, std::string(k_image)},
                k_run_timeout));
  }
  if (readiness == Readiness::skip) return;
  util::wait_until(
      util::Clock::now() + timeout, std::chrono::milliseconds(100), [&] { return registry_cache_answers(spec.port); },
      fmt::format("registry cache {} to answer on {}/v2/", spec.container, registry_cache_url(spec.port)));
}

bool RegistryCache::join_network(const std::string& container, const std::string& network, exec::Runner& runner) {
  if (docker::on_network(runner, container, network)) return false;
  docker::connect(runner, network, container);
  return true;
}

std::vector<std::string> RegistryCache::existing(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names)
    if (docker::container_running(m_runner, name).has_value()) out.push_back(name);
  return out;
}

void RegistryCache::destroy(const std::vector<std::string>& names) {
  std::vector<std::string> failures;
  for (const auto& name : existing(names)) {
    try {
      docker::remove_container(m_runner, name);
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      failures.push_back(fmt::format("{} ({})", name, e.what()));
    }
  }
  if (!failures.empty())
    throw Error(fmt::format("could not remove registry cache container{} {}", failures.size() == 1 ? "" : "s",
                            fmt::join(failures, "; ")));
}

} // namespace meshlab::providers

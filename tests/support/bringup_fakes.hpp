// Helpers for the bring-up tests that run against tests/fakes (with FakeTools of
// fake_tools.hpp on PATH): kind clusters made with the fake kind and a kubeconfig written the
// way meshlab keeps one per cluster, and a background process (argocd_api.py) whose first
// stdout line is read.
#pragma once

#include "exec/check.hpp"
#include "exec/posix_runner.hpp"
#include "support/fake_tools.hpp"
#include "kube/kubeconfig.hpp"
#include "util/files.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ; // NOLINT: POSIX declares it nowhere

namespace meshlab::test {

// Runs `argv` (found on the fakes-first PATH FakeTools sets); throws CommandError unless it
// exits 0.
inline exec::Completed run_checked(exec::Runner& runner, const exec::Argv& argv,
                                   const std::optional<std::string>& input = std::nullopt) {
  return exec::check(runner, exec::Command{.argv = argv, .input = input});
}

// Creates kind cluster `name` with the fake kind and writes `kubeconfig` holding one context
// `name` (as the cluster/<c>/kubeconfig step does). Returns its --internal API URL.
inline std::string create_kind_cluster(exec::Runner& runner, const std::string& name,
                                       const std::filesystem::path& kubeconfig) {
  run_checked(runner, {"kind", "create", "cluster", "--name", name, "--kubeconfig", kubeconfig.string() + ".kind"});
  const auto config =
      kube::Kubeconfig::parse(run_checked(runner, {"kind", "get", "kubeconfig", "--name", name}).out, name);
  util::write_file_atomic(kubeconfig, config.extract("kind-" + name, name).dump(), std::filesystem::perms(0600));
  const auto internal = kube::Kubeconfig::parse(
      run_checked(runner, {"kind", "get", "kubeconfig", "--internal", "--name", name}).out, name);
  return internal.server("kind-" + name).value_or("");
}

// A program left running in the background with pipes on stdin and stdout; on destruction
// its stdin is closed, it gets SIGTERM and is reaped.
class BackgroundProcess {
public:
  explicit BackgroundProcess(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int error = ::posix_spawnp(&m_pid, args[0], &actions, nullptr, args.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    m_stdin = in[1];
    m_stdout = out[0];
    if (error != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~BackgroundProcess() {
    ::close(m_stdin);
    ::kill(m_pid, SIGTERM);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(m_stdout);
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // The next line on its stdout, without the newline; throws after `timeout`.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto end = m_buffer.find('\n'); end != std::string::npos) {
        auto line = m_buffer.substr(0, end);
        m_buffer.erase(0, end + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd fd{m_stdout, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0)
        throw std::runtime_error("no line from the background process in time");
      char chunk[256];
      const auto n = ::read(m_stdout, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the background process closed its stdout");
      m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

private:
  pid_t m_pid = -1;
  int m_stdin = -1;
  int m_stdout = -1;
  std::string m_buffer;
};

} // namespace meshlab::test

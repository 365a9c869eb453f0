// Runs the real `kubectl create --dry-run=client` on rendered manifests, against
// tests/support/fake_apiserver.py (discovery only, 127.0.0.1, ephemeral port), so a
// manifest kubectl would reject fails a test without any cluster.
#pragma once

#include "support/temp_dir.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace meshlab::test {

// The first executable named `name` on PATH.
inline std::optional<std::filesystem::path> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

struct ProcessResult {
  int exit_code = -1;
  std::string output; // stdout and stderr, interleaved
};

// A child with stdin and stdout(+stderr) on pipes; never a shell.
class Child {
public:
  explicit Child(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawnp(&m_pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    m_in = in[1];
    m_out = out[0];
    if (rc != 0) {
      close_input();
      ::close(m_out);
      throw std::runtime_error("cannot spawn " + argv[0]);
    }
  }
  ~Child() {
    close_input();
    if (m_out >= 0) ::close(m_out);
    if (m_pid > 0) wait();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void close_input() {
    if (m_in >= 0) ::close(m_in);
    m_in = -1;
  }
  // One line of output (without the newline); empty at EOF.
  std::string read_line() {
    std::string line;
    char c;
    while (::read(m_out, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }
  std::string read_all() {
    std::string out;
    char buffer[4096];
    for (;;) {
      const auto n = ::read(m_out, buffer, sizeof buffer);
      if (n > 0)
        out.append(buffer, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        break;
    }
    return out;
  }
  int wait() {
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

private:
  pid_t m_pid = -1;
  int m_in = -1;
  int m_out = -1;
};

inline ProcessResult run_process(const std::vector<std::string>& argv) {
  Child child(argv);
  child.close_input();
  ProcessResult result;
  result.output = child.read_all();
  result.exit_code = child.wait();
  return result;
}

// fake_apiserver.py for as long as this object lives, plus a kubeconfig pointing at it.
class FakeApiServer {
public:
  explicit FakeApiServer(const std::filesystem::path& script) : m_child({"python3", script.string()}) {
    const auto line = m_child.read_line();
    if (line.rfind("PORT ", 0) != 0) throw std::runtime_error("fake_apiserver.py did not start: " + line);
    m_port = std::stoi(line.substr(5));
    std::ofstream(m_dir / "kubeconfig") << "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n"
                                        << "    server: http://127.0.0.1:" << m_port << "\n"
                                        << "users:\n- name: fake\n  user: {}\ncontexts:\n- name: fake\n  context:\n"
                                        << "    cluster: fake\n    user: fake\ncurrent-context: fake\n";
  }
  // Closing stdin tells the server to shut down; ~Child reaps it.
  ~FakeApiServer() { m_child.close_input(); }

  int port() const { return m_port; }

  // `kubectl create --dry-run=client --validate=false -o yaml -R -f PATH` against this server.
  ProcessResult kubectl_create(const std::filesystem::path& kubectl, const std::filesystem::path& manifests) const {
    return run_process({kubectl.string(), "--kubeconfig", (m_dir / "kubeconfig").string(), "--cache-dir",
                        (m_dir / "cache").string(), "create", "--dry-run=client", "--validate=false", "-o", "yaml",
                        "-R", "-f", manifests.string()});
  }

private:
  TempDir m_dir;
  Child m_child;
  int m_port = 0;
};

} // namespace meshlab::test

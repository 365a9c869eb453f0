// The fake tools of tests/fakes/ for one test: first on PATH, their state and HOME in a temp
// dir, the environment restored afterwards; and a runner that runs for real but remembers
// every argv, to assert what did or did not run.
#pragma once

#include "exec/posix_runner.hpp"
#include "support/temp_dir.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meshlab::test {

inline const std::string k_fakes = std::string(MESHLAB_SOURCE_DIR) + "/tests/fakes";

// Puts the fakes first on PATH with their state and HOME in a temp dir for one test case, and
// restores the environment afterwards (posix_spawnp searches this process's PATH).
class FakeTools {
public:
  FakeTools() {
    for (const char* name : {"PATH", "HOME", "KUBECONFIG", "MESHLAB_FAKE_STATE", "MESHLAB_FAKE_LATENCY"}) {
      const char* value = std::getenv(name);
      m_saved.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    std::filesystem::create_directories(m_dir / "home");
    ::setenv("PATH", (k_fakes + ":" + std::getenv("PATH")).c_str(), 1);
    ::setenv("HOME", (m_dir / "home").c_str(), 1);
    ::setenv("MESHLAB_FAKE_STATE", (m_dir / "fake-state").c_str(), 1);
    ::unsetenv("KUBECONFIG");
    ::unsetenv("MESHLAB_FAKE_LATENCY");
  }
  ~FakeTools() {
    for (const auto& [name, value] : m_saved) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  const std::filesystem::path& dir() const { return m_dir.path(); }
  std::filesystem::path home() const { return m_dir / "home"; }

private:
  test::TempDir m_dir;
  std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

// The real runner, remembering every argv (to assert what did or did not run).
class Passthrough : public exec::Runner {
public:
  exec::Completed run(const exec::Command& cmd) override {
    {
      const std::lock_guard lock(m_mutex);
      m_argvs.push_back(cmd.argv);
    }
    return m_real.run(cmd);
  }
  std::size_t count(const exec::Argv& prefix) const {
    const std::lock_guard lock(m_mutex);
    std::size_t n = 0;
    for (const auto& argv : m_argvs)
      if (argv.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), argv.begin())) ++n;
    return n;
  }

private:
  exec::PosixRunner m_real;
  mutable std::mutex m_mutex;
  std::vector<exec::Argv> m_argvs;
};

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace meshlab::test

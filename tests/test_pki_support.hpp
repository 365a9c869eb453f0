// Helpers shared by the pki tests: a small lab::Ca, file reads, and running the real
// `openssl` CLI (a second opinion on what OpenSSL's API says) without a shell.
#pragma once

#include "lab/model.hpp"
#include "util/files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace meshlab::test {

// ECDSA P-256 unless a case is about the key type: generating it takes well under a
// millisecond, while RSA 2048 takes ~50 ms and RSA 4096 (the lab default) about a second.
inline lab::Ca small_ca(std::string key_type = "ecdsa", int key_size = 256) {
  lab::Ca ca;
  ca.key_type = std::move(key_type);
  ca.key_size = key_size;
  return ca;
}

inline std::optional<std::filesystem::path> find_program(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
  }
  return std::nullopt;
}

struct ToolRun {
  int exit_code = -1;
  std::string output; // stdout and stderr together
};

// Runs `argv` (argv[0] looked up on PATH) and waits for it; no shell involved.
inline ToolRun run_tool(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  ToolRun run;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) run.output.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  if (rc != 0) return run;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// Every regular file under `dir`, relative path → content.
inline std::vector<std::pair<std::string, std::string>> snapshot(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file())
      files.emplace_back(std::filesystem::relative(entry.path(), dir).string(), util::read_file(entry.path()));
  std::sort(files.begin(), files.end());
  return files;
}

inline std::filesystem::perms mode_of(const std::filesystem::path& path) {
  return std::filesystem::status(path).permissions() & std::filesystem::perms::all;
}

} // namespace meshlab::test

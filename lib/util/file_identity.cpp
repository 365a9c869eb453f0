#include "util/file_identity.hpp"

#include <sys/stat.h>

#include <charconv>
#include <chrono>

namespace meshlab::util {

namespace {

// Far longer than any clock tick file times use, short enough that a file written by
// one run is trusted by the next run a user starts.
constexpr auto k_settle = std::chrono::seconds(2);

long long nanoseconds(const struct timespec& t) {
  return static_cast<long long>(t.tv_sec) * 1'000'000'000LL + t.tv_nsec;
}

} // namespace

std::optional<std::string> stable_file_identity(const std::filesystem::path& path,
                                                std::chrono::system_clock::time_point now) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  // A change time in the future (clock stepped back) is as untrustworthy as a recent one.
  if (now_ns - nanoseconds(st.st_ctim) < std::chrono::nanoseconds(k_settle).count()) return std::nullopt;
  // By hand rather than with fmt: a re-render of a big lab asks for thousands of these.
  std::string identity;
  identity.reserve(96);
  char buffer[24];
  for (const long long part : {static_cast<long long>(st.st_dev), static_cast<long long>(st.st_ino),
                               static_cast<long long>(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)}) {
    if (!identity.empty()) identity += ':';
    identity.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, part).ptr);
  }
  return identity;
}

} // namespace meshlab::util

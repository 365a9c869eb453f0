// A file's identity as the file system tells it (device, inode, size, modification and
// status-change times), so a record of it can stand for the file's content, as git's
// index does: a check that stats a thousand files instead of reading and hashing them.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace meshlab::util {

// "dev:ino:size:mtime:ctime" (times in nanoseconds), one word without blanks, for record
// files. Writing, truncating, replacing or renaming over the file changes it; the
// status-change time cannot be set by a user. std::nullopt when `path` cannot be stat'ed,
// and while the file changed too recently for its times to tell changes apart (they tick
// with the kernel's coarse clock, so a second write within the tick could keep them): a
// caller then reads the content and asks again later.
// `now` is the clock's, except in tests.
std::optional<std::string> stable_file_identity(
    const std::filesystem::path& path, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

} // namespace meshlab::util

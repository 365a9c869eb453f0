// Small file-system helpers that knows nothing about labs: whole-file reads and
// atomic writes, so an interrupted run never leaves a half-written file behind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace meshlab::util {

// Returns the whole file; throws meshlab::Error naming the path when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Whether `path` is a regular file with permission bits `mode` that holds exactly
// `content`; false when it cannot be read. Costs one open and fstat, and the content is
// read only when the size matches: a re-render checks thousands of files this way.
bool file_holds(const std::filesystem::path& path, std::string_view content, std::filesystem::perms mode);

// Writes `content` to `path` through a temporary file in the same directory, fsync and
// rename, creating parent directories. The file gets `mode` from its creation on, so a
// private key is never readable by others, not even briefly. Throws meshlab::Error.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       std::filesystem::perms mode = std::filesystem::perms(0644));

} // namespace meshlab::util

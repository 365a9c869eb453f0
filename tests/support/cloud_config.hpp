// Helpers for tests that read rendered cloud-init user-data: find a write_files entry,
// decode its content, and run the real `cloud-init schema` validator on it.
#pragma once

#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace meshlab::test {

// The write_files entry for `path`, or an undefined node.
inline YAML::Node write_files_entry(const YAML::Node& user_data, const std::string& path) {
  for (const auto& entry : user_data["write_files"])
    if (entry["path"].as<std::string>() == path) return entry;
  return YAML::Node{YAML::NodeType::Undefined};
}

inline std::string base64_decode(const std::string& text) {
  static const std::string k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char ch : text) {
    if (ch == '=') break;
    const auto value = k_alphabet.find(ch);
    if (value == std::string::npos) throw std::runtime_error("not base64");
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

// The decoded content of write_files entry `path` (b64 or plain), or nullopt.
inline std::optional<std::string> written_content(const YAML::Node& user_data, const std::string& path) {
  const auto entry = write_files_entry(user_data, path);
  if (!entry) return std::nullopt;
  const auto content = entry["content"].as<std::string>();
  if (entry["encoding"] && entry["encoding"].as<std::string>() == "b64") return base64_decode(content);
  return content;
}

// Runs `cloud-init schema --config-file` on `content` (named `name` in failures) and
// checks it passes. Returns false, with a loud warning, when cloud-init is not installed.
inline bool check_cloud_init_schema(const std::string& content, const std::string& name) {
  if (!on_path("cloud-init")) {
    MESSAGE("SKIPPED: cloud-init is not installed (Debian package cloud-init; `make deps` installs it); "
            "not validating "
            << name);
    return false;
  }
  TempDir dir;
  const auto file = dir / "user-data.yaml";
  util::write_file_atomic(file, content);
  const auto result = run({"cloud-init", "schema", "--config-file", file.string()});
  CAPTURE(name);
  CAPTURE(result.output);
  CHECK(result.exit_code == 0);
  return true;
}

} // namespace meshlab::test

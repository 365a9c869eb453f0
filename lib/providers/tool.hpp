// What every provider does with its tool: build a command with a timeout, say how to install
// the tool when it is missing, and read its JSON output without ever crashing on surprises.
#pragma once

#include "exec/runner.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace meshlab::providers {

// A command with `timeout` (short by default: most tool calls are queries).
exec::Command command(exec::Argv argv, std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs `cmd`. When its program cannot be started, throws meshlab::Error
// "<program> is not installed or not on PATH (<why>); <install_hint>". Interrupted passes through.
exec::Completed run_tool(exec::Runner& runner, const exec::Command& cmd, std::string_view install_hint);

// Throws the CommandError exec::check would have thrown for `cmd` ending as `done`.
[[noreturn]] void throw_command_error(const exec::Command& cmd, const exec::Completed& done);

// Throws meshlab::Error "unexpected output from `<argv>`: <what>" — for tool output that does
// not have the shape the contract describes.
[[noreturn]] void unexpected_output(const exec::Argv& argv, std::string_view what);

// `text` parsed as JSON; unexpected_output when it is not JSON.
nlohmann::json parse_json_output(const std::string& text, const exec::Argv& argv);

// The non-empty lines of `text`, without surrounding blanks.
std::vector<std::string> output_lines(std::string_view text);

} // namespace meshlab::providers

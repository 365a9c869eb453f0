// The exceptions meshlab throws; cli/main.cpp catches them once and maps them to exit codes.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace meshlab {

// A failure with a complete, user-facing message (printed as "meshlab: error: <what>").
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Bad command-line usage; exit code 2.
class UsageError : public Error {
public:
  using Error::Error;
};

// One problem in a lab file: where, what, and how to fix it.
struct Diagnostic {
  std::string file;
  int line = 0;   // 1-based; 0 when unknown
  int column = 0; // 1-based; 0 when unknown
  std::string message; // "clusters.east.network: \"net-2\" is not declared"
  std::string hint;    // "declared networks: net-1, net-3"; may be empty

  // "FILE:LINE:COLUMN: error: MESSAGE" (line/column left out when unknown).
  std::string headline() const;
  bool operator==(const Diagnostic&) const = default;
};

// Every problem found in a lab file, reported together; exit code 2.
class LabError : public Error {
public:
  explicit LabError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return m_diagnostics; }

private:
  std::vector<Diagnostic> m_diagnostics;
};

// A subprocess that had to succeed and did not.
class CommandError : public Error {
public:
  CommandError(std::vector<std::string> argv, int exit_code, std::chrono::milliseconds elapsed,
               std::string output, bool timed_out = false);
  const std::vector<std::string>& argv() const { return m_argv; }
  int exit_code() const { return m_exit_code; }
  std::chrono::milliseconds elapsed() const { return m_elapsed; }
  const std::string& output() const { return m_output; }
  bool timed_out() const { return m_timed_out; }

private:
  std::vector<std::string> m_argv;
  int m_exit_code;
  std::chrono::milliseconds m_elapsed;
  std::string m_output;
  bool m_timed_out;
};

// The user pressed Ctrl-C (or the process got SIGTERM); exit code 130.
class Interrupted : public Error {
public:
  Interrupted() : Error("interrupted") {}
};

} // namespace meshlab

// The three forms of a verify Report: lines for people, a JSON document for scripts, and
// JUnit XML for CI (one testsuite "meshlab verify", one testcase per result).
#pragma once

#include "verify/run.hpp"

#include <ostream>
#include <string>
#include <string_view>

namespace meshlab::verify {

std::string_view to_string(Outcome outcome); // "pass", "fail", "skip"

// One line per result ("pass  nodes  cluster/one  1/1 nodes Ready"), failures followed by
// their evidence ("  $ command" and its deciding lines), then a totals line.
void print_text(const Report& report, std::ostream& out);

// {"lab", "passed", "elapsed_ms", "totals": {results, passed, failed, skipped},
//  "checks": [{"id", "title", "elapsed_ms", "results": [{"check", "subject", "outcome",
//  "message", "elapsed_ms", "evidence": [{"command", "lines"}]}]}]}
std::string to_json(const Report& report);

// JUnit XML as Jenkins and GitLab read it: <testsuites> holding one <testsuite name="meshlab
// verify" tests failures errors skipped time timestamp>, one <testcase classname="<check>"
// name="<subject>" time> per result, with <failure message type> holding the evidence,
// <skipped message>, or <system-out> with the evidence of a pass.
std::string to_junit(const Report& report);

// `text` made safe for XML character data and attribute values: & < > " ' escaped, tab,
// newline and carriage return as character references (attributes keep them), other
// control characters and invalid UTF-8 bytes replaced by U+FFFD.
std::string xml_escape(std::string_view text);

} // namespace meshlab::verify

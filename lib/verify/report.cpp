#include "verify/report.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace meshlab::verify {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
  case Outcome::pass: return "pass";
  case Outcome::fail: return "fail";
  case Outcome::skip: return "skip";
  }
  return "fail";
}

namespace {

std::string seconds(std::chrono::milliseconds ms) { return fmt::format("{:.3f}", static_cast<double>(ms.count()) / 1000.0); }

std::string duration(std::chrono::milliseconds ms) {
  if (ms < std::chrono::seconds(60)) return fmt::format("{:.1f}s", static_cast<double>(ms.count()) / 1000.0);
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(ms).count();
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

std::string evidence_text(const std::vector<Evidence>& evidence, std::string_view indent) {
  std::string out;
  for (const auto& e : evidence) {
    out += fmt::format("{}$ {}\n", indent, e.command);
    for (const auto& line : e.lines) out += fmt::format("{}  {}\n", indent, line);
  }
  return out;
}

} // namespace

void print_text(const Report& report, std::ostream& out) {
  std::size_t id_width = 0, subject_width = 0;
  for (const auto& check : report.checks)
    for (const auto& r : check.results) {
      id_width = std::max(id_width, r.check.size());
      subject_width = std::max(subject_width, r.subject.size());
    }
  for (const auto& check : report.checks)
    for (const auto& r : check.results) {
      const auto word = r.outcome == Outcome::fail ? std::string("FAIL") : std::string(to_string(r.outcome));
      out << fmt::format("{:<4}  {:<{}}  {:<{}}  {}\n", word, r.check, id_width, r.subject, subject_width, r.message);
      if (r.outcome == Outcome::fail) out << evidence_text(r.evidence, "      ");
    }
  const auto t = report.totals();
  out << fmt::format("\nverify {}: {} passed, {} failed, {} skipped in {}\n", report.lab, t.passed, t.failed, t.skipped,
                     duration(report.elapsed));
}

std::string to_json(const Report& report) {
  const auto t = report.totals();
  nlohmann::ordered_json doc;
  doc["lab"] = report.lab;
  doc["passed"] = report.passed();
  doc["elapsed_ms"] = report.elapsed.count();
  doc["totals"] = {{"results", t.results}, {"passed", t.passed}, {"failed", t.failed}, {"skipped", t.skipped}};
  doc["checks"] = nlohmann::ordered_json::array();
  for (const auto& check : report.checks) {
    nlohmann::ordered_json c;
    c["id"] = check.id;
    c["title"] = check.title;
    c["elapsed_ms"] = check.elapsed.count();
    c["results"] = nlohmann::ordered_json::array();
    for (const auto& r : check.results) {
      nlohmann::ordered_json one;
      one["check"] = r.check;
      one["subject"] = r.subject;
      one["outcome"] = to_string(r.outcome);
      one["message"] = r.message;
      one["elapsed_ms"] = r.elapsed.count();
      one["evidence"] = nlohmann::ordered_json::array();
      for (const auto& e : r.evidence) one["evidence"].push_back({{"command", e.command}, {"lines", e.lines}});
      c["results"].push_back(std::move(one));
    }
    doc["checks"].push_back(std::move(c));
  }
  // Replace, not throw, on bytes that are not UTF-8 (tool output is not guaranteed to be).
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

namespace {

// Length of the valid UTF-8 sequence starting at text[i], 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  std::size_t n = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3;
  else if (c >= 0xF0 && c <= 0xF4) n = 4;
  else return 0;
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  // Overlong forms, surrogates and code points past U+10FFFF.
  if (c == 0xE0 && byte(i + 1) < 0xA0) return 0;
  if (c == 0xED && byte(i + 1) > 0x9F) return 0;
  if (c == 0xF0 && byte(i + 1) < 0x90) return 0;
  if (c == 0xF4 && byte(i + 1) > 0x8F) return 0;
  return n;
}

} // namespace

std::string xml_escape(std::string_view text) {
  static constexpr std::string_view k_replacement = "\xEF\xBF\xBD"; // U+FFFD
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
    case '&': out += "&amp;"; ++i; continue;
    case '<': out += "&lt;"; ++i; continue;
    case '>': out += "&gt;"; ++i; continue;
    case '"': out += "&quot;"; ++i; continue;
    case '\'': out += "&apos;"; ++i; continue;
    case '\t': out += "&#9;"; ++i; continue;
    case '\n': out += "&#10;"; ++i; continue;
    case '\r': out += "&#13;"; ++i; continue;
    default: break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += k_replacement;
      ++i;
      continue;
    }
    const auto n = utf8_length(text, i);
    if (n == 0) {
      out += k_replacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string to_junit(const Report& report) {
  const auto t = report.totals();
  const auto time = seconds(report.elapsed);
  const auto stamp = fmt::format("{:%Y-%m-%dT%H:%M:%S}", std::chrono::floor<std::chrono::seconds>(report.started));
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuites name=\"meshlab verify\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
                     "time=\"{}\">\n",
                     t.results, t.failed, t.skipped, time);
  xml += fmt::format("  <testsuite name=\"meshlab verify\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
                     "time=\"{}\" timestamp=\"{}\">\n",
                     t.results, t.failed, t.skipped, time, stamp);
  xml += fmt::format("    <properties>\n      <property name=\"lab\" value=\"{}\"/>\n    </properties>\n",
                     xml_escape(report.lab));
  for (const auto& check : report.checks)
    for (const auto& r : check.results) {
      xml += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"", xml_escape(r.check),
                         xml_escape(r.subject), seconds(r.elapsed));
      const auto evidence = evidence_text(r.evidence, "");
      switch (r.outcome) {
      case Outcome::fail:
        xml += fmt::format(">\n      <failure message=\"{}\" type=\"fail\">{}</failure>\n    </testcase>\n",
                           xml_escape(r.message), xml_escape(r.message + "\n" + evidence));
        break;
      case Outcome::skip:
        xml += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml_escape(r.message));
        break;
      case Outcome::pass:
        xml += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(r.message + "\n" + evidence));
        break;
      }
    }
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

} // namespace meshlab::verify

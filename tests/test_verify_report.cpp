#include "verify/report.hpp"

#include "support/temp_dir.hpp"
#include "test_pki_support.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace meshlab;
using namespace std::chrono_literals;

namespace {

verify::Report sample_report() {
  verify::Report report;
  report.lab = "ci-smoke";
  report.elapsed = 2500ms;
  verify::CheckRun nodes{"nodes", "nodes Ready", {}, 1200ms};
  nodes.results.push_back({"nodes", "cluster/one", verify::Outcome::pass, "1/1 nodes Ready",
                           {{"kubectl get nodes -o json", {"one-control-plane Ready=True"}}}, 600ms});
  nodes.results.push_back({"nodes", "cluster/two", verify::Outcome::fail, "two-control-plane: not Ready",
                           {{"kubectl --context 'a b' get nodes -o json", {"two-control-plane Ready=False", "<&>\"'"}}},
                           600ms});
  verify::CheckRun eastwest{"eastwest", "east-west gateways", {}, 0ms};
  eastwest.results.push_back({"eastwest", "cell/smoke", verify::Outcome::skip, "single-network cell", {}, 0ms});
  report.checks = {nodes, eastwest};
  return report;
}

// Parses the JUnit file with python3's xml.etree and checks the shape Jenkins and GitLab
// read; prints what is wrong, or "ok".
constexpr const char* k_junit_check = R"(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1
s = suites[0]
assert s.get("name") == "meshlab verify"
cases = s.findall("testcase")
assert int(s.get("tests")) == len(cases) == int(root.get("tests"))
assert int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
assert int(s.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
float(s.get("time")); float(root.get("time"))
for c in cases:
    assert c.get("classname") and c.get("name"), c.attrib
    float(c.get("time"))
    f = c.find("failure")
    if f is not None:
        assert f.get("message")
print("ok", len(cases), cases[1].find("failure").get("message"), "|", cases[1].find("failure").text.splitlines()[-1])
)";

} // namespace

TEST_CASE("verify::report") {
  const auto report = sample_report();

  SUBCASE("totals count passes, failures and skips; skips do not fail") {
    const auto t = report.totals();
    CHECK(t.results == 3);
    CHECK(t.passed == 1);
    CHECK(t.failed == 1);
    CHECK(t.skipped == 1);
    CHECK_FALSE(report.passed());
  }
  SUBCASE("text: one line per result, evidence under failures, a totals line") {
    std::ostringstream out;
    verify::print_text(report, out);
    CHECK(out.str() == "pass  nodes     cluster/one  1/1 nodes Ready\n"
                       "FAIL  nodes     cluster/two  two-control-plane: not Ready\n"
                       "      $ kubectl --context 'a b' get nodes -o json\n"
                       "        two-control-plane Ready=False\n"
                       "        <&>\"'\n"
                       "skip  eastwest  cell/smoke   single-network cell\n"
                       "\n"
                       "verify ci-smoke: 1 passed, 1 failed, 1 skipped in 2.5s\n");
  }
  SUBCASE("json: checks, results, evidence and totals") {
    const auto doc = nlohmann::json::parse(verify::to_json(report));
    CHECK(doc["lab"] == "ci-smoke");
    CHECK(doc["passed"] == false);
    CHECK(doc["totals"] == nlohmann::json{{"results", 3}, {"passed", 1}, {"failed", 1}, {"skipped", 1}});
    REQUIRE(doc["checks"].size() == 2);
    CHECK(doc["checks"][0]["id"] == "nodes");
    CHECK(doc["checks"][0]["results"][1]["outcome"] == "fail");
    CHECK(doc["checks"][0]["results"][1]["evidence"][0]["lines"][1] == "<&>\"'");
    CHECK(doc["checks"][1]["results"][0]["outcome"] == "skip");
    CHECK(doc["checks"][0]["results"][0]["elapsed_ms"] == 600);
  }
  SUBCASE("junit: testsuites/testsuite/testcase with failure and skipped") {
    const auto xml = verify::to_junit(report);
    CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"meshlab verify\" tests=\"3\" "
                    "failures=\"1\" errors=\"0\" skipped=\"1\" time=\"2.500\">",
                    0) == 0);
    CHECK(xml.find("<testcase classname=\"nodes\" name=\"cluster/one\" time=\"0.600\">") != std::string::npos);
    CHECK(xml.find("<failure message=\"two-control-plane: not Ready\" type=\"fail\">") != std::string::npos);
    CHECK(xml.find("&lt;&amp;&gt;&quot;&apos;") != std::string::npos);
    CHECK(xml.find("<skipped message=\"single-network cell\"/>") != std::string::npos);
    CHECK(xml.find("<&>") == std::string::npos);

    const auto python = test::find_program("python3");
    if (!python) return; // the ctest e2e validates it too
    test::TempDir dir;
    util::write_file_atomic(dir / "junit.xml", xml);
    const auto run = test::run_tool({python->string(), "-c", k_junit_check, (dir / "junit.xml").string()});
    CAPTURE(run.output);
    CHECK(run.exit_code == 0);
    CHECK(run.output == "ok 3 two-control-plane: not Ready |   <&>\"'\n");
  }
}

TEST_CASE("verify::xml_escape") {
  CHECK(verify::xml_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
  CHECK(verify::xml_escape("line\nnext\ttab\r") == "line&#10;next&#9;tab&#13;");
  SUBCASE("control characters and bytes that are not UTF-8 become U+FFFD") {
    CHECK(verify::xml_escape(std::string("a\x01" "b", 3)) == "a\xEF\xBF\xBD" "b");
    CHECK(verify::xml_escape("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9"); // été stays
    CHECK(verify::xml_escape("\xFF") == "\xEF\xBF\xBD");
    CHECK(verify::xml_escape("\xC3") == "\xEF\xBF\xBD");          // cut short
    CHECK(verify::xml_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate
  }
}

#include "verify/verify.hpp"

#include "actions/launch_context.hpp"
#include "lab/load.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "verify/checks.hpp"
#include "verify/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace meshlab::verify {

namespace {

// verify reads the world, not meshlab's state, but it needs the kubeconfigs launch wrote.
void require_launched(const lab::Lab& lab, const std::filesystem::path& state_dir, const std::string& lab_file) {
  const actions::LaunchContext launch{.lab = lab, .state_dir = state_dir, .provider = {}};
  for (const auto& cluster : lab.clusters)
    if (std::filesystem::exists(launch.kubeconfig_for(cluster))) return;
  if (lab.clusters.empty()) return;
  throw Error(fmt::format("lab \"{}\" is not launched: {} holds no kubeconfig of its clusters; run \"meshlab launch{}\" "
                          "first",
                          lab.name, (state_dir / "kubeconfigs").string(), lab_file.empty() ? "" : " -f " + lab_file));
}

// Writes every command verify runs, its status, duration and output (secrets redacted) to one
// log file. Probes run in parallel, so each command is logged to its own buffer and appended
// whole under a lock.
class LoggedRunner : public exec::Runner {
public:
  LoggedRunner(exec::Runner& inner, const std::filesystem::path& path) : m_inner(inner) {
    std::filesystem::create_directories(path.parent_path());
    m_file.open(path, std::ios::trunc);
  }
  exec::Completed run(const exec::Command& cmd) override {
    std::ostringstream entry;
    exec::Command logged = cmd;
    logged.log = &entry;
    auto done = m_inner.run(logged);
    const std::lock_guard lock(m_mutex);
    m_file << entry.str() << std::flush;
    return done;
  }

private:
  exec::Runner& m_inner;
  std::ofstream m_file;
  std::mutex m_mutex;
};

} // namespace

Report verify(const VerifyOptions& options, exec::Runner& runner, std::ostream& out) {
  const lab::Lab lab = lab::load_valid_lab(options.lab_file);
  const auto checks = select_checks(all_checks(), options.checks);
  const std::filesystem::path state_dir = lab.state_dir;
  require_launched(lab, state_dir, options.lab_file);
  LoggedRunner logged(runner, state_dir / "logs" / "verify.log");
  const VerifyContext ctx{lab, state_dir, logged};
  auto report = run_checks(ctx, checks);
  if (options.output == OutputFormat::json) out << to_json(report);
  else print_text(report, out);
  out.flush();
  if (!options.junit_file.empty()) util::write_file_atomic(options.junit_file, to_junit(report));
  return report;
}

void fail_unless_passed(const Report& report) {
  const auto t = report.totals();
  if (t.failed == 0) return;
  std::vector<std::string> failed;
  for (const auto& check : report.checks)
    for (const auto& r : check.results)
      if (r.outcome == Outcome::fail) failed.push_back(fmt::format("{} {}", r.check, r.subject));
  const auto more = failed.size() > 5 ? fmt::format(" and {} more", failed.size() - 5) : std::string();
  failed.resize(std::min<std::size_t>(failed.size(), 5));
  throw Error(fmt::format("{} of {} checks failed: {}{}", t.failed, t.results, util::join(failed), more));
}

} // namespace meshlab::verify

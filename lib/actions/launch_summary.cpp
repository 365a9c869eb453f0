#include "actions/launch_summary.hpp"

#include "actions/kubeconfig.hpp"
#include "actions/step_ids.hpp"
#include "exec/check.hpp"
#include "ui/status.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::actions {

namespace fs = std::filesystem;

namespace {

std::size_t count(const plan::ExecuteResult& result, plan::StepStatus status) {
  return static_cast<std::size_t>(
      std::count_if(result.steps.begin(), result.steps.end(), [&](const plan::StepResult& s) { return s.status == status; }));
}

// The step's log without the error the executor appended to it (the summary shows that
// already), so its last lines are what the step itself wrote.
std::string log_tail(const plan::StepResult& step) {
  std::error_code error;
  if (!step.log_path || !fs::exists(*step.log_path, error)) return {};
  std::string text;
  try {
    text = util::read_file(*step.log_path);
  } catch (const std::exception&) {
    return {};
  }
  const auto appended = text.rfind(step.error + "\n");
  if (appended != std::string::npos) text.erase(appended);
  return exec::last_lines(text, k_summary_log_lines);
}

// `text` with control characters other than newline and tab shown as \xNN: tool output
// quoted in an error must not move the cursor or change colours on the user's terminal.
std::string printable(std::string_view text) {
  std::string result;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7f) {
      result += fmt::format("\\x{:02x}", byte);
    } else {
      result += c;
    }
  }
  return result;
}

std::string indented(const std::string& text, const std::string& indent) {
  std::string result;
  for (const auto& line : util::split(text, '\n')) result += indent + line + "\n";
  return result;
}

// A fact of step `id`, or "" when the step or the fact is unknown.
std::string fact(const plan::ExecuteResult& result, const std::string& id, const std::string& key) {
  const auto* step = result.find(id);
  if (step == nullptr) return {};
  const auto found = step->facts.find(key);
  return found == step->facts.end() ? std::string() : found->second;
}

std::string duration(const nlohmann::json& ms) {
  return ui::format_duration(std::chrono::milliseconds(ms.is_number() ? ms.get<long long>() : 0));
}

} // namespace

std::string failure_summary(const plan::ExecuteResult& result) {
  const auto failed = count(result, plan::StepStatus::failed);
  const auto skipped = count(result, plan::StepStatus::skipped_dependency_failed);
  std::string text = fmt::format("\n{} failed", util::count_noun(failed, "step"));
  if (skipped > 0) text += fmt::format(", {} not run because of {}", skipped, failed == 1 ? "it" : "them");
  text += ":\n";
  for (const auto& step : result.steps) {
    if (step.status != plan::StepStatus::failed) continue;
    text += fmt::format(" ✗ {}\n", printable(step.error));
    const bool has_output = step.detail.find("  output (") != std::string::npos;
    std::string detail = step.detail;
    const auto full_log = detail.find("  full log: ");
    if (full_log != std::string::npos) detail.erase(full_log);
    text += printable(detail);
    if (!has_output) {
      const auto tail = log_tail(step);
      if (!tail.empty()) text += "  log (last lines):\n" + indented(printable(tail), "    ");
    }
    if (step.log_path) text += fmt::format("  full log: {}\n", step.log_path->string());
  }
  return text;
}

std::string failure_headline(const std::string& lab_name, const plan::ExecuteResult& result) {
  const auto failed = count(result, plan::StepStatus::failed);
  const auto skipped = count(result, plan::StepStatus::skipped_dependency_failed);
  std::string what = fmt::format("{} failed", util::count_noun(failed, "step"));
  if (skipped > 0) what += fmt::format(", {} not run", skipped);
  return fmt::format("launch of lab \"{}\" did not finish: {}; run \"meshlab launch\" again to resume once the cause "
                     "is fixed",
                     lab_name, what);
}

std::string success_summary(const LaunchContext& ctx, const plan::ExecuteResult& result, const nlohmann::json& report) {
  const auto& totals = report.at("totals");
  const auto already = count(result, plan::StepStatus::skipped_done);
  std::string text = fmt::format("\nlab \"{}\" is up: {}", ctx.lab.name, util::count_noun(result.steps.size(), "step"));
  if (already > 0) text += fmt::format(" ({} already done)", already);
  text += fmt::format(" in {}\n", duration(totals.at("wall_ms")));

  std::size_t width = 7;
  for (const auto& cluster : ctx.lab.clusters) width = std::max(width, cluster.name.size());
  for (const auto& cluster : ctx.lab.clusters) {
    std::string context = fact(result, ids::cluster_kubeconfig(cluster.name), "context");
    if (context.empty()) context = ctx.context_for(cluster);
    const auto server = fact(result, ids::cluster_kubeconfig(cluster.name), "server");
    const auto address = fact(result, ids::cluster_create(cluster.name), "address");
    text += fmt::format("  cluster {:<{}}  context {}", cluster.name, width, context);
    if (!server.empty()) text += "  " + server;
    if (!address.empty()) text += "  (node " + address + ")";
    text += "\n";
  }
  for (const auto& vm : ctx.lab.vms) {
    const auto address = fact(result, ids::vm(vm.name), "address");
    text += fmt::format("  VM      {:<{}}  {}\n", vm.name, width, address.empty() ? "running" : address);
  }
  const auto kubeconfig = fact(result, ids::kubeconfig_merge(), "kubeconfig");
  if (!kubeconfig.empty())
    text += fmt::format("  contexts are in {} (and {})\n", kubeconfig, (ctx.state_dir / k_lab_kubeconfig).string());
  if (result.find(ids::argocd_install()) != nullptr) {
    const auto url = fact(result, ids::argocd_install(), "url");
    text += fmt::format("  Argo CD: {}; run `meshlab argocd` for the password\n",
                        url.empty() ? std::string("installed (no address yet)") : url);
  }
  std::vector<std::string> phases;
  for (const auto& phase : report.at("phases"))
    phases.push_back(fmt::format("{} {}", phase.at("phase").get<std::string>(), duration(phase.at("wall_ms"))));
  text += fmt::format("  time: {} in all", duration(totals.at("wall_ms")));
  if (!phases.empty()) text += "; " + util::join(phases);
  text += fmt::format("\n  report: {}\n", (ctx.state_dir / "report.json").string());
  return text;
}

} // namespace meshlab::actions

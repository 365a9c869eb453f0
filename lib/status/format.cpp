#include "status/format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <vector>

namespace meshlab::status {

namespace {

using Json = nlohmann::ordered_json;
using Table = std::vector<std::vector<std::string>>;

constexpr std::string_view k_not_applicable = "not applicable";

template <class T>
std::string cell(const Probed<T>& probed, const std::function<std::string(const T&)>& show) {
  return probed.value ? show(*probed.value) : "-";
}

std::string plain(const std::string& s) { return s; }

std::string show_nodes(const NodeCount& n) { return fmt::format("{}/{}", n.ready, n.total); }

std::string show_istio(const IstioState& i) { return fmt::format("{} {}/{}", i.revision, i.ready, i.replicas); }

std::string show_apps(const AppCounts& a) {
  if (a.total == 0) return "none";
  return fmt::format("{}/{} synced, {}/{} healthy", a.synced, a.total, a.healthy, a.total);
}

// Columns padded to their widest cell, two spaces apart, no trailing blanks.
std::string render(const Table& table) {
  std::vector<std::size_t> widths;
  for (const auto& row : table)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (const auto& row : table) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i)
      line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], widths[i]);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

template <class T>
void note(std::vector<std::pair<std::string, std::string>>& notes, const std::string& field, const Probed<T>& probed) {
  if (probed.value || probed.reason.empty() || probed.reason.starts_with(k_not_applicable)) return;
  notes.emplace_back(field, probed.reason);
}

// "east: nodes, istio: not launched: ..." — fields with the same reason share a line.
void add_notes(std::string& out, const std::string& subject,
               const std::vector<std::pair<std::string, std::string>>& notes) {
  std::vector<std::string> done;
  for (const auto& [field, reason] : notes) {
    if (std::find(done.begin(), done.end(), reason) != done.end()) continue;
    done.push_back(reason);
    std::vector<std::string> fields;
    for (const auto& [other, why] : notes)
      if (why == reason) fields.push_back(other);
    out += fmt::format("  {} {}: {}\n", subject, fmt::join(fields, ", "), reason);
  }
}

template <class T>
Json value_or_null(const Probed<T>& probed, const std::function<Json(const T&)>& to) {
  return probed.value ? to(*probed.value) : Json(nullptr);
}

template <class T>
void reason(Json& reasons, const char* field, const Probed<T>& probed) {
  if (!probed.value) reasons[field] = probed.reason;
}

Json str(const std::string& s) { return s; }

} // namespace

std::string format_table(const LabReport& report) {
  Table machines{{"NAME", "TYPE", "PROVIDER", "STATE", "ADDRESS", "CONTEXT", "NODES", "ISTIO", "APPS"}};
  for (const auto& m : report.machines)
    machines.push_back({m.name, std::string(to_string(m.type)), m.provider, cell<std::string>(m.state, plain),
                        cell<std::string>(m.address, plain), cell<std::string>(m.context, plain),
                        cell<NodeCount>(m.nodes, show_nodes), cell<IstioState>(m.istio, show_istio),
                        cell<AppCounts>(m.apps, show_apps)});
  std::string out = render(machines);
  if (!report.registries.empty()) {
    Table registries{{"REGISTRY", "CONTAINER", "PORT", "STATE"}};
    for (const auto& r : report.registries)
      registries.push_back({r.upstream, r.container, std::to_string(r.port), cell<std::string>(r.state, plain)});
    out += "\n" + render(registries);
  }
  std::string notes;
  for (const auto& m : report.machines) {
    std::vector<std::pair<std::string, std::string>> unknown;
    note(unknown, "state", m.state);
    note(unknown, "address", m.address);
    note(unknown, "context", m.context);
    note(unknown, "nodes", m.nodes);
    note(unknown, "istio", m.istio);
    note(unknown, "apps", m.apps);
    add_notes(notes, m.name, unknown);
  }
  for (const auto& r : report.registries) {
    std::vector<std::pair<std::string, std::string>> unknown;
    note(unknown, "state", r.state);
    add_notes(notes, r.container, unknown);
  }
  if (!notes.empty()) out += "\nunknown (-):\n" + notes;
  return out;
}

Json to_json(const LabReport& report) {
  Json machines = Json::array();
  for (const auto& m : report.machines) {
    Json reasons = Json::object();
    reason(reasons, "state", m.state);
    reason(reasons, "address", m.address);
    reason(reasons, "context", m.context);
    reason(reasons, "nodes", m.nodes);
    reason(reasons, "istio", m.istio);
    reason(reasons, "apps", m.apps);
    machines.push_back(Json{
        {"name", m.name},
        {"type", std::string(to_string(m.type))},
        {"provider", m.provider},
        {"instance", m.instance},
        {"state", value_or_null<std::string>(m.state, str)},
        {"address", value_or_null<std::string>(m.address, str)},
        {"context", value_or_null<std::string>(m.context, str)},
        {"nodes", value_or_null<NodeCount>(m.nodes, [](const NodeCount& n) {
           return Json{{"ready", n.ready}, {"total", n.total}};
         })},
        {"istio", value_or_null<IstioState>(m.istio, [](const IstioState& i) {
           return Json{{"revision", i.revision}, {"ready", i.ready}, {"replicas", i.replicas}};
         })},
        {"apps", value_or_null<AppCounts>(m.apps, [](const AppCounts& a) {
           return Json{{"total", a.total}, {"synced", a.synced}, {"healthy", a.healthy}};
         })},
        {"reasons", std::move(reasons)},
    });
  }
  Json registries = Json::array();
  for (const auto& r : report.registries) {
    Json reasons = Json::object();
    reason(reasons, "state", r.state);
    registries.push_back(Json{{"upstream", r.upstream},
                              {"container", r.container},
                              {"port", r.port},
                              {"state", value_or_null<std::string>(r.state, str)},
                              {"reasons", std::move(reasons)}});
  }
  return Json{{"lab", report.lab}, {"machines", std::move(machines)}, {"registries", std::move(registries)}};
}

} // namespace meshlab::status

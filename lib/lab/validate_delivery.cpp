// Validation of what is delivered onto the clusters: Istio, Argo CD, apps (sources,
// targets, Helm values, hosts) and locality traffic policies.
#include "lab/syntax.hpp"
#include "lab/validate_checks.hpp"
#include "lab/yaml_tree.hpp"

#include "util/net.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include <set>

namespace meshlab::lab::detail {

namespace {

const std::vector<std::string> k_variables{"cluster", "cell", "network", "domain", "region", "zone", "subzone"};

bool is_url(const std::string& text) { return text.rfind("https://", 0) == 0 || text.rfind("http://", 0) == 0; }

// "1.30.3", optionally with a pre-release or build suffix ("1.30.0-beta.1").
bool is_version(const std::string& text) {
  const auto core = text.substr(0, text.find_first_of("-+"));
  const auto parts = util::split(core, '.');
  if (parts.size() != 3) return false;
  for (const auto& part : parts)
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return false;
  return true;
}

std::vector<std::string> names_of_clusters(const Lab& lab) {
  std::vector<std::string> names;
  for (const auto& c : lab.clusters) names.push_back(c.name);
  return names;
}

std::vector<std::string> names_of_cells(const Lab& lab) {
  std::vector<std::string> names;
  for (const auto& c : lab.cells) names.push_back(c.name);
  return names;
}

} // namespace

void check_targets(Checker& checker, const std::string& path, const Targets& targets) {
  const Lab& lab = checker.lab();
  if (targets.kind == Targets::Kind::cell) {
    if (!targets.cell.empty() && lab.cell(targets.cell) == nullptr)
      report_undeclared(checker, path + ".cell", "cell", targets.cell, names_of_cells(lab), "cells");
    return;
  }
  if (targets.kind != Targets::Kind::clusters) return;
  if (targets.clusters.empty())
    checker.error(path, "an empty list selects no cluster", "list cluster names, or write all");
  for (std::size_t i = 0; i < targets.clusters.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", path, i);
    const Cluster* cluster = lab.cluster(targets.clusters[i]);
    if (cluster == nullptr)
      report_undeclared(checker, item, "cluster", targets.clusters[i], names_of_clusters(lab), "clusters");
    else if (cluster->cell.empty())
      checker.error(item, fmt::format("cluster \"{}\" is in no cell, so nothing is installed on it", cluster->name),
                    "target clusters that belong to a cell");
  }
}

namespace {

// Reports `${name}` references to unknown variables in one string of Helm values.
void check_variables(Checker& checker, const std::string& path, const std::string& text) {
  for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2)) {
    const auto end = text.find('}', at);
    if (end == std::string::npos) {
      checker.error(path, "\"${\" without a closing \"}\"", "write variables as ${cluster}, ${region}, ...");
      return;
    }
    const std::string name = text.substr(at + 2, end - at - 2);
    if (std::find(k_variables.begin(), k_variables.end(), name) != k_variables.end()) continue;
    const auto suggestion = util::did_you_mean(name, k_variables);
    std::vector<std::string> known;
    for (const auto& v : k_variables) known.push_back("${" + v + "}");
    checker.error(path, fmt::format("unknown variable \"${{{}}}\"; known variables: {}", name, util::join(known)),
                  suggestion ? fmt::format("did you mean \"${{{}}}\"?", *suggestion)
                             : std::string("write $ followed by one of the known variables in braces"));
  }
}

// True when the values text cannot hold a variable problem: every "${" in it opens a
// known variable. A scalar's "${" is a "${" of the text unless a YAML escape spells it,
// and escapes need a backslash. Parsing (what check_values needs to name the spot) costs
// ~1700 instructions a byte with yaml-cpp, so it is left for values with a problem.
bool only_known_variables(const std::string& text) {
  if (text.find('\\') != std::string::npos) return false;
  for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2)) {
    const auto end = text.find('}', at);
    if (end == std::string::npos) return false;
    const auto name = std::string_view(text).substr(at + 2, end - at - 2);
    if (std::find(k_variables.begin(), k_variables.end(), name) == k_variables.end()) return false;
  }
  return true;
}

// Walks Helm values re-parsed from the lab (the loader emitted them with the same
// paths it recorded), checking every scalar for variables.
void check_values(Checker& checker, const std::string& path, const YamlNode& node, int depth) {
  if (depth > 64) return; // the loader refuses deeper values
  if (node.is_scalar()) {
    check_variables(checker, path, node.scalar());
  } else if (node.is_map()) {
    for (const auto& [key, value] : node.entries()) check_values(checker, path + "." + key.scalar(), value, depth + 1);
  } else if (node.is_sequence()) {
    std::size_t i = 0;
    for (const auto& item : node.items()) check_values(checker, fmt::format("{}[{}]", path, i++), item, depth + 1);
  }
}

void check_app(Checker& checker, const App& app) {
  const Lab& lab = checker.lab();
  const std::string path = "apps." + app.name;
  if (app.git && app.helm)
    checker.error_at_key(path, "has both git and helm; an app has exactly one source", "keep git or helm, not both");
  if (!app.git && !app.helm)
    checker.error_at_key(path, "has no source",
                         "add git: {repo, path} or helm: {repo, chart, version}");
  if (checker.written(path + ".namespace")) check_label(checker, path + ".namespace", app.namespace_);
  if (app.git && checker.written(path + ".git.repo") && !app.git->repo.empty() && !is_url(app.git->repo) &&
      app.git->repo.rfind("git@", 0) != 0)
    checker.error(path + ".git.repo", fmt::format("\"{}\" is not a git URL", app.git->repo),
                  "write the repository's https:// (or git@) address");
  if (app.helm && checker.written(path + ".helm.repo") && !app.helm->repo.empty() && !is_url(app.helm->repo) &&
      app.helm->repo.rfind("oci://", 0) != 0)
    checker.error(path + ".helm.repo", fmt::format("\"{}\" is not a chart repository URL", app.helm->repo),
                  "write the repository's https:// (or oci://) address");
  check_targets(checker, path + ".targets", app.targets);
  if (!app.values_yaml.empty() && !only_known_variables(app.values_yaml)) {
    // The loader wrote this text itself: it parses (or there is nothing the user could fix).
    const YamlStream values(app.values_yaml);
    if (!values.documents().empty()) check_values(checker, path + ".values", values.documents().front(), 0);
  }
  if (checker.written(path + ".port") && (app.port < 1 || app.port > 65535))
    checker.error(path + ".port", fmt::format("port {} is out of range; expected 1..65535", app.port),
                  "write the port of the app's Service that its hosts are routed to");
  for (std::size_t i = 0; i < app.hosts.size(); ++i) {
    const std::string item = fmt::format("{}.hosts[{}]", path, i);
    const std::string& host = app.hosts[i];
    if (!util::is_dns_name(host))
      checker.error(item, fmt::format("\"{}\" is not a DNS name", host), "write a host such as httpbin.demo.lab");
    else if (host.size() <= lab.domain.size() + 1 || host.compare(host.size() - lab.domain.size() - 1,
                                                                   std::string::npos, "." + lab.domain) != 0)
      checker.error(item, fmt::format("\"{}\" is not under the lab domain {}", host, lab.domain),
                    fmt::format("use a name ending in .{}, or change the lab's domain", lab.domain));
  }
}

} // namespace

void check_istio(Checker& checker) {
  const Lab& lab = checker.lab();
  const Istio& istio = lab.istio;
  if (checker.written("istio.version") && !is_version(istio.version))
    checker.error("istio.version", fmt::format("\"{}\" is not a version X.Y.Z", istio.version),
                  "write a released Istio version, such as 1.30.3");
  if (checker.written("istio.revision") && !util::is_dns_label(istio.revision))
    checker.error("istio.revision", fmt::format("\"{}\" is not a DNS-1123 label", istio.revision),
                  std::string(k_label_hint));
  if (checker.written("istio.chartRepo") && !is_url(istio.chart_repo))
    checker.error("istio.chartRepo", fmt::format("\"{}\" is not a URL", istio.chart_repo),
                  "write the Helm repository's https:// address");
  const auto& known = Istio::known_components();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < istio.components.size(); ++i) {
    const std::string path = fmt::format("istio.components[{}]", i);
    const auto& component = istio.components[i];
    if (std::find(known.begin(), known.end(), component) == known.end()) {
      const auto suggestion = util::did_you_mean(component, known);
      checker.error(path,
                    fmt::format("unknown component \"{}\"; known components: {}", component, util::join(known)),
                    suggestion ? fmt::format("did you mean \"{}\"?", *suggestion)
                               : std::string("list only known components"));
    } else if (!seen.insert(component).second) {
      checker.error(path, fmt::format("component \"{}\" is listed twice", component), "list each component once");
    }
  }
  if (!checker.written("istio.components") || lab.cells.empty()) return;
  for (const auto* required : {"base", "istiod"})
    if (!istio.has(required))
      checker.error("istio.components", fmt::format("\"{}\" is missing; every mesh needs it", required),
                    fmt::format("add {} to the list", required));
  for (const auto& cell : lab.cells) {
    if (cell.network_mode != NetworkMode::multi || cell.clusters.size() < 2 || istio.has("eastwest-gateway")) continue;
    checker.error("istio.components",
                  fmt::format("cell {} joins {} networks, which needs eastwest-gateway", cell.name,
                              cell.clusters.size()),
                  "add eastwest-gateway, or set networkMode: single on the cell");
    break;
  }
}

void check_argocd(Checker& checker) {
  const Lab& lab = checker.lab();
  if (checker.written("argocd.manifest") && !is_url(lab.argocd.manifest))
    checker.error("argocd.manifest", fmt::format("\"{}\" is not a URL", lab.argocd.manifest),
                  "write the https:// address of Argo CD's install.yaml");
  if (!checker.written("argocd.cluster") || lab.argocd.cluster.empty()) return;
  const Cluster* cluster = lab.cluster(lab.argocd.cluster);
  if (cluster == nullptr) {
    report_undeclared(checker, "argocd.cluster", "cluster", lab.argocd.cluster, names_of_clusters(lab), "clusters");
    return;
  }
  const Cluster* management = lab.management_cluster();
  if (cluster->role != ClusterRole::management && management != nullptr)
    checker.error("argocd.cluster",
                  fmt::format("\"{}\" is not the management cluster; Argo CD runs on \"{}\"", cluster->name,
                              management->name),
                  fmt::format("write cluster: {}, or remove the key", management->name));
}

// A host names one Gateway server and one Secret on each cluster, so it belongs to one app.
void check_unique_hosts(Checker& checker) {
  std::map<std::string, std::string> owner; // host → app
  for (const auto& app : checker.lab().apps)
    for (std::size_t i = 0; i < app.hosts.size(); ++i) {
      const auto [it, fresh] = owner.emplace(app.hosts[i], app.name);
      if (!fresh && it->second != app.name)
        checker.error(fmt::format("apps.{}.hosts[{}]", app.name, i),
                      fmt::format("\"{}\" is already a host of apps.{}", app.hosts[i], it->second),
                      "serve each host from one app");
    }
}

void check_apps(Checker& checker) {
  for (const auto& app : checker.lab().apps) check_app(checker, app);
  check_unique_hosts(checker);
}

} // namespace meshlab::lab::detail

#include "lab/validate.hpp"

#include "lab/syntax.hpp"
#include "lab/validate_checks.hpp"
#include "util/net.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <map>
#include <set>

namespace meshlab::lab {

namespace detail {

void Checker::add(const Position& at, const std::string& path, std::string_view message, std::string hint) {
  const std::string file = at.file.empty() ? m_lab.source_file : at.file;
  m_diagnostics.push_back(Diagnostic{file, at.line, at.column, fmt::format("{}: {}", path, message), std::move(hint)});
}

void Checker::error(const std::string& path, std::string_view message, std::string hint) {
  add(m_lab.where(path), path, message, std::move(hint));
}

void Checker::error_at_key(const std::string& path, std::string_view message, std::string hint) {
  const Position at = written(path + "#key") ? m_lab.where_key(path) : m_lab.where(path);
  add(at, path, message, std::move(hint));
}

void report_undeclared(Checker& checker, const std::string& path, std::string_view noun, const std::string& value,
                       const std::vector<std::string>& declared, std::string_view section) {
  const std::string message =
      declared.empty() ? fmt::format("{} \"{}\" is not declared; the lab declares no {}s", noun, value, noun)
                       : fmt::format("{} \"{}\" is not declared; declared {}s: {}", noun, value, noun,
                                     util::join(declared));
  const auto suggestion = util::did_you_mean(value, declared);
  checker.error(path, message,
                suggestion ? fmt::format("did you mean \"{}\"?", *suggestion)
                           : fmt::format("declare it under {}:, or refer to one that is declared", section));
}

void check_label(Checker& checker, const std::string& path, const std::string& value) {
  if (!util::is_dns_label(value))
    checker.error(path, fmt::format("\"{}\" is not a DNS-1123 label", value), std::string(k_label_hint));
}

namespace {

std::vector<std::string> cluster_names(const Lab& lab) {
  std::vector<std::string> names;
  for (const auto& c : lab.clusters) names.push_back(c.name);
  return names;
}

std::vector<std::string> cell_names(const Lab& lab) {
  std::vector<std::string> names;
  for (const auto& c : lab.cells) names.push_back(c.name);
  return names;
}

void check_name(Checker& checker, const std::string& path, const std::string& name) {
  if (!util::is_dns_label(name))
    checker.error_at_key(path, fmt::format("name \"{}\" is not a DNS-1123 label", name), std::string(k_label_hint));
}

// Multipass resources written on a cluster or VM (defaults were checked by the loader).
void check_resources(Checker& checker, const std::string& path, const Resources& resources) {
  if (checker.written(path + ".cpus") && resources.cpus < 1)
    checker.error(path + ".cpus", fmt::format("{} CPUs is too few", resources.cpus),
                  "write a whole number of at least 1");
  if (checker.written(path + ".memory"))
    if (auto problem = size_problem(resources.memory, k_min_memory, "128M"); !problem.empty())
      checker.error(path + ".memory", problem, std::string(k_size_hint));
  if (checker.written(path + ".disk"))
    if (auto problem = size_problem(resources.disk, k_min_disk, "512M"); !problem.empty())
      checker.error(path + ".disk", problem, std::string(k_size_hint));
}

// Keys that only make sense for other providers.
void check_provider_keys(Checker& checker, const Cluster& cluster, const std::string& path) {
  struct Rule {
    std::string_view key;
    std::vector<Provider> providers; // who may write it
  };
  static const std::vector<Rule> k_rules{
      {"cpus", {Provider::multipass}},      {"memory", {Provider::multipass}},
      {"disk", {Provider::multipass}},      {"image", {Provider::multipass}},
      {"k3sVersion", {Provider::multipass}}, {"nodes", {Provider::kind}},
      {"kindImage", {Provider::kind}},      {"kubeconfig", {Provider::external}},
      {"context", {Provider::external}},
  };
  for (const auto& rule : k_rules) {
    const std::string key_path = path + "." + std::string(rule.key);
    if (!checker.written(key_path)) continue;
    if (std::find(rule.providers.begin(), rule.providers.end(), cluster.provider) != rule.providers.end()) continue;
    const auto owner = to_string(rule.providers.front());
    checker.error_at_key(key_path,
                         fmt::format("only {} clusters take {}; this cluster's provider is {}", owner, rule.key,
                                     to_string(cluster.provider)),
                         fmt::format("remove {}, or set provider: {}", rule.key, owner));
  }
}

void check_kind_nodes(Checker& checker, const Cluster& cluster, const std::string& path) {
  if (cluster.provider != Provider::kind) return;
  for (std::size_t i = 0; i < cluster.nodes.size(); ++i)
    if (cluster.nodes[i].role == "control-plane" || checker.rejected(fmt::format("{}.nodes[{}].role", path, i)))
      return;
  checker.error(path + ".nodes", fmt::format("kind cluster \"{}\" has no control-plane node", cluster.name),
                "add \"- role: control-plane\" to nodes (or remove nodes for a single control-plane)");
}

void check_external(Checker& checker, const Cluster& cluster, const std::string& path) {
  if (cluster.provider != Provider::external) return;
  std::vector<std::string> missing;
  if (cluster.kubeconfig.empty()) missing.emplace_back("kubeconfig");
  if (cluster.context.empty()) missing.emplace_back("context");
  if (missing.empty()) return;
  checker.error_at_key(path, fmt::format("an external cluster needs {}", util::join(missing, " and ")),
                       "add kubeconfig: PATH and context: NAME of the existing cluster");
}

} // namespace

void check_names(Checker& checker) {
  const Lab& lab = checker.lab();
  if (checker.written("name") && !util::is_dns_label(lab.name))
    checker.error("name", fmt::format("\"{}\" is not a DNS-1123 label", lab.name), std::string(k_label_hint));
  if (!lab.prefix.empty() && checker.written("prefix")) check_label(checker, "prefix", lab.prefix);
  if (checker.written("domain") && !util::is_dns_name(lab.domain))
    checker.error("domain", fmt::format("\"{}\" is not a DNS name", lab.domain),
                  "write lower-case labels separated by dots, such as demo.lab");
  for (const auto& cell : lab.cells) check_name(checker, "cells." + cell.name, cell.name);
  for (const auto& app : lab.apps) check_name(checker, "apps." + app.name, app.name);
  for (const auto& policy : lab.traffic) check_name(checker, "traffic." + policy.name, policy.name);

  // Clusters and VMs become machines and kube contexts named alike; one name, one thing.
  std::map<std::string, std::string> machines; // name → path of its first use
  const auto machine = [&](const std::string& kind, const std::string& name) {
    const std::string path = kind + "." + name;
    if (!util::is_dns_label(name)) {
      check_name(checker, path, name);
      return;
    }
    if (auto it = machines.find(name); it != machines.end()) {
      checker.error_at_key(path,
                           fmt::format("name \"{}\" is already used by {} (line {})", name, it->second,
                                       lab.where_key(it->second).line),
                           "clusters and VMs share one namespace of machine names; rename one of them");
      return;
    }
    machines.emplace(name, path);
    const std::string instance = lab.instance_name(name);
    if (instance.size() > 63)
      checker.error_at_key(path,
                           fmt::format("instance name \"{}\" is {} characters long; at most 63 are allowed",
                                       instance, instance.size()),
                           "shorten the lab's prefix or this name");
  };
  for (const auto& cluster : lab.clusters) machine("clusters", cluster.name);
  for (const auto& vm : lab.vms) machine("vms", vm.name);
}

namespace {

// Separate cells are separate meshes: every cell's istiod signs from an intermediate of the
// same lab root, so only distinct mesh IDs and trust domains keep one cell's identities
// from being taken for another's.
void check_separate_meshes(Checker& checker) {
  const Lab& lab = checker.lab();
  std::map<std::string, std::string> mesh_ids, trust_domains; // value → first cell
  for (const auto& cell : lab.cells) {
    if (cell.clusters.empty()) continue; // no mesh at all; reported as such
    const std::string path = "cells." + cell.name;
    const auto report = [&](const char* key, const std::string& value, const std::string& other, const char* fix) {
      const std::string message = fmt::format("{} \"{}\" is also the {} of cell {}; separate cells are separate meshes",
                                              key, value, key, other);
      if (checker.written(path + "." + key))
        checker.error(path + "." + key, message, fix);
      else
        checker.error_at_key(path, fmt::format("{} (defaulted)", message), fix);
    };
    if (const auto [it, fresh] = mesh_ids.emplace(cell.mesh_id, cell.name); !fresh)
      report("meshID", cell.mesh_id, it->second, "give each cell its own meshID");
    if (const auto [it, fresh] = trust_domains.emplace(cell.trust_domain, cell.name); !fresh)
      report("trustDomain", cell.trust_domain, it->second,
             "give each cell its own trustDomain (it defaults to the cell's clusterDomain, cluster.local)");
  }
}

} // namespace

void check_cells(Checker& checker) {
  const Lab& lab = checker.lab();
  for (const auto& cell : lab.cells) {
    const std::string path = "cells." + cell.name;
    if (cell.clusters.empty() && !lab.clusters.empty())
      checker.error_at_key(path, "no cluster belongs to this cell",
                           fmt::format("set cell: {} on the clusters of this mesh, or remove the cell", cell.name));
    if (checker.written(path + ".meshID") && !util::is_dns_label(cell.mesh_id))
      checker.error(path + ".meshID", fmt::format("\"{}\" is not a DNS-1123 label", cell.mesh_id),
                    std::string(k_label_hint));
    for (const auto* key : {"clusterDomain", "trustDomain"}) {
      const std::string key_path = path + "." + key;
      const std::string& value = std::string_view(key) == "clusterDomain" ? cell.cluster_domain : cell.trust_domain;
      if (checker.written(key_path) && !util::is_dns_name(value))
        checker.error(key_path, fmt::format("\"{}\" is not a DNS name", value),
                      "write lower-case labels separated by dots, such as cluster.local");
    }
  }
  check_separate_meshes(checker);
}

void check_clusters(Checker& checker) {
  const Lab& lab = checker.lab();
  if (lab.clusters.empty() && checker.written("clusters"))
    checker.error("clusters", "a lab needs at least one cluster", "add a cluster, e.g. east: {provider: kind}");
  const Cluster* management = nullptr;
  bool role_rejected = false; // a misspelt "management" already explains a missing one
  for (const auto& cluster : lab.clusters) {
    const std::string path = "clusters." + cluster.name;
    role_rejected = role_rejected || checker.rejected(path + ".role");
    if (!cluster.cell.empty() && lab.cell(cluster.cell) == nullptr)
      report_undeclared(checker, path + ".cell", "cell", cluster.cell, cell_names(lab), "cells");
    if (cluster.role == ClusterRole::management) {
      if (management != nullptr)
        checker.error(path + ".role",
                      fmt::format("a second management cluster; \"{}\" is already the management cluster",
                                  management->name),
                      "a lab has at most one management cluster (it runs Argo CD); make this one role: workload");
      else
        management = &cluster;
    }
    // A cluster outside every cell is allowed: it gets no Istio and no apps, which is
    // what a plain cluster in a lab is for.
    if (checker.written(path + ".domain") && !util::is_dns_name(cluster.domain))
      checker.error(path + ".domain", fmt::format("\"{}\" is not a DNS name", cluster.domain),
                    "write lower-case labels separated by dots, such as cluster.local");
    // Which keys fit depends on the provider; without a valid one there is nothing to say.
    if (!checker.written(path + ".provider") || checker.rejected(path + ".provider")) continue;
    check_provider_keys(checker, cluster, path);
    if (cluster.provider == Provider::multipass) check_resources(checker, path, cluster.resources);
    check_kind_nodes(checker, cluster, path);
    check_external(checker, cluster, path);
  }
  if (management == nullptr && lab.argocd.enabled && !role_rejected) {
    const bool section = checker.written("argocd");
    checker.error_at_key(section ? "argocd" : "apps",
                         section ? "Argo CD needs a management cluster, and no cluster has role: management"
                                 : "apps are delivered by Argo CD, which needs a management cluster, and no "
                                   "cluster has role: management",
                         "set role: management on the cluster that should run Argo CD");
  }
}

void check_vms(Checker& checker) {
  const Lab& lab = checker.lab();
  for (const auto& vm : lab.vms) {
    const std::string path = "vms." + vm.name;
    if (vm.provider != Provider::multipass)
      checker.error(path + ".provider", fmt::format("{} cannot run VMs; only multipass can", to_string(vm.provider)),
                    "remove provider (VMs always run on multipass)");
    if (checker.written(path + ".cluster")) {
      const Cluster* cluster = lab.cluster(vm.cluster);
      if (cluster == nullptr)
        report_undeclared(checker, path + ".cluster", "cluster", vm.cluster, cluster_names(lab), "clusters");
      else if (cluster->cell.empty())
        checker.error(path + ".cluster",
                      fmt::format("cluster \"{}\" is in no cell, so it runs no istiod for the VM to join", vm.cluster),
                      "attach the VM to a cluster that belongs to a cell");
    }
    if (checker.written(path + ".namespace")) check_label(checker, path + ".namespace", vm.namespace_);
    if (checker.written(path + ".serviceAccount"))
      check_label(checker, path + ".serviceAccount", vm.service_account);
    check_resources(checker, path, vm.resources);
    std::set<std::string> services;
    for (std::size_t i = 0; i < vm.services.size(); ++i) {
      const auto& service = vm.services[i];
      const std::string item = fmt::format("{}.services[{}]", path, i);
      if (checker.written(item + ".name")) {
        check_label(checker, item + ".name", service.name);
        if (!services.insert(service.name).second)
          checker.error(item + ".name", fmt::format("service \"{}\" is listed twice", service.name),
                        "list each service once");
      }
      if (checker.written(item + ".port") && (service.port < 1 || service.port > 65535))
        checker.error(item + ".port", fmt::format("port {} is out of range; expected 1..65535", service.port),
                      "write the TCP port the service listens on");
    }
  }
}

void check_ca(Checker& checker) {
  const Ca& ca = checker.lab().ca;
  if (checker.written("ca.keySize")) {
    const bool rsa = ca.key_type == "rsa";
    const bool ok = rsa ? ca.key_size >= 2048 && ca.key_size <= 8192 : ca.key_size == 256 || ca.key_size == 384;
    if (!ok)
      checker.error("ca.keySize", fmt::format("{} bits is not a valid {} key size", ca.key_size, ca.key_type),
                    rsa ? "rsa keys take 2048..8192 bits (4096 by default)" : "ecdsa keys take 256 or 384 bits");
  }
  if (checker.written("ca.rootDays") && ca.root_days < 1)
    checker.error("ca.rootDays", fmt::format("{} days is too short", ca.root_days), "write at least 1");
  if (checker.written("ca.intermediateDays") && (ca.intermediate_days < 1 || ca.intermediate_days > ca.root_days))
    checker.error("ca.intermediateDays",
                  fmt::format("{} days must be between 1 and the root's {} days", ca.intermediate_days, ca.root_days),
                  "an intermediate cannot outlive the root that signs it");
  const bool cert = checker.written("ca.rootCert");
  const bool key = checker.written("ca.rootKey");
  if (cert != key)
    checker.error(cert ? "ca.rootCert" : "ca.rootKey",
                  fmt::format("given without ca.{}", cert ? "rootKey" : "rootCert"),
                  "bring your own root with both rootCert and rootKey, or remove both to let meshlab make one");
}

} // namespace detail

std::vector<Diagnostic> validate(const Lab& lab) {
  detail::Checker checker(lab);
  detail::check_names(checker);
  detail::check_cells(checker);
  detail::check_clusters(checker);
  detail::check_vms(checker);
  detail::check_ca(checker);
  detail::check_address_pools(checker);
  detail::check_cidrs(checker);
  detail::check_networks(checker);
  detail::check_registries(checker);
  detail::check_dns(checker);
  detail::check_istio(checker);
  detail::check_argocd(checker);
  detail::check_apps(checker);
  detail::check_traffic(checker);
  auto diagnostics = checker.take();
  sort_by_position(diagnostics);
  return diagnostics;
}

void sort_by_position(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    const auto key = [](const Diagnostic& d) { return std::pair{d.line > 0 ? d.line : INT_MAX, d.column}; };
    return key(a) < key(b);
  });
}

} // namespace meshlab::lab

// The parts of lab::validate, one function per concern, sharing a Checker that turns a
// dotted path into a positioned diagnostic. Internal to lib/lab.
#pragma once

#include "lab/model.hpp"
#include "util/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::lab::detail {

class Checker {
public:
  explicit Checker(const Lab& lab) : m_lab(lab) {}

  const Lab& lab() const { return m_lab; }
  // Whether the lab file wrote `path` (defaults are not written).
  bool written(const std::string& path) const { return m_lab.positions.count(path) > 0; }
  // Whether the loader rejected the value at `path` (already reported).
  bool rejected(const std::string& path) const { return written(path + "#invalid"); }
  // "<path>: <message>" at the value of `path` (or its key, for collections).
  void error(const std::string& path, std::string_view message, std::string hint);
  // "<path>: <message>" at the key of `path`; for problems with a name.
  void error_at_key(const std::string& path, std::string_view message, std::string hint);
  std::vector<Diagnostic> take() { return std::move(m_diagnostics); }

private:
  void add(const Position& at, const std::string& path, std::string_view message, std::string hint);
  const Lab& m_lab;
  std::vector<Diagnostic> m_diagnostics;
};

// The hint for anything that must be a DNS-1123 label.
inline constexpr std::string_view k_label_hint =
    "use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit";

// `noun "value" is not declared; declared <noun>s: a, b` and a did-you-mean hint.
void report_undeclared(Checker& checker, const std::string& path, std::string_view noun, const std::string& value,
                       const std::vector<std::string>& declared, std::string_view section);

// Checks `value` (written at `path`) is a DNS-1123 label; `what` names it ("namespace").
void check_label(Checker& checker, const std::string& path, const std::string& value);

// Checks the cells and clusters an app or policy targets (at `path`, its targets key).
void check_targets(Checker& checker, const std::string& path, const Targets& targets);

// validate.cpp: names, clusters, cells, VMs, machines, CA.
void check_names(Checker& checker);
void check_cells(Checker& checker);
void check_clusters(Checker& checker);
void check_vms(Checker& checker);
void check_ca(Checker& checker);
// validate_network.cpp: address pools, CIDRs, networks, registries, DNS.
void check_address_pools(Checker& checker);
void check_cidrs(Checker& checker);
void check_networks(Checker& checker);
void check_registries(Checker& checker);
void check_dns(Checker& checker);
// validate_delivery.cpp: Istio, Argo CD, apps, traffic policies.
void check_istio(Checker& checker);
void check_argocd(Checker& checker);
void check_apps(Checker& checker);
// validate_traffic.cpp: locality load-balancing policies.
void check_traffic(Checker& checker);

} // namespace meshlab::lab::detail

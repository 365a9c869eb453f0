// Validation of addresses and names on the network: address pools, cluster CIDRs, Istio
// networks, registry ports and DNS entries.
#include "lab/validate_checks.hpp"

#include "util/net.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <map>
#include <optional>

namespace meshlab::lab::detail {

namespace {

using util::Cidr;

// Parses the CIDR written at `path`, reporting it when invalid.
std::optional<Cidr> checked_cidr(Checker& checker, const std::string& path, const std::string& text) {
  const auto parsed = util::parse_cidr(text);
  if (parsed.block) return parsed.block;
  checker.error(path, fmt::format("\"{}\" {}", text, parsed.problem),
                parsed.suggestion.empty() ? "write an IPv4 block such as 10.64.0.0/16"
                                          : fmt::format("did you mean {}?", parsed.suggestion));
  return std::nullopt;
}

void check_pool_prefix(Checker& checker, const std::string& key, int prefix, const std::optional<Cidr>& pool,
                       std::string_view noun) {
  const std::string path = "addressPools." + key;
  if (!checker.written(path)) return;
  if (prefix < 8 || prefix > 28) {
    checker.error(path, fmt::format("{} is out of range; expected 8..28", prefix),
                  fmt::format("write the prefix length of each cluster's {} block, such as 16", noun));
    return;
  }
  if (pool && prefix < pool->prefix)
    checker.error(path, fmt::format("/{} blocks do not fit in the {} pool {}", prefix, noun, pool->str()),
                  fmt::format("use a prefix of at least {}, or a larger pool", pool->prefix));
}

} // namespace

void check_address_pools(Checker& checker) {
  const Lab& lab = checker.lab();
  const auto pods = checked_cidr(checker, "addressPools.pods", lab.pod_pool);
  const auto services = checked_cidr(checker, "addressPools.services", lab.service_pool);
  check_pool_prefix(checker, "podPrefix", lab.pod_prefix, pods, "pod");
  check_pool_prefix(checker, "servicePrefix", lab.service_prefix, services, "service");
  if (pods && services && pods->overlaps(*services))
    checker.error(checker.written("addressPools.services") ? "addressPools.services" : "addressPools.pods",
                  fmt::format("the service pool {} overlaps the pod pool {}", services->str(), pods->str()),
                  "pod and service addresses must not overlap; give the pools disjoint blocks");
}

void check_cidrs(Checker& checker) {
  const Lab& lab = checker.lab();
  struct Block {
    std::string path; // clusters.<name>.podCIDR
    Cidr cidr;
  };
  std::vector<Block> blocks;
  for (const auto& cluster : lab.clusters) {
    const std::string path = "clusters." + cluster.name;
    for (const auto& [key, text] : {std::pair{"podCIDR", &cluster.pod_cidr}, {"serviceCIDR", &cluster.service_cidr}}) {
      const std::string key_path = path + "." + key;
      if (text->empty()) continue;
      std::optional<Cidr> cidr;
      if (checker.written(key_path)) cidr = checked_cidr(checker, key_path, *text);
      else cidr = util::parse_cidr(*text).block;
      if (!cidr) continue;
      for (const auto& earlier : blocks) {
        if (!earlier.cidr.overlaps(*cidr)) continue;
        checker.error(key_path,
                      fmt::format("{} overlaps {} {}", cidr->str(), earlier.path, earlier.cidr.str()),
                      "give every cluster its own pod and service blocks, or leave them out to allocate them "
                      "from addressPools");
        break;
      }
      blocks.push_back(Block{key_path, *cidr});
    }
  }
}

void check_networks(Checker& checker) {
  const Lab& lab = checker.lab();
  for (const auto& cell : lab.cells) {
    const std::string path = "cells." + cell.name + ".network";
    if (!checker.written(path)) continue;
    check_label(checker, path, cell.network);
    if (cell.network_mode == NetworkMode::multi)
      checker.error(path, "a cell network is only used with networkMode: single",
                    "remove network here (each cluster has its own), or set networkMode: single");
  }
  std::map<std::string, std::map<std::string, std::string>> networks; // cell → network → first cluster
  for (const auto& cluster : lab.clusters) {
    const std::string path = "clusters." + cluster.name + ".network";
    if (!checker.written(path)) continue;
    check_label(checker, path, cluster.network);
    const Cell* cell = cluster.cell.empty() ? nullptr : lab.cell(cluster.cell);
    if (cell == nullptr) continue;
    if (cell->network_mode == NetworkMode::single) {
      if (cluster.network != cell->network)
        checker.error(path,
                      fmt::format("\"{}\" differs from \"{}\", the network of cell {}, whose networkMode is single",
                                  cluster.network, cell->network, cell->name),
                      "remove network here (clusters of a single-network cell share the cell's network), or set "
                      "networkMode: multi on the cell");
      continue;
    }
    auto [it, inserted] = networks[cell->name].emplace(cluster.network, cluster.name);
    if (!inserted)
      checker.error(path,
                    fmt::format("\"{}\" is also the network of cluster {}; in cell {} (networkMode multi) every "
                                "cluster has its own network",
                                cluster.network, it->second, cell->name),
                    "give this cluster its own network name, or set networkMode: single on the cell");
  }
  for (const auto& vm : lab.vms) {
    const std::string path = "vms." + vm.name + ".network";
    if (checker.written(path)) check_label(checker, path, vm.network);
  }
}

void check_registries(Checker& checker) {
  const Lab& lab = checker.lab();
  std::map<int, std::string> ports; // port → registry
  for (const auto& registry : lab.registries) {
    const std::string path = "registries." + registry.name;
    if (!util::is_dns_name(registry.name))
      checker.error_at_key(path, fmt::format("\"{}\" is not a registry host name", registry.name),
                           "name each registry after the upstream host it mirrors, such as docker.io");
    if (checker.written(path + ".url") && registry.upstream.rfind("https://", 0) != 0)
      checker.error(path + ".url", fmt::format("\"{}\" is not an https URL", registry.upstream),
                    fmt::format("write the upstream's address, such as https://{}", registry.name));
    if (!checker.written(path + ".port")) continue;
    if (registry.port < 1024 || registry.port > 65535) {
      checker.error(path + ".port", fmt::format("port {} is out of range; expected 1024..65535", registry.port),
                    "pick a free unprivileged host port, such as 5001");
      continue;
    }
    auto [it, inserted] = ports.emplace(registry.port, registry.name);
    if (!inserted)
      checker.error(path + ".port", fmt::format("port {} is already used by registry {}", registry.port, it->second),
                    "every registry cache listens on its own host port");
  }
}

void check_dns(Checker& checker) {
  for (const auto& entry : checker.lab().dns) {
    const std::string path = "dns." + entry.host;
    if (!util::is_dns_name(entry.host))
      checker.error_at_key(path, fmt::format("\"{}\" is not a DNS name", entry.host),
                           "write a host name such as httpbin.blau.demo.lab");
    if (!entry.address.empty() && entry.address != "ingress" && !util::parse_ipv4(entry.address))
      checker.error(path, fmt::format("\"{}\" is neither an IPv4 address nor ingress", entry.address),
                    "write an address such as 192.168.64.10, or ingress for the cluster's ingress gateway");
  }
}

} // namespace meshlab::lab::detail

// Deterministic pod and service CIDRs for clusters that do not set them (see
// allocate_cidrs in defaults.hpp).
#include "lab/defaults.hpp"

#include "util/net.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace meshlab::lab {

namespace {

using util::Cidr;

std::optional<Cidr> parse(const std::string& text) { return util::parse_cidr(text).block; }

// The first /`prefix` block of `pool`, from address `from` on, overlapping nothing in
// `taken`.
std::optional<Cidr> first_free(const Cidr& pool, int prefix, const std::vector<Cidr>& taken, std::uint64_t from) {
  const std::uint64_t size = std::uint64_t{1} << (32 - prefix);
  std::uint64_t candidate = std::max<std::uint64_t>(pool.address, from);
  while (candidate + size - 1 <= pool.last()) {
    const Cidr block{static_cast<std::uint32_t>(candidate), prefix};
    const Cidr* clash = nullptr;
    for (const auto& t : taken)
      if (t.overlaps(block)) clash = &t;
    if (clash == nullptr) return block;
    // Jump past the clashing block to the next aligned candidate.
    const std::uint64_t after = clash->last() + 1;
    candidate = (after + size - 1) / size * size;
  }
  return std::nullopt;
}

struct Pool {
  std::string key;     // "pods" / "services", under addressPools
  std::string noun;    // "pod" / "service"
  std::optional<Cidr> block;
  int prefix;
  // Where the search for the next free block starts. Blocks are only ever taken, so
  // everything before the last block handed out stays taken; starting there keeps a
  // 100-cluster lab from rescanning the whole pool for every cluster.
  std::uint64_t next = 0;
};

} // namespace

void allocate_cidrs(Lab& lab, std::vector<Diagnostic>& diagnostics) {
  std::vector<Cidr> taken;
  for (const auto& cluster : lab.clusters) {
    if (auto c = parse(cluster.pod_cidr)) taken.push_back(*c);
    if (auto c = parse(cluster.service_cidr)) taken.push_back(*c);
  }
  Pool pods{"pods", "pod", parse(lab.pod_pool), lab.pod_prefix};
  Pool services{"services", "service", parse(lab.service_pool), lab.service_prefix};
  const auto allocate = [&](const Cluster& cluster, Pool& pool, std::string& cidr) {
    if (!cidr.empty() || !pool.block) return;
    if (pool.prefix < pool.block->prefix || pool.prefix > 32) return; // reported by the validator
    if (auto block = first_free(*pool.block, pool.prefix, taken, pool.next)) {
      cidr = block->str();
      taken.push_back(*block);
      pool.next = block->last() + 1;
      return;
    }
    const std::string path = "clusters." + cluster.name;
    const Position at = lab.where(path);
    diagnostics.push_back(Diagnostic{
        at.file, at.line, at.column,
        fmt::format("{}: no free /{} block left in the {} pool {}", path, pool.prefix, pool.noun, pool.block->str()),
        fmt::format("set {}CIDR on the cluster, or give addressPools.{} a larger block", pool.noun, pool.key)});
    pool.block.reset(); // one message per pool is enough
  };
  for (auto& cluster : lab.clusters) {
    if (cluster.provider == Provider::external) continue; // an existing cluster has its own
    allocate(cluster, pods, cluster.pod_cidr);
    allocate(cluster, services, cluster.service_cidr);
  }
}

} // namespace meshlab::lab

#include "kube/object_snapshot.hpp"

#include "kube/object.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace meshlab::kube {

namespace {

// "gateway.networking.istio.io" -> "gateway"; "secret" -> "secret".
std::string kind_of(const std::string& resource) { return resource.substr(0, resource.find('.')); }

// "gateway.networking.istio.io" -> "networking.istio.io"; "secret" -> "" (core).
std::string group_of(const std::string& resource) {
  const auto dot = resource.find('.');
  return dot == std::string::npos ? std::string() : resource.substr(dot + 1);
}

// Kinds of these groups are served by every cluster; any other group comes with its CRDs.
std::string family_of(const std::string& resource) {
  auto group = group_of(resource);
  return group == "apps" ? std::string() : group;
}

void add(SnapshotRead& read, const Want& want) {
  read.covers.insert(want);
  const auto at = std::lower_bound(read.resources.begin(), read.resources.end(), want.first);
  if (at == read.resources.end() || *at != want.first) read.resources.insert(at, want.first);
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool is_blank(const std::string& text) { return text.find_first_not_of(" \t\r\n") == std::string::npos; }

std::string cluster_key(const Kubectl& kubectl) {
  return kubectl.kubeconfig().string() + '\n' + kubectl.context();
}

} // namespace

std::vector<std::string> SnapshotRead::args() const {
  std::vector<std::string> args{"get", util::join(resources, ",")};
  if (scope == "*") args.push_back("-A");
  else if (!scope.empty()) args.insert(args.end(), {"-n", scope});
  args.insert(args.end(), {"-o", "json"});
  return args;
}

bool SnapshotRead::secret() const { return std::find(resources.begin(), resources.end(), "secret") != resources.end(); }

std::vector<SnapshotRead> plan_snapshot_reads(const std::set<Want>& wants) {
  std::map<std::string, std::vector<Want>> families;
  for (const auto& want : wants) families[family_of(want.first)].push_back(want);
  std::vector<SnapshotRead> reads;
  for (const auto& [family, entries] : families) {
    std::set<std::string> namespaces;
    for (const auto& [resource, ns] : entries)
      if (!ns.empty()) namespaces.insert(ns);
    if (family.empty() && !namespaces.empty()) {
      // Built-in kinds, one read per namespace; cluster-scoped kinds ride along with the first
      // (kubectl ignores -n for them).
      for (const auto& ns : namespaces) {
        SnapshotRead read{.scope = ns};
        const bool first = ns == *namespaces.begin();
        for (const auto& want : entries)
          if (want.second == ns || (first && want.second.empty())) add(read, want);
        reads.push_back(std::move(read));
      }
      continue;
    }
    SnapshotRead read{.scope = namespaces.size() > 1 ? "*" : namespaces.empty() ? "" : *namespaces.begin()};
    for (const auto& want : entries) add(read, want);
    reads.push_back(std::move(read));
  }
  return reads;
}

void ObjectSnapshot::expect(const std::filesystem::path& kubeconfig, const std::string& context,
                            const std::string& resource, const std::string& ns) {
  const std::lock_guard lock(m_mutex);
  m_wants[kubeconfig.string() + '\n' + context].insert({resource, ns});
}

std::optional<nlohmann::json> ObjectSnapshot::items(const Kubectl& kubectl, const std::string& resource,
                                                    const std::string& ns) {
  const Want want{resource, ns};
  const auto cluster = cluster_key(kubectl);
  SnapshotRead read;
  {
    const std::lock_guard lock(m_mutex);
    const auto found = m_wants.find(cluster);
    const bool declared = found != m_wants.end() && found->second.count(want) > 0;
    for (auto& candidate : plan_snapshot_reads(declared ? found->second : std::set<Want>{want}))
      if (candidate.covers.count(want) > 0) read = std::move(candidate);
  }
  const auto args = read.args();
  const auto answer = m_reads.get(cluster + '\n' + util::join(args, " "), [&]() -> Answer {
    const auto done = kubectl.check(args, std::nullopt, read.secret());
    if (is_blank(done.out)) return nullptr; // --dry-run's answer
    auto doc = nlohmann::json::parse(done.out, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("items") || !doc["items"].is_array())
      throw Error(fmt::format("kubectl get {} on {} printed no list of objects", args[1], kubectl.context()));
    return std::make_shared<const nlohmann::json>(std::move(doc["items"]));
  });
  if (!answer) return std::nullopt;
  const auto kind = kind_of(resource);
  const auto group = group_of(resource);
  auto selected = nlohmann::json::array();
  for (const auto& item : *answer) {
    const auto& version = member(item, "apiVersion");
    const auto api_version = version.is_string() ? version.get<std::string>() : std::string();
    const auto slash = api_version.find('/');
    const auto item_group = slash == std::string::npos ? std::string() : api_version.substr(0, slash);
    const auto& item_ns = member(member(item, "metadata"), "namespace");
    const auto& item_kind = member(item, "kind");
    if (item_kind.is_string() && lowercase(item_kind.get<std::string>()) == kind && item_group == group &&
        (item_ns.is_string() ? item_ns.get<std::string>() : std::string()) == ns)
      selected.push_back(item);
  }
  return selected;
}

void ObjectSnapshot::forget() { m_reads.forget(); }

} // namespace meshlab::kube

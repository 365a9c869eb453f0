#include "render/render.hpp"

#include "pki/ca.hpp"
#include "pki/host_cert.hpp"
#include "render/artifact.hpp"
#include "render/cloud_init.hpp"
#include "render/engine.hpp"
#include "render/index.hpp"
#include "render/kind_config.hpp"
#include "render/mesh.hpp"
#include "render/vm_bootstrap.hpp"
#include "render/written_files.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <iterator>
#include <system_error>

namespace meshlab::render {

namespace fs = std::filesystem;

namespace {

// A path an artifact may be written to: relative, no "." or ".." parts, not the index,
// not inside the CA tree (which only pki writes).
bool is_artifact_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path == k_index_file || path.rfind("ca/", 0) == 0) return false;
  // Split by hand, as fs::path would (repeated slashes are one), but without its
  // allocations: every rendered path is checked on every render.
  for (std::size_t start = 0; start < path.size();) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part == "." || part == "..") return false;
    start = end + 1;
  }
  return path.back() != '/';
}

// Every (cluster, host) pair that needs a server certificate: each host of each app on
// each of the app's target clusters, in lab order.
std::vector<pki::HostOnCluster> ingress_hosts(const lab::Lab& lab) {
  std::vector<pki::HostOnCluster> out;
  for (const auto& app : lab.apps)
    if (!app.hosts.empty())
      for (const auto* cluster : lab.resolve(app.targets))
        for (const auto& host : app.hosts) out.push_back({cluster->name, host});
  return out;
}

std::vector<Artifact> render_artifacts(const lab::Lab& lab, const NodeCa& ca, const TemplateSource& templates) {
  std::vector<Artifact> out = render_cloud_init(lab, ca, templates);
  auto kind = render_kind(lab, templates);
  auto mesh = render_mesh(lab, templates);
  auto bootstrap = render_vm_bootstrap(lab, ca.root_cert_pem);
  out.reserve(out.size() + kind.size() + mesh.size() + bootstrap.size());
  std::move(kind.begin(), kind.end(), std::back_inserter(out));
  std::move(mesh.begin(), mesh.end(), std::back_inserter(out));
  std::move(bootstrap.begin(), bootstrap.end(), std::back_inserter(out));
  return out;
}

// Writes `content` unless the file already holds exactly that; true when written.
bool write_if_changed(const fs::path& path, const std::string& content, fs::perms mode) {
  if (util::file_holds(path, content, mode)) return false;
  util::write_file_atomic(path, content, mode);
  return true;
}

// Removes `path` (relative to `out_dir`), then its parent directories while empty.
// Returns whether the file was there.
bool remove_stale(const fs::path& out_dir, const std::string& path) {
  std::error_code ec;
  const bool removed = fs::remove(out_dir / path, ec);
  if (ec) throw Error(fmt::format("cannot remove stale file {}: {}", (out_dir / path).string(), ec.message()));
  for (auto dir = fs::path(path).parent_path(); !dir.empty(); dir = dir.parent_path())
    if (!fs::remove(out_dir / dir, ec)) break; // not empty (or gone): stop climbing
  return removed;
}

// Sorting thousands of artifacts in place swaps five strings per step; sorting their
// indexes and moving each artifact once is cheaper.
std::vector<Artifact> sorted_by_path(std::vector<Artifact> artifacts) {
  std::vector<std::size_t> order(artifacts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&artifacts](std::size_t a, std::size_t b) { return artifacts[a].path < artifacts[b].path; });
  std::vector<Artifact> sorted;
  sorted.reserve(artifacts.size());
  for (const auto i : order) sorted.push_back(std::move(artifacts[i]));
  return sorted;
}

} // namespace

RenderSummary render_all(const lab::Lab& lab, const RenderOptions& options) {
  const auto& out_dir = options.out_dir;
  std::vector<std::string> ca_clusters;
  for (const auto* cluster : lab.workload_clusters()) ca_clusters.push_back(cluster->name);
  auto lab_dir = fs::path(lab.source_file).parent_path();
  if (lab_dir.empty()) lab_dir = ".";
  auto ca_files = pki::ensure_ca(lab.ca, ca_clusters, out_dir, lab_dir);
  // Host certificates are checked (or issued) on a thread of their own while the templates
  // render: nothing rendered depends on them, and their check is mostly file-system calls
  // where rendering is mostly computing.
  auto host_files = std::async(std::launch::async, [&out_dir, hosts = ingress_hosts(lab)] {
    return pki::ensure_host_certificates(out_dir, hosts);
  });
  std::vector<Artifact> rendered;
  std::exception_ptr render_error;
  try {
    const TemplateSource templates{options.templates_dir};
    const NodeCa ca{util::read_file(out_dir / "ca" / "root-cert.pem")};
    rendered = render_artifacts(lab, ca, templates);
  } catch (...) {
    render_error = std::current_exception();
  }
  // A certificate problem is reported first, as when the certificates were done first.
  for (auto& file : host_files.get()) ca_files.push_back(std::move(file));
  if (render_error) std::rethrow_exception(render_error);
  auto artifacts = sorted_by_path(std::move(rendered));

  for (std::size_t i = 0; i < artifacts.size(); ++i) {
    const auto& path = artifacts[i].path;
    if (!is_artifact_path(path) || (i > 0 && path == artifacts[i - 1].path)) // sorted: a twin is next to it
      throw Error(fmt::format("internal error: artifact path \"{}\" is invalid or rendered twice", path));
  }
  const auto produced = [&artifacts](const std::string& path) {
    const auto it = std::lower_bound(artifacts.begin(), artifacts.end(), path,
                                     [](const Artifact& a, const std::string& p) { return a.path < p; });
    return it != artifacts.end() && it->path == path;
  };

  // The artifacts are sorted already; the CA files are sorted on their own and merged in.
  const auto by_path = [](const IndexEntry& a, const IndexEntry& b) { return a.path < b.path; };
  std::vector<IndexEntry> ca_entries;
  for (const auto& file : ca_files) ca_entries.push_back({file.path, "ca", file.cluster, file.purpose});
  std::sort(ca_entries.begin(), ca_entries.end(), by_path);
  std::vector<IndexEntry> artifact_entries;
  artifact_entries.reserve(artifacts.size());
  for (const auto& artifact : artifacts)
    artifact_entries.push_back({artifact.path, artifact.kind, artifact.cluster, artifact.purpose});
  RenderSummary summary;
  summary.files.reserve(ca_entries.size() + artifact_entries.size());
  std::merge(std::make_move_iterator(ca_entries.begin()), std::make_move_iterator(ca_entries.end()),
             std::make_move_iterator(artifact_entries.begin()), std::make_move_iterator(artifact_entries.end()),
             std::back_inserter(summary.files), by_path);
  const auto index = index_json(lab.name, summary.files);

  // An earlier index identical to this one lists exactly the files rendered now, so
  // nothing is stale; parsing it (thousands of entries for a big lab) is only needed
  // when it differs.
  const auto index_path = out_dir / k_index_file;
  std::error_code ec;
  if (fs::is_regular_file(index_path, ec)) {
    const auto previous = util::read_file(index_path);
    if (previous != index) {
      for (const auto& path : listed_paths(previous))
        if (!produced(path) && is_artifact_path(path)) summary.removed += remove_stale(out_dir, path) ? 1 : 0;
    }
  }
  // Checking thousands of files against the disk is mostly system-call time: spread it.
  WrittenFiles written(out_dir);
  written.expect(artifacts.size());
  std::atomic<int> changed = 0;
  util::parallel_for(artifacts.size(), 256, [&](std::size_t i, std::size_t) {
    const auto& artifact = artifacts[i];
    if (written.ensure(i, artifact.path, artifact.content, artifact.mode)) ++changed;
  });
  summary.changed += changed;
  written.save();
  write_if_changed(index_path, index, fs::perms(0644));
  return summary;
}

} // namespace meshlab::render

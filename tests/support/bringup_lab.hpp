// A small lab for the bring-up action tests (cacerts, Argo CD, apps, remote secrets): a
// management cluster "hub" outside the mesh and a multi-network cell "mesh" with "east" and
// "west", its state directory in a temp dir with the CA made and Argo CD manifests written
// the way rendering lays them out, plus helpers to run one step as the executor would.
#pragma once

#include "actions/launch_context.hpp"
#include "actions/step_ids.hpp"
#include "exec/log.hpp"
#include "lab/load.hpp"
#include "pki/ca.hpp"
#include "plan/plan.hpp"
#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "ui/status.hpp"
#include "util/files.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace meshlab::test {

// `clusters` and `extra` are spliced into the lab file, so a test can move "hub" into the
// cell or point argocd.manifest at a loopback server.
inline std::string bringup_lab_yaml(const std::string& state_dir, const std::string& extra = "",
                                    const std::string& hub = "{provider: kind, role: management}") {
  return "apiVersion: meshlab.dev/v1alpha1\n"
         "kind: Lab\n"
         "name: bring\n"
         "stateDir: " +
         state_dir +
         "\n"
         "registries: {}\n"
         "ca: {keyType: ecdsa, keySize: 256}\n"
         "cells:\n"
         "  mesh: {networkMode: multi}\n"
         "  solo: {networkMode: single, trustDomain: solo.local}\n"
         "clusters:\n"
         "  hub: " +
         hub +
         "\n"
         "  east: {provider: kind, cell: mesh, network: east-net, locality: eu/zone-a}\n"
         "  west: {provider: kind, cell: mesh, network: west-net, locality: us/zone-b}\n"
         "  lone: {provider: kind, cell: solo, locality: ap}\n"
         "apps:\n"
         "  httpbin:\n"
         "    namespace: httpbin\n"
         "    targets: {cell: mesh}\n"
         "    git: {repo: \"https://github.com/istio/istio\", path: samples/httpbin, revision: \"1.30.3\"}\n" +
         extra;
}

class BringupLab {
public:
  explicit BringupLab(const std::string& extra = "", const std::string& hub = "{provider: kind, role: management}") {
    util::write_file_atomic(m_dir / "lab.yaml", bringup_lab_yaml((m_dir / "state").string(), extra, hub));
    m_lab = std::make_unique<lab::Lab>(lab::load_valid_lab((m_dir / "lab.yaml").string()));
    std::vector<std::string> clusters;
    for (const auto* cluster : m_lab->workload_clusters()) clusters.push_back(cluster->name);
    pki::ensure_ca(m_lab->ca, clusters, state(), m_dir.path());
    write_argocd_manifests();
  }

  const lab::Lab& lab() const { return *m_lab; }
  std::filesystem::path state() const { return m_dir / "state"; }
  const std::filesystem::path& dir() const { return m_dir.path(); }
  const lab::Cluster& cluster(const std::string& name) const { return *m_lab->cluster(name); }
  // Every context shares one snapshot, as the steps of one launch do: a test that changes the
  // world between two checks tells it with snapshot().forget().
  actions::LaunchContext ctx() const {
    return actions::LaunchContext{.lab = *m_lab, .state_dir = state(), .provider = {}, .snapshot = m_snapshot};
  }
  actions::Snapshot& snapshot() const { return *m_snapshot; }

  // `kubectl --kubeconfig <state>/kubeconfigs/<c>.yaml --context bring-<c> <rest...>`
  Argv kubectl(const std::string& cluster, const Argv& rest = {}) const {
    Argv argv{"kubectl", "--kubeconfig", (state() / "kubeconfigs" / (cluster + ".yaml")).string(), "--context",
              "bring-" + cluster};
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
  }

  // The steps the providers branch adds (kubeconfig with its facts, ready) for every
  // cluster, then whatever `add` adds; built.
  plan::Plan plan(const std::function<void(plan::PlanBuilder&, const actions::LaunchContext&)>& add) const {
    plan::PlanBuilder builder;
    for (const auto& cluster : m_lab->clusters) {
      const auto name = cluster.name;
      builder.add(plan::Step{.id = actions::ids::cluster_kubeconfig(name),
                             .title = "Writing the kubeconfig of " + name,
                             .run = [name](plan::StepContext& sc) { sc.facts = kubeconfig_facts(name); }});
      builder.add(plan::Step{.id = actions::ids::cluster_ready(name),
                             .title = "Waiting for " + name,
                             .needs = {actions::ids::cluster_kubeconfig(name)},
                             .run = [](plan::StepContext&) {}});
    }
    add(builder, ctx());
    return builder.build();
  }

  static plan::Facts kubeconfig_facts(const std::string& cluster) {
    return {{"context", "bring-" + cluster},
            {"server", "https://127.0.0.1:6443"},
            {"internal_server", "https://bring-" + cluster + "-control-plane:6443"}};
  }

  // What earlier steps learned, as the executor passes it: every cluster's kubeconfig facts.
  static std::map<std::string, plan::Facts> earlier_facts(const std::vector<std::string>& clusters) {
    std::map<std::string, plan::Facts> earlier;
    for (const auto& c : clusters) earlier[actions::ids::cluster_kubeconfig(c)] = kubeconfig_facts(c);
    return earlier;
  }

private:
  void write_argocd_manifests() const {
    const auto project = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: apps\n"
                         "  namespace: argocd\nspec:\n  sourceRepos: ['*']\n";
    const auto app = [](const std::string& cluster) {
      return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + cluster +
             "-httpbin\n  namespace: argocd\nspec:\n  project: apps\n  source:\n    repoURL: "
             "https://github.com/istio/istio\n    path: samples/httpbin\n    targetRevision: \"1.30.3\"\n"
             "  destination:\n    name: bring-" +
             cluster +
             "\n    namespace: httpbin\n"
             "  syncPolicy:\n    automated: {prune: true, selfHeal: true}\n    syncOptions: [CreateNamespace=true]\n";
    };
    util::write_file_atomic(state() / "argocd/projects/apps.yaml", project);
    util::write_file_atomic(state() / "argocd/applications/east-httpbin.yaml", app("east"));
    util::write_file_atomic(state() / "argocd/applications/west-httpbin.yaml", app("west"));
    nlohmann::json index = {{"lab", "bring"}, {"files", nlohmann::json::array()}};
    for (const char* path : {"argocd/applications/east-httpbin.yaml", "argocd/applications/west-httpbin.yaml",
                             "argocd/projects/apps.yaml"})
      index["files"].push_back({{"path", path}, {"kind", "argocd"}, {"cluster", ""}, {"purpose", "test"}});
    index["files"].push_back({{"path", "ca/root-cert.pem"}, {"kind", "ca"}, {"cluster", ""}, {"purpose", "root"}});
    util::write_file_atomic(state() / "index.json", index.dump(2));
  }

  TempDir m_dir;
  std::shared_ptr<actions::Snapshot> m_snapshot = std::make_shared<actions::Snapshot>();
  std::unique_ptr<lab::Lab> m_lab;
};

// How one step ended when run by run_step.
struct StepRun {
  plan::Facts facts;
  std::string log;
};

class NullStatus : public ui::Status {
public:
  void begin(std::size_t) override {}
  void step_started(std::string_view, std::string_view) override {}
  void step_finished(std::string_view, std::string_view, ui::Outcome, std::chrono::milliseconds) override {}
  void info(std::string_view) override {}
  void warn(std::string_view) override {}
  void end() override {}
};

// Runs step `id` of `plan` as the executor would (its runner, a log, `earlier` facts),
// except that commands are not logged. Throws what the step throws.
inline StepRun run_step(const plan::Plan& plan, const std::string& id, exec::Runner& runner,
                        const std::map<std::string, plan::Facts>& earlier) {
  const auto* step = plan.find(id);
  if (step == nullptr) throw std::runtime_error("no step " + id);
  NullStatus status;
  std::ostringstream log;
  plan::StepContext sc{runner, status, log, std::nullopt, earlier, {}};
  step->run(sc);
  return {sc.facts, log.str()};
}

// Writes each command to its log sink the way PosixRunner does (exec::log_start/finish,
// which redact secrets), then answers from `inner`: step logs as a real run leaves them.
class LoggingRunner : public exec::Runner {
public:
  explicit LoggingRunner(exec::Runner& inner) : m_inner(inner) {}
  exec::Completed run(const exec::Command& cmd) override {
    if (cmd.log != nullptr) exec::log_start(*cmd.log, cmd);
    auto done = m_inner.run(cmd);
    if (cmd.log != nullptr) exec::log_finish(*cmd.log, cmd, done);
    return done;
  }

private:
  exec::Runner& m_inner;
};

// A YAML stream parsed back, one node per document.
inline std::vector<YAML::Node> yaml_docs(const std::string& text) { return YAML::LoadAll(text); }

// A step's needs, for order checks.
inline std::vector<std::string> needs_of(const plan::Plan& plan, const std::string& id) {
  const auto* step = plan.find(id);
  return step == nullptr ? std::vector<std::string>{} : step->needs;
}

} // namespace meshlab::test

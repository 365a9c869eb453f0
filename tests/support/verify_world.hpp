// What the verify tests share: a VerifyContext over a RecordingRunner, the kubectl argv
// prefix of a lab cluster, and small JSON makers for the objects checks read.
#pragma once

#include "support/recording_runner.hpp"
#include "support/temp_dir.hpp"
#include "verify/check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

namespace meshlab::test {

// kubectl answers are kept in a table, so a SUBCASE can replace one the fixture scripted
// (RecordingRunner would queue it behind the first); a kubectl command nobody scripted fails.
struct VerifyWorld {
  lab::Lab lab;
  TempDir dir;
  RecordingRunner runner;
  std::map<exec::Argv, exec::Completed> answers;
  std::mutex mutex;

  explicit VerifyWorld(lab::Lab l) : lab(std::move(l)) {
    runner.on_prefix({"kubectl"}, [this](const exec::Command& cmd) {
      const std::lock_guard lock(mutex);
      const auto found = answers.find(cmd.argv);
      if (found != answers.end()) return found->second;
      return exec::Completed{.exit_code = 1, .err = "no answer scripted for this command\n"};
    });
  }

  verify::VerifyContext ctx() { return verify::VerifyContext{lab, dir.path(), runner}; }

  // `kubectl --kubeconfig <state>/kubeconfigs/<cluster>.yaml --context <instance> <rest...>`
  exec::Argv kubectl(const std::string& cluster, exec::Argv rest) const {
    exec::Argv argv{"kubectl", "--kubeconfig", (dir.path() / "kubeconfigs" / (cluster + ".yaml")).string(), "--context",
                    lab.instance_name(cluster)};
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
  }
  void on_kubectl(const std::string& cluster, exec::Argv rest, const nlohmann::json& answer) {
    on_kubectl(cluster, std::move(rest), exec::Completed{.out = answer.dump()});
  }
  void on_kubectl(const std::string& cluster, exec::Argv rest, exec::Completed answer) {
    const std::lock_guard lock(mutex);
    answers[kubectl(cluster, std::move(rest))] = std::move(answer);
  }
};

// labs/ci-smoke.yaml in code: two single-node kind clusters in one single-network cell,
// Argo CD on "one".
inline lab::Lab ci_smoke_like_lab() {
  lab::Lab lab;
  lab.name = "ci-smoke";
  lab.prefix = "ci-smoke";
  lab.argocd.enabled = true;
  lab.cells.push_back(lab::Cell{.name = "smoke", .mesh_id = "smoke", .trust_domain = "cluster.local",
                                .cluster_domain = "cluster.local", .network_mode = lab::NetworkMode::single,
                                .network = "smoke-network", .clusters = {"one", "two"}});
  for (const char* name : {"one", "two"}) {
    lab::Cluster c{.name = name, .provider = lab::Provider::kind, .cell = "smoke"};
    c.role = std::string(name) == "one" ? lab::ClusterRole::management : lab::ClusterRole::workload;
    c.locality = lab::Locality{"ci", name, ""};
    c.nodes = {lab::KindNode{"control-plane", c.locality}};
    c.network = "smoke-network";
    c.domain = "cluster.local";
    lab.clusters.push_back(c);
  }
  return lab;
}

inline nlohmann::json list_of(nlohmann::json items) { return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}; }

inline nlohmann::json node(const std::string& name, const lab::Locality& at, bool ready = true) {
  nlohmann::json labels = {{"kubernetes.io/hostname", name}};
  if (!at.region.empty()) labels["topology.kubernetes.io/region"] = at.region;
  if (!at.zone.empty()) labels["topology.kubernetes.io/zone"] = at.zone;
  if (!at.subzone.empty()) labels["topology.istio.io/subzone"] = at.subzone;
  return {{"metadata", {{"name", name}, {"labels", labels}}},
          {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

inline const verify::CheckResult* find_result(const std::vector<verify::CheckResult>& results, const std::string& subject) {
  const auto it = std::find_if(results.begin(), results.end(),
                               [&](const verify::CheckResult& r) { return r.subject == subject; });
  return it == results.end() ? nullptr : &*it;
}

// Every evidence line of `r`, joined, for CHECKs on what the evidence says.
inline std::string evidence_of(const verify::CheckResult& r) {
  std::string out;
  for (const auto& e : r.evidence) {
    out += "$ " + e.command + "\n";
    for (const auto& line : e.lines) out += line + "\n";
  }
  return out;
}

} // namespace meshlab::test

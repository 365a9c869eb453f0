// What every action needs to add its steps to a launch plan: the lab, where its rendered
// files and state live, and which runner-backed providers to use. Step ids are built by
// the functions in step_ids.hpp so actions refer to each other's steps consistently.
#pragma once

#include "actions/snapshot.hpp"
#include "lab/model.hpp"
#include "providers/provider.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace meshlab::actions {

struct LaunchContext {
  const lab::Lab& lab;
  // The lab's state directory: rendered files (render_all's output, see index.json), the
  // CA, kubeconfigs/, cache/, logs/, journal.json, report.json.
  std::filesystem::path state_dir;
  // The provider for a lab provider (multipass, kind, external); owned by the caller.
  std::function<providers::Provider&(lab::Provider)> provider;
  // The plan is for --dry-run (its runner answers every command with success and no output):
  // steps skip what cannot work without real tools — readiness waits, downloads — instead of
  // waiting for answers that never come.
  bool dry_run = false;
  // What the steps' resume checks read of the world, shared by all of them (one per plan:
  // copies of this context share it).
  std::shared_ptr<Snapshot> snapshot = std::make_shared<Snapshot>();

  // The kubeconfig file meshlab itself uses for a cluster: state_dir/kubeconfigs/<cluster>.yaml,
  // holding one context named context_for(cluster).
  std::filesystem::path kubeconfig_for(const lab::Cluster& cluster) const {
    return state_dir / "kubeconfigs" / (cluster.name + ".yaml");
  }
  // The context name users and meshlab use for a cluster: its instance name ("kube-01",
  // "mesh-east"), also for kind (not kind's "kind-<name>").
  std::string context_for(const lab::Cluster& cluster) const { return lab.instance_name(cluster.name); }
};

} // namespace meshlab::actions

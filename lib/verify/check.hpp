// The vocabulary of `meshlab verify`: a check looks at the live lab through a Runner and
// returns one result per thing it judged (a cluster, a cell, a host), each carrying the
// evidence that decided it — the commands run and the lines of their output that mattered —
// so a failed check in CI says why without a rerun.
#pragma once

#include "exec/runner.hpp"
#include "lab/model.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace meshlab::verify {

class ClusterViews; // cluster_view.hpp

// skip: the check does not apply to this lab (no VMs, single network, no traffic policy…);
// it is never counted as passed.
enum class Outcome { pass, fail, skip };

struct Evidence {
  std::string command;            // as the user would type it (exec::quote of the argv)
  std::vector<std::string> lines; // the output lines that decided the outcome, not all output
};

struct CheckResult {
  std::string check;   // stable id of the check: "nodes", "cacerts", "istiod", "eastwest",
                       // "argocd-apps", "cross-cluster", "vm", "locality", "tls-ingress"
  std::string subject; // what was judged: "cluster/kube-01", "cell/mesh", "vm/virt-01", "host/httpbin.blau.demo.lab"
  Outcome outcome = Outcome::pass;
  std::string message; // one line: what was found ("3/3 nodes Ready with locality labels")
  std::vector<Evidence> evidence;
  std::chrono::milliseconds elapsed{};
};

// What a check may use. Kubeconfigs are the lab's own (state_dir/kubeconfigs/<cluster>.yaml,
// context = lab.instance_name(cluster)); the root certificate is state_dir/ca/root-cert.pem.
struct VerifyContext {
  const lab::Lab& lab;
  std::filesystem::path state_dir;
  exec::Runner& runner;
  // What the traffic checks have read of each cluster, shared by the checks of one run
  // (run_checks sets it); empty: each check reads for itself.
  std::shared_ptr<ClusterViews> views{};
};

// What a check does to the lab while it runs. A check that disturbs it (the locality check
// drains sidecars, then recreates their pods) runs alone, after every other check, so no
// check measures a mesh another one is changing.
enum class Effect { reads, disturbs };

struct Check {
  std::string id;      // as in CheckResult::check
  std::string title;   // "nodes Ready and labelled with their locality"
  std::function<std::vector<CheckResult>(const VerifyContext&)> run;
  Effect effect = Effect::reads;
};

} // namespace meshlab::verify

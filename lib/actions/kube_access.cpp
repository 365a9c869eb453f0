#include "actions/kube_access.hpp"

#include "actions/step_ids.hpp"
#include "exec/check.hpp"
#include "kube/object.hpp"
#include "net/http.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace meshlab::actions {

kube::Kubectl kubectl_for(const LaunchContext& ctx, const lab::Cluster& cluster, exec::Runner& runner) {
  return kube::Kubectl(runner, ctx.kubeconfig_for(cluster), ctx.context_for(cluster));
}

RunMode run_mode(const exec::Completed& done) {
  const bool empty = done.out.find_first_not_of(" \t\r\n") == std::string::npos;
  return done.exit_code == 0 && empty ? RunMode::dry_run : RunMode::real;
}

namespace {

nlohmann::json parse(const std::string& text, const std::string& what, const kube::Kubectl& kubectl) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("kubectl printed something that is not JSON for {} on {}", what, kubectl.context()));
  }
}

} // namespace

Lookup lookup(const kube::Kubectl& kubectl, const std::string& kind, const std::string& name, const std::string& ns,
              Secrecy secrecy) {
  std::vector<std::string> args{"get", kind, name, "-o", "json"};
  if (!ns.empty()) args.insert(args.end(), {"-n", ns});
  const bool secret = secrecy == Secrecy::secret;
  const auto done = kubectl.run(args, std::nullopt, secret);
  // "Error from server (NotFound): secrets "x" not found" (contracts/kubectl.md).
  if (done.exit_code != 0 && done.err.find("(NotFound)") != std::string::npos) return {};
  if (done.exit_code != 0) {
    exec::Argv argv{"kubectl", "--kubeconfig", kubectl.kubeconfig().string(), "--context", kubectl.context()};
    argv.insert(argv.end(), args.begin(), args.end());
    throw CommandError(std::move(argv), done.exit_code, done.elapsed,
                       exec::last_lines(done.err, exec::k_error_output_lines), done.timed_out);
  }
  if (run_mode(done) == RunMode::dry_run) return {Lookup::State::unanswered, {}};
  return {Lookup::State::found, parse(done.out, kind + " " + name, kubectl)};
}

void expect_objects(const LaunchContext& ctx, const lab::Cluster& cluster, const std::string& resource,
                    const std::string& ns) {
  ctx.snapshot->objects().expect(ctx.kubeconfig_for(cluster), ctx.context_for(cluster), resource, ns);
}

Lookup snapshot_lookup(const LaunchContext& ctx, const kube::Kubectl& kubectl, const std::string& resource,
                       const std::string& name, const std::string& ns) {
  const auto items = ctx.snapshot->objects().items(kubectl, resource, ns);
  if (!items) return {Lookup::State::unanswered, {}};
  for (const auto& item : *items)
    if (kube::member(kube::member(item, "metadata"), "name") == name) return {Lookup::State::found, item};
  return {};
}

std::optional<nlohmann::json> list_items(const kube::Kubectl& kubectl, const std::string& kinds,
                                         const std::string& ns) {
  const auto done = kubectl.check({"get", kinds, "-n", ns, "-o", "json"});
  if (run_mode(done) == RunMode::dry_run) return std::nullopt;
  auto doc = parse(done.out, kinds, kubectl);
  if (!doc.contains("items") || !doc["items"].is_array())
    throw Error(fmt::format("kubectl get {} on {} returned no items list", kinds, kubectl.context()));
  return doc["items"];
}

RunMode apply_yaml(const kube::Kubectl& kubectl, const std::string& yaml, Secrecy secrecy) {
  const auto done = kubectl.check({"apply", "--server-side", "--field-manager=meshlab", "--force-conflicts", "-f", "-"},
                                  yaml, secrecy == Secrecy::secret);
  return run_mode(done);
}

std::string internal_server(const plan::StepContext& sc, const lab::Cluster& cluster, RunMode mode) {
  const auto step = sc.earlier.find(ids::cluster_kubeconfig(cluster.name));
  if (step != sc.earlier.end()) {
    const auto fact = step->second.find(k_fact_internal_server);
    if (fact != step->second.end() && !fact->second.empty()) return fact->second;
  }
  if (mode == RunMode::dry_run) return fmt::format("https://{}.internal:6443", cluster.name);
  throw Error(fmt::format("the internal API address of cluster {} is unknown: step {} recorded no {} fact",
                          cluster.name, ids::cluster_kubeconfig(cluster.name), k_fact_internal_server));
}

std::string digest(const std::vector<std::string>& parts) {
  std::string text;
  for (const auto& part : parts) text += fmt::format("{}:{}\n", part.size(), part);
  return net::sha256_hex(text);
}

} // namespace meshlab::actions

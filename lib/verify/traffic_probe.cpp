#include "verify/traffic_probe.hpp"

#include "actions/machines_detail.hpp"
#include "exec/quote.hpp"
#include "kube/object.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace meshlab::verify {

namespace {

constexpr std::string_view k_status_marker = "#meshlab-status ";

nlohmann::json parse(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("kubectl printed something that is not JSON for {}", what));
  }
}

std::string label(const std::map<std::string, std::string>& labels, const std::string& key) {
  const auto found = labels.find(key);
  return found == labels.end() ? "" : found->second;
}

lab::Locality parse_locality(const std::string& text, char separator) {
  const auto parts = util::split(text, separator);
  lab::Locality locality;
  if (!parts.empty()) locality.region = parts[0];
  if (parts.size() > 1) locality.zone = parts[1];
  if (parts.size() > 2) locality.subzone = parts[2];
  return locality;
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

bool Pod::has_sidecar() const {
  return std::find(containers.begin(), containers.end(), "istio-proxy") != containers.end();
}

std::string Pod::app_container() const {
  for (const auto& container : containers)
    if (container != "istio-proxy") return container;
  return "";
}

std::map<std::string, lab::Locality> node_localities(const kube::Kubectl& kubectl) {
  std::map<std::string, lab::Locality> result;
  for (const auto& node : actions::detail::parse_nodes(kubectl.list_json("nodes")))
    result[node.name] = lab::Locality{label(node.labels, "topology.kubernetes.io/region"),
                                      label(node.labels, "topology.kubernetes.io/zone"),
                                      label(node.labels, "topology.istio.io/subzone")};
  return result;
}

std::vector<Pod> list_pods(const kube::Kubectl& kubectl, const std::string& cluster, const std::string& ns,
                           const std::string& selector, const std::map<std::string, lab::Locality>& nodes) {
  std::vector<std::string> args{"get", "pods", "-o", "json"};
  if (ns == "*") args.push_back("-A");
  else args.insert(args.end(), {"-n", ns});
  if (!selector.empty()) args.insert(args.end(), {"-l", selector});
  const auto done = kubectl.check(args);
  const auto doc = parse(done.out, fmt::format("pods on {}", kubectl.context()));
  std::vector<Pod> pods;
  for (const auto& item : doc.value("items", nlohmann::json::array())) {
    Pod pod;
    const auto& meta = item["metadata"];
    pod.name = meta.value("name", "");
    pod.ns = meta.value("namespace", ns == "*" ? "" : ns);
    pod.cluster = cluster;
    const auto labels = meta.value("labels", nlohmann::json::object());
    for (const auto& [key, value] : labels.items())
      if (value.is_string()) pod.labels[key] = value.get<std::string>();
    const auto spec = item.value("spec", nlohmann::json::object());
    pod.node = spec.value("nodeName", nlohmann::json()).is_string() ? spec["nodeName"].get<std::string>() : "";
    for (const auto& container : spec.value("containers", nlohmann::json::array()))
      pod.containers.push_back(container.value("name", ""));
    pod.ready = kube::condition_status(item, "Ready") == "True" &&
                kube::member(kube::member(item, "status"), "phase") == "Running";
    if (const auto it = pod.labels.find("topology.istio.io/locality"); it != pod.labels.end())
      pod.locality = parse_locality(it->second, '.'); // label values cannot hold '/'
    else if (const auto node = nodes.find(pod.node); node != nodes.end())
      pod.locality = node->second;
    pods.push_back(std::move(pod));
  }
  return pods;
}

std::optional<ServiceTarget> probe_target(const lab::App& app) {
  std::set<std::string> names{app.name};
  if (app.helm) names.insert(app.helm->chart);
  if (app.git) names.insert(base_name(app.git->path));
  if (names.contains("helloworld")) return ServiceTarget{"helloworld", app.namespace_, "/hello"};
  if (names.contains("httpbin")) return ServiceTarget{"httpbin", app.namespace_, "/hostname"};
  return std::nullopt;
}

std::optional<ServiceTarget> target_for_host(const std::string& host) {
  const auto parts = util::split(host, '.');
  if (parts.size() < 2 || parts[0].empty() || parts[1].empty()) return std::nullopt;
  return ServiceTarget{parts[0], parts[1], parts[0] == "httpbin" ? "/hostname" : parts[0] == "helloworld" ? "/hello" : "/"};
}

std::vector<Answer> curl_from(const kube::Kubectl& kubectl, const Pod& client, const std::string& url, int count,
                              Evidence& evidence) {
  std::vector<std::string> args{"exec", "-n", client.ns, client.name, "-c", client.app_container(), "--",
                                "curl", "-sS", "-m", "5", "-w", fmt::format(R"(\n{}%{{http_code}}\n)", k_status_marker)};
  for (int i = 0; i < count; ++i) args.push_back(url);
  evidence.command = command_text(kubectl, std::vector<std::string>(args.begin(), args.begin() + 13)) +
                     (count > 1 ? fmt::format(" {} (x{})", exec::quote(url), count) : " " + exec::quote(url));
  const auto done = kubectl.run(args);
  std::vector<Answer> answers;
  std::string body;
  for (const auto& line : util::split(done.out, '\n')) {
    if (line.starts_with(k_status_marker)) {
      Answer answer;
      try {
        answer.status = std::stoi(line.substr(k_status_marker.size()));
      } catch (const std::exception&) {
        answer.status = 0;
      }
      while (!body.empty() && body.back() == '\n') body.pop_back(); // ours (-w) and the app's
      answer.body = body;
      answers.push_back(std::move(answer));
      body.clear();
    } else {
      body += line + "\n";
    }
  }
  if (done.exit_code != 0 && answers.empty()) {
    const auto err = util::split(done.err, '\n');
    evidence.lines.push_back(fmt::format("kubectl exited with status {}: {}", done.exit_code,
                                         err.empty() ? "" : err.front()));
  }
  return answers;
}

const Pod* answered_by(const Answer& answer, const std::vector<Pod>& pods) {
  const Pod* best = nullptr;
  for (const auto& pod : pods)
    if (!pod.name.empty() && answer.body.find(pod.name) != std::string::npos &&
        (best == nullptr || pod.name.size() > best->name.size()))
      best = &pod;
  return best;
}

std::string service_url(const lab::Cluster& cluster, const std::string& service, const std::string& ns, int port,
                        const std::string& path) {
  return fmt::format("http://{}.{}.svc.{}:{}{}", service, ns, cluster.domain.empty() ? "cluster.local" : cluster.domain,
                     port, path);
}

bool locality_matches(const lab::Locality& locality, const std::string& pattern) {
  const auto parts = util::split(pattern, '/');
  const std::string have[] = {locality.region, locality.zone, locality.subzone};
  for (std::size_t i = 0; i < parts.size() && i < 3; ++i) {
    if (parts[i] == "*") return true;
    if (parts[i] != have[i]) return false;
  }
  return true;
}

std::vector<const lab::Cluster*> cell_clusters(const lab::Lab& lab, const lab::Cell& cell) {
  std::vector<const lab::Cluster*> result;
  for (const auto& name : cell.clusters)
    if (const auto* cluster = lab.cluster(name)) result.push_back(cluster);
  return result;
}

} // namespace meshlab::verify

// Argo CD objects for the management cluster: two AppProjects and one Application per
// Istio component and per app on each target cluster (argo-cd v3.5.1,
// pkg/apis/application/v1alpha1/types.go).
//
// Projects: "istio" may install the Istio charts (cluster-scoped CRDs, webhooks and RBAC
// included) into istio-system of the workload clusters, from istio.chartRepo only; "apps"
// may deploy the lab's apps, from their repositories only, into their namespaces on their
// target clusters, with Namespace as the only cluster-scoped kind (CreateNamespace). So an
// app can never touch istio-system or cluster-wide objects.
//
// Destinations use the name of the Argo CD cluster Secret, which meshlab registers under
// the cluster's instance name (the management cluster too, so no app needs in-cluster).
#include "render/mesh_detail.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace meshlab::render::mesh {

namespace {

// Sync waves, lowest first: CRDs before the CNI agent, before istiod (whose webhooks
// need both), before gateways (injected by istiod), before apps (injected, routed).
int wave_of(std::string_view component) {
  if (component == "base") return -4;
  if (component == "cni") return -3;
  if (component == "istiod") return -2;
  return -1; // ingress-gateway, eastwest-gateway
}
constexpr int k_app_wave = 0;

// One Application to render: what it installs (an Istio component or an app) on which
// cluster. Its template data is made only when it renders, on a render thread.
struct Application {
  std::string name;
  const lab::Cluster* cluster;
  const IstioRelease* release = nullptr; // an Istio component, or
  const lab::App* app = nullptr;         // an app, with
  const AppValues* values = nullptr;     // its values
};

Data quoted_list(const std::vector<std::string>& items) {
  Data list{Data::type::list};
  for (const auto& item : items) list.push_back(Data{yaml_quote(item)});
  return list;
}

Data group_kind(std::string_view group, std::string_view kind) {
  Data data;
  data.set("group", yaml_quote(group));
  data.set("kind", yaml_quote(kind));
  return data;
}

Data destination(const std::string& cluster, const std::string& ns) {
  Data data;
  data.set("cluster", yaml_quote(cluster));
  data.set("namespace", yaml_quote(ns));
  return data;
}

// Fields every Application shares; the caller fills the source. The template's switches
// (chart, path, helm, has_values, webhooks, server_side, namespace_labels) are set only
// where they are on: mustache reads a missing key as false, and each key set twice would
// cost a second insertion into kainjow's map for each of thousands of Applications.
Data application_base(const lab::Lab& lab, const lab::Cluster& cluster, const std::string& name,
                      std::string_view part_kind, const std::string& part, int wave, std::string_view project,
                      const std::string& ns) {
  Data data;
  data.set("name", yaml_quote(name));
  data.set("cluster", yaml_quote(cluster.name));
  data.set("part_kind", std::string(part_kind));
  data.set("part", yaml_quote(part));
  data.set("wave", yaml_quote(std::to_string(wave)));
  data.set("project", yaml_quote(project));
  data.set("destination", yaml_quote(lab.instance_name(cluster.name)));
  data.set("namespace", yaml_quote(ns));
  return data;
}

void set_values(Data& data, const std::string& release, const std::string& values) {
  data.set("helm", true);
  data.set("release", yaml_quote(release));
  auto text = render::indent(values, 8);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty()) {
    data.set("has_values", true);
    data.set("values", text);
  }
}

Data istio_application(const lab::Lab& lab, const lab::Cluster& cluster, const std::string& name,
                       const IstioRelease& release) {
  auto data = application_base(lab, cluster, name, "component", release.component, wave_of(release.component), "istio",
                               std::string(k_istio_namespace));
  data.set("repo", yaml_quote(lab.istio.chart_repo));
  data.set("revision", yaml_quote(lab.istio.version));
  data.set("chart", true);
  data.set("chart_name", yaml_quote(release.chart));
  set_values(data, release.release, release.values);
  if (release.component == "base" || release.component == "istiod") data.set("webhooks", true);
  // The CRDs in base exceed the annotation size client-side apply needs.
  if (release.component == "base") data.set("server_side", true);
  return data;
}

std::map<std::string, std::string> cluster_vars(const lab::Cluster& cluster) {
  return {{"cluster", cluster.name},
          {"cell", cluster.cell},
          {"network", cluster.network},
          {"domain", cluster.domain},
          {"region", cluster.locality.region},
          {"zone", cluster.locality.zone},
          {"subzone", cluster.locality.subzone}};
}

Data app_application(const lab::Lab& lab, const lab::Cluster& cluster, const std::string& name, const lab::App& app,
                     const AppValues& values) {
  auto data = application_base(lab, cluster, name, "app", app.name, k_app_wave, "apps", app.namespace_);
  if (app.helm) {
    data.set("repo", yaml_quote(app.helm->repo));
    data.set("revision", yaml_quote(app.helm->version));
    data.set("chart", true);
    data.set("chart_name", yaml_quote(app.helm->chart));
    set_values(data, app.name, values.empty() ? "" : values.render(cluster_vars(cluster)));
  } else { // a git source: argocd_manifests made sure the app has one of the two
    data.set("repo", yaml_quote(app.git->repo));
    data.set("revision", yaml_quote(app.git->revision));
    data.set("path", true);
    data.set("path_name", yaml_quote(app.git->path));
    // A helm section turns a directory of manifests into a Helm source, so it is only
    // there when the app has values (its path is then a chart).
    if (!values.empty()) set_values(data, app.name, values.render(cluster_vars(cluster)));
  }
  const auto [label, value] = injection_label(lab);
  Data ns_label;
  ns_label.set("label", yaml_quote(label));
  ns_label.set("value", yaml_quote(value));
  data.set("namespace_labels", ns_label);
  return data;
}

Data project(std::string_view name, std::string_view description, const std::vector<std::string>& repos,
             const Data& destinations, Data cluster_resources) {
  Data data;
  data.set("name", yaml_quote(name));
  data.set("description", yaml_quote(description));
  data.set("repos", quoted_list(repos));
  data.set("destinations", destinations);
  data.set("cluster_resources", cluster_resources);
  return data;
}

void add_unique(std::vector<std::string>& items, const std::string& item) {
  if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
}

} // namespace

std::vector<Artifact> argocd_manifests(const lab::Lab& lab, const std::vector<ClusterReleases>& istio,
                                       const TemplateSource& templates) {
  std::vector<Artifact> out;
  if (!lab.argocd.enabled) return out;
  const auto* management = lab.cluster(lab.argocd.cluster);
  if (management == nullptr) management = lab.management_cluster();
  const std::string host = management ? management->name : std::string();

  std::vector<Application> applications;
  Data istio_destinations{Data::type::list};
  for (const auto& [cluster, releases] : istio) {
    istio_destinations.push_back(destination(lab.instance_name(cluster->name), std::string(k_istio_namespace)));
    for (const auto& release : releases)
      applications.push_back({.name = fmt::format("{}-{}", cluster->name, release.component),
                              .cluster = cluster,
                              .release = &release});
  }
  std::vector<std::string> app_repos;
  Data app_destinations{Data::type::list};
  std::set<std::pair<std::string, std::string>> seen_destinations;
  std::vector<AppValues> app_values; // by index in lab.apps; reserved, so pointers stay valid
  app_values.reserve(lab.apps.size());
  for (const auto& app : lab.apps) {
    if (!app.helm && !app.git) throw Error(fmt::format("apps.{}: needs a git or a helm source", app.name));
    const auto& values = app_values.emplace_back(app.values_yaml, fmt::format("apps.{}.values", app.name));
    add_unique(app_repos, app.helm ? app.helm->repo : app.git->repo);
    for (const auto* cluster : lab.resolve(app.targets)) {
      const auto target = lab.instance_name(cluster->name);
      if (seen_destinations.emplace(target, app.namespace_).second)
        app_destinations.push_back(destination(target, app.namespace_));
      applications.push_back(
          {.name = fmt::format("{}-{}", cluster->name, app.name), .cluster = cluster, .app = &app, .values = &values});
    }
  }

  const auto add_project = [&](const std::string& name, const Data& data) {
    out.push_back(Artifact{.path = fmt::format("argocd/projects/{}.yaml", name),
                           .kind = "argocd",
                           .cluster = host,
                           .purpose = fmt::format("Argo CD AppProject {}", name),
                           .content = render(templates, "argocd/app-project.yaml.mustache", data)});
  };
  if (!istio.empty()) {
    Data everything{Data::type::list};
    everything.push_back(group_kind("*", "*"));
    add_project("istio", project("istio", "Istio charts on the workload clusters of the lab", {lab.istio.chart_repo},
                                 istio_destinations, everything));
  }
  if (!lab.apps.empty()) {
    Data namespaces{Data::type::list};
    namespaces.push_back(group_kind("", "Namespace"));
    add_project("apps", project("apps", "The lab's apps, each in its namespace on its target clusters", app_repos,
                                app_destinations, namespaces));
  }

  auto contents = templates.render_each(
      "argocd/application.yaml.mustache", applications.size(),
      [&lab, &applications](std::size_t i) {
        const auto& a = applications[i];
        return a.release ? istio_application(lab, *a.cluster, a.name, *a.release)
                         : app_application(lab, *a.cluster, a.name, *a.app, *a.values);
      },
      BlankLines::drop);

  std::map<std::string, const Application*> by_name;
  for (std::size_t i = 0; i < applications.size(); ++i) {
    const auto& application = applications[i];
    const auto [it, fresh] = by_name.emplace(application.name, &application);
    if (!fresh)
      throw Error(fmt::format("two Argo CD Applications would be named {} (one for cluster {}, one for cluster {}); "
                              "rename an app or a cluster",
                              yaml_quote(application.name), it->second->cluster->name, application.cluster->name));
    const auto& file = path_component(application.name, "Argo CD Application " + application.name);
    out.push_back(Artifact{
        .path = fmt::format("argocd/applications/{}.yaml", file),
        .kind = "argocd",
        .cluster = application.cluster->name,
        .purpose = fmt::format("Argo CD Application {} (applied to the management cluster {})", application.name, host),
        .content = std::move(contents[i])});
  }
  return out;
}

} // namespace meshlab::render::mesh

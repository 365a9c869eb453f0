// The kind `Cluster` config of each kind cluster, and the containerd hosts.toml files
// that point its nodes at the lab's registry caches. View models are computed here;
// the templates in templates/kind/ only lay them out.
#pragma once

#include "lab/model.hpp"
#include "render/artifact.hpp"
#include "render/engine.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::render {

// Where hosts.toml files live inside a kind node; the launch copies
// clusters/<cluster>/containerd/certs.d/<upstream>/hosts.toml to
// <k_containerd_certs_dir>/<upstream>/hosts.toml on every node of the cluster.
inline constexpr std::string_view k_containerd_certs_dir = "/etc/containerd/certs.d";


// The kind config of kind cluster `cluster`: clusters/<cluster>/kind-config.yaml, named
// lab.instance_name(cluster) (kind's contexts become kind-<instance>).
Artifact render_kind_config(const lab::Lab& lab, const lab::Cluster& cluster, const TemplateSource& templates);

// One hosts.toml per lab registry for kind cluster `cluster`, in lab order: the mirror
// is http://<lab.registry_container(host)>:5000, reached over the `kind` network.
std::vector<Artifact> render_containerd_hosts(const lab::Lab& lab, const lab::Cluster& cluster,
                                              const TemplateSource& templates);

// Every kind artifact of the lab: per kind cluster in lab order, its config then its
// hosts.toml files.
std::vector<Artifact> render_kind(const lab::Lab& lab, const TemplateSource& templates);

} // namespace meshlab::render

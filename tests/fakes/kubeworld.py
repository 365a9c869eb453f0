"""The fake Kubernetes clusters behind kubectl and helm: API objects per cluster, resource
types (built-in and from CRDs), and the few controllers meshlab relies on.

Clusters are registered by the provider fakes (kind → "kind/<name>", multipass k3s →
"k3s/<instance>", `fakectl external-cluster` → "external/<name>") in the `clusters` domain;
each cluster's objects live in their own domain. kubectl finds a cluster from the server URL of
its kubeconfig context, so a wrong URL fails the way it would for real.
"""

import copy
import hashlib
import json
import re
import time
import urllib.parse

import argoapps
import fakelib


def new_uid():
    """A random metadata.uid. uuid is imported here, not at the top: it loads `platform`, which
    costs every call that creates nothing a few ms."""
    import uuid
    return str(uuid.uuid4())

# kind, plural, shortnames, group, version, namespaced
BUILTIN = [
    ("Namespace", "namespaces", ["ns"], "", "v1", False),
    ("Node", "nodes", ["no"], "", "v1", False),
    ("Pod", "pods", ["po"], "", "v1", True),
    ("Service", "services", ["svc"], "", "v1", True),
    ("ServiceAccount", "serviceaccounts", ["sa"], "", "v1", True),
    ("Secret", "secrets", [], "", "v1", True),
    ("ConfigMap", "configmaps", ["cm"], "", "v1", True),
    ("Endpoints", "endpoints", ["ep"], "", "v1", True),
    ("Event", "events", ["ev"], "", "v1", True),
    ("PersistentVolumeClaim", "persistentvolumeclaims", ["pvc"], "", "v1", True),
    ("PersistentVolume", "persistentvolumes", ["pv"], "", "v1", False),
    ("ResourceQuota", "resourcequotas", ["quota"], "", "v1", True),
    ("LimitRange", "limitranges", ["limits"], "", "v1", True),
    ("Deployment", "deployments", ["deploy"], "apps", "v1", True),
    ("StatefulSet", "statefulsets", ["sts"], "apps", "v1", True),
    ("DaemonSet", "daemonsets", ["ds"], "apps", "v1", True),
    ("ReplicaSet", "replicasets", ["rs"], "apps", "v1", True),
    ("Job", "jobs", [], "batch", "v1", True),
    ("CronJob", "cronjobs", ["cj"], "batch", "v1", True),
    ("ClusterRole", "clusterroles", [], "rbac.authorization.k8s.io", "v1", False),
    ("ClusterRoleBinding", "clusterrolebindings", [], "rbac.authorization.k8s.io", "v1", False),
    ("Role", "roles", [], "rbac.authorization.k8s.io", "v1", True),
    ("RoleBinding", "rolebindings", [], "rbac.authorization.k8s.io", "v1", True),
    ("CustomResourceDefinition", "customresourcedefinitions", ["crd", "crds"],
     "apiextensions.k8s.io", "v1", False),
    ("NetworkPolicy", "networkpolicies", ["netpol"], "networking.k8s.io", "v1", True),
    ("Ingress", "ingresses", ["ing"], "networking.k8s.io", "v1", True),
    ("IngressClass", "ingressclasses", [], "networking.k8s.io", "v1", False),
    ("MutatingWebhookConfiguration", "mutatingwebhookconfigurations", [],
     "admissionregistration.k8s.io", "v1", False),
    ("ValidatingWebhookConfiguration", "validatingwebhookconfigurations", [],
     "admissionregistration.k8s.io", "v1", False),
    ("PodDisruptionBudget", "poddisruptionbudgets", ["pdb"], "policy", "v1", True),
    ("HorizontalPodAutoscaler", "horizontalpodautoscalers", ["hpa"], "autoscaling", "v2", True),
    ("StorageClass", "storageclasses", ["sc"], "storage.k8s.io", "v1", False),
    ("PriorityClass", "priorityclasses", ["pc"], "scheduling.k8s.io", "v1", False),
    ("Lease", "leases", [], "coordination.k8s.io", "v1", True),
    ("EndpointSlice", "endpointslices", [], "discovery.k8s.io", "v1", True),
    ("APIService", "apiservices", [], "apiregistration.k8s.io", "v1", False),
]

# Istio CRDs that become available once an Argo CD app installs the istio `base` chart.
ISTIO_CRDS = [
    ("Gateway", "gateways", ["gw"], "networking.istio.io"),
    ("VirtualService", "virtualservices", ["vs"], "networking.istio.io"),
    ("DestinationRule", "destinationrules", ["dr"], "networking.istio.io"),
    ("ServiceEntry", "serviceentries", ["se"], "networking.istio.io"),
    ("Sidecar", "sidecars", [], "networking.istio.io"),
    ("WorkloadEntry", "workloadentries", ["we"], "networking.istio.io"),
    ("WorkloadGroup", "workloadgroups", ["wg"], "networking.istio.io"),
    ("EnvoyFilter", "envoyfilters", [], "networking.istio.io"),
    ("ProxyConfig", "proxyconfigs", [], "networking.istio.io"),
    ("PeerAuthentication", "peerauthentications", ["pa"], "security.istio.io"),
    ("AuthorizationPolicy", "authorizationpolicies", ["ap"], "security.istio.io"),
    ("RequestAuthentication", "requestauthentications", ["ra"], "security.istio.io"),
    ("Telemetry", "telemetries", ["telemetry"], "telemetry.istio.io"),
    ("WasmPlugin", "wasmplugins", [], "extensions.istio.io"),
]

ARGO_NS_DEFAULT = "argocd"
IN_CLUSTER_URL = "https://kubernetes.default.svc"
CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"


class ResourceType:
    def __init__(self, kind, plural, shortnames, group, version, namespaced, versions=None):
        self.kind = kind
        self.plural = plural
        self.singular = kind.lower()
        self.shortnames = shortnames
        self.group = group
        self.version = version
        self.versions = versions or [version]
        self.namespaced = namespaced

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self):
        """`deployments.apps`, `secrets` — how kubectl names the type in NotFound errors."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def name_prefix(self):
        """`deployment.apps`, `secret` — the `-o name` / apply-output prefix."""
        return f"{self.singular}.{self.group}" if self.group else self.singular


def split_api_version(api_version):
    if "/" in (api_version or ""):
        g, v = api_version.split("/", 1)
        return g, v
    return "", api_version or ""


def obj_key(group, kind, ns, name):
    return f"{group}/{kind}/{ns or ''}/{name}"


def cluster_domain(key):
    return "kube-" + re.sub(r"[^A-Za-z0-9_.-]", "_", key.replace("/", "--"))


# ---------------------------------------------------------------- cluster registry

def register_cluster(st, key, flavor, name, host_urls, internal_urls, version, extra=None):
    """Record a cluster and create its object store with the namespaces every cluster has."""
    clusters = st.get("clusters")
    meta = {
        "flavor": flavor,
        "name": name,
        "host_urls": host_urls,
        "internal_urls": internal_urls,
        "version": version,
        "ca_data": fakelib.b64(fakelib.fake_pem(f"{key} cluster CA")),
        "admin_cert_data": fakelib.b64(fakelib.fake_pem(f"{key} admin")),
        "admin_key_data": fakelib.b64(fakelib.fake_pem(f"{key} admin", "RSA PRIVATE KEY")),
        "created": time.time(),
    }
    meta.update(extra or {})
    clusters[key] = meta
    st.delete(cluster_domain(key))
    c = Cluster(st, key)
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        c.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    return c


def unregister_cluster(st, key):
    clusters = st.get("clusters")
    if key in clusters:
        release_cluster_ips(st, key)
        del clusters[key]
    st.delete(cluster_domain(key))


def cluster_meta(st, key):
    return st.get("clusters").get(key)


def multipass_instance_state(inst, now=None):
    """Running/Stopped/… of a multipass instance, with Starting until its boot completes."""
    now = time.time() if now is None else now
    state = inst.get("state", "Stopped")
    if state in ("Starting", "Restarting") and now >= inst.get("ready_at", 0):
        return "Running"
    return state


def cluster_alive(st, key):
    meta = cluster_meta(st, key)
    if not meta:
        return False
    flavor = meta["flavor"]
    if flavor == "kind":
        if not meta.get("complete"):
            return False
        c = st.get("docker").get("containers", {}).get(f"{meta['name']}-control-plane")
        return bool(c and c.get("state") == "running")
    if flavor == "k3s":
        inst = st.get("multipass").get("instances", {}).get(meta["instance"])
        return bool(inst and multipass_instance_state(inst) == "Running")
    return meta.get("up", True)


def parse_server(url):
    u = urllib.parse.urlsplit(url or "")
    host = u.hostname or ""
    port = u.port or (443 if u.scheme == "https" else 80)
    return u.scheme, host, port


def resolve_server(st, url, in_cluster_of=None):
    """(cluster key, None) for the cluster at `url`, or (None, error text) like kubectl's.

    From the host only host URLs work; `in_cluster_of` (a cluster key) resolves the way a pod in
    that cluster would (kind's docker-network names, kubernetes.default.svc)."""
    scheme, host, port = parse_server(url)
    if not host:
        return None, "The connection to the server localhost:8080 was refused - did you specify the right host or port?"
    clusters = st.get("clusters")
    hostport = f"{host}:{port}"
    for key, meta in clusters.items():
        for u in meta.get("host_urls", []):
            _, h, p = parse_server(u)
            if (h, p) == (host, port):
                return key, None
    if in_cluster_of is not None:
        if url.rstrip("/") in (IN_CLUSTER_URL, IN_CLUSTER_URL + ":443"):
            return in_cluster_of, None
        for key, meta in clusters.items():
            for u in meta.get("internal_urls", []):
                _, h, p = parse_server(u)
                if (h, p) == (host, port):
                    return key, None
        return None, f"dial tcp {hostport}: connect: connection refused"
    if not re.fullmatch(r"[0-9.]+", host) and host != "localhost":
        return None, f"Unable to connect to the server: dial tcp: lookup {host}: no such host"
    return None, f"The connection to the server {hostport} was refused - did you specify the right host or port?"


# ---------------------------------------------------------------- addresses

def _ips_in_use(st, pool):
    return st.get("counters").setdefault("ips", {}).setdefault(pool, {})


def alloc_pool_ip(st, pool, prefix, owner, first=1, last=254):
    """A stable address for `owner` from the /24 `prefix` (same owner → same address)."""
    used = _ips_in_use(st, pool)
    for ip, o in used.items():
        if o == owner:
            return ip
    ip = fakelib.alloc_ip(set(used), prefix, first, last)
    used[ip] = owner
    return ip


def release_pool_ip(st, pool, owner):
    used = _ips_in_use(st, pool)
    for ip in [ip for ip, o in used.items() if o == owner]:
        del used[ip]


def release_cluster_ips(st, key):
    for pool, used in st.get("counters").get("ips", {}).items():
        for ip in [ip for ip, o in used.items() if o.startswith(key + "|")]:
            del used[ip]


# ---------------------------------------------------------------- label selectors

def parse_selector(text):
    """kubectl label selector → list of (key, op, values). Raises ValueError."""
    reqs = []
    if not text:
        return reqs
    parts = []
    depth = 0
    cur = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    for p in parts:
        p = p.strip()
        if not p:
            continue
        m = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", p)
        if m:
            reqs.append((m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",")]))
            continue
        m = re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)", p)
        if m:
            op = "!=" if m.group(2) == "!=" else "="
            reqs.append((m.group(1), op, [m.group(3)]))
            continue
        m = re.fullmatch(r"(!?)([\w./-]+)", p)
        if m:
            reqs.append((m.group(2), "!exists" if m.group(1) else "exists", []))
            continue
        raise ValueError(p)
    return reqs


def labels_match(labels, reqs):
    labels = labels or {}
    for key, op, vals in reqs:
        if op == "=" and labels.get(key) != vals[0]:
            return False
        if op == "!=" and labels.get(key) == vals[0]:
            return False
        if op == "in" and labels.get(key) not in vals:
            return False
        if op == "notin" and key in labels and labels[key] in vals:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!exists" and key in labels:
            return False
    return True


def match_label_selector(labels, selector):
    """Kubernetes LabelSelector object (matchLabels / matchExpressions)."""
    labels = labels or {}
    for k, v in (selector or {}).get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in (selector or {}).get("matchExpressions", []):
        k, op, vals = e.get("key"), e.get("operator"), e.get("values", [])
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


# ---------------------------------------------------------------- the object store

class Cluster:
    """Objects of one cluster plus its resource types; mutations go straight to state."""

    def __init__(self, st, key):
        self.st = st
        self.key = key
        self.meta = cluster_meta(st, key) or {}
        self.data = st.get(cluster_domain(key))
        self.data.setdefault("objects", {})
        self.data.setdefault("rv", 1)
        self.data.setdefault("app_reads", {})
        self.data.setdefault("tokens", [])

    @property
    def objects(self):
        return self.data["objects"]

    # ---- resource types
    def types(self):
        out = [ResourceType(*t) for t in BUILTIN]
        for o in self.objects.values():
            if o.get("kind") == "CustomResourceDefinition":
                spec = o.get("spec", {})
                names = spec.get("names", {})
                versions = [v.get("name") for v in spec.get("versions", []) if v.get("served", True)]
                if not names.get("kind") or not versions:
                    continue
                storage = next((v.get("name") for v in spec.get("versions", []) if v.get("storage")),
                               versions[0])
                out.append(ResourceType(names["kind"], names.get("plural", names["kind"].lower() + "s"),
                                        names.get("shortNames", []), spec.get("group", ""),
                                        storage, spec.get("scope", "Namespaced") == "Namespaced",
                                        versions))
        return out

    def type_for(self, api_version, kind):
        group, version = split_api_version(api_version)
        for t in self.types():
            if t.kind == kind and t.group == group and version in t.versions:
                return t
        return None

    def resolve_type(self, token):
        """The type a kubectl resource argument names (`deploy`, `deployments.apps`, `app`…)."""
        tok = token.lower()
        types = self.types()
        name, _, group = tok.partition(".")
        if group:
            # plural.group, singular.group, or plural.version.group
            for t in types:
                for cand in (t.group, ):
                    if name in (t.plural, t.singular, t.kind.lower()) and (
                            group == cand or any(group == f"{v}.{cand}" for v in t.versions)):
                        return t
        for t in types:
            if tok in (t.plural, t.singular, t.kind.lower()):
                return t
        for t in types:
            if tok in [s.lower() for s in t.shortnames]:
                return t
        return None

    # ---- objects
    def key_of(self, obj):
        group, _ = split_api_version(obj.get("apiVersion"))
        md = obj.get("metadata", {})
        return obj_key(group, obj.get("kind"), md.get("namespace"), md.get("name"))

    def get(self, rtype, ns, name):
        return self.objects.get(obj_key(rtype.group, rtype.kind, ns if rtype.namespaced else None, name))

    def find(self, group, kind, ns, name):
        return self.objects.get(obj_key(group, kind, ns, name))

    def list(self, rtype, ns=None, selector=None):
        out = []
        prefix = f"{rtype.group}/{rtype.kind}/"
        for k, o in self.objects.items():
            if not k.startswith(prefix):
                continue
            md = o.get("metadata", {})
            if rtype.namespaced and ns is not None and md.get("namespace") != ns:
                continue
            if selector and not labels_match(md.get("labels"), selector):
                continue
            out.append(o)
        out.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return out

    def list_kind(self, group, kind, ns=None):
        prefix = f"{group}/{kind}/"
        return sorted((o for k, o in self.objects.items() if k.startswith(prefix)
                       and (ns is None or o["metadata"].get("namespace") == ns)),
                      key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def put(self, obj):
        """Store `obj` (server-populated metadata added); returns the stored object."""
        md = obj.setdefault("metadata", {})
        old = self.objects.get(self.key_of(obj))
        self.data["rv"] += 1
        if old:
            omd = old.get("metadata", {})
            md["uid"] = omd.get("uid")
            md["creationTimestamp"] = omd.get("creationTimestamp")
            gen = omd.get("generation", 1)
            if json.dumps(old.get("spec"), sort_keys=True) != json.dumps(obj.get("spec"), sort_keys=True):
                gen += 1
            md["generation"] = gen
        else:
            md.setdefault("uid", new_uid())
            md.setdefault("creationTimestamp", fakelib.now_iso())
            md["generation"] = 1
        md["resourceVersion"] = str(self.data["rv"])
        if obj.get("kind") == "Secret":
            normalise_secret(obj)
        self.objects[self.key_of(obj)] = obj
        return obj

    def remove(self, obj):
        k = self.key_of(obj)
        gone = self.objects.pop(k, None)
        if gone is None:
            return None
        md = gone.get("metadata", {})
        uid = md.get("uid")
        if gone.get("kind") == "Namespace":
            for ok in [ok for ok, o in self.objects.items()
                       if o.get("metadata", {}).get("namespace") == md.get("name")]:
                self._release(self.objects.pop(ok))
        elif gone.get("kind") == "CustomResourceDefinition":
            spec = gone.get("spec", {})
            prefix = f"{spec.get('group', '')}/{spec.get('names', {}).get('kind')}/"
            for ok in [ok for ok in self.objects if ok.startswith(prefix)]:
                self.objects.pop(ok)
        # cascade to owned objects (pods of a deployment, apps of an applicationset)
        for ok in [ok for ok, o in self.objects.items()
                   if any(r.get("uid") == uid for r in o.get("metadata", {}).get("ownerReferences", []))]:
            child = self.objects.get(ok)
            if child is not None:
                self.remove(child)
        self._release(gone)
        return gone

    def _release(self, obj):
        if obj.get("kind") == "Service":
            md = obj.get("metadata", {})
            release_pool_ip(self.st, "lb", f"{self.key}|{md.get('namespace')}/{md.get('name')}")

    def namespace_exists(self, ns):
        return obj_key("", "Namespace", None, ns) in self.objects


def normalise_secret(obj):
    """Secrets as the API server stores them: stringData folded into base64 `data`."""
    sd = obj.pop("stringData", None)
    if sd:
        data = obj.setdefault("data", {}) or {}
        obj["data"] = data
        for k, v in sd.items():
            data[k] = fakelib.b64("" if v is None else str(v))
    obj.setdefault("type", "Opaque")


def secret_value(obj, key):
    """Decoded value of `key` in a Secret (data or stringData)."""
    if (obj.get("stringData") or {}).get(key) is not None:
        return str(obj["stringData"][key])
    v = (obj.get("data") or {}).get(key)
    return fakelib.unb64(v) if v is not None else None


# ---------------------------------------------------------------- nodes and system objects

def add_node(c, name, ip, labels, role, version, ready_at, os_image):
    base_labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    if role == "control-plane":
        base_labels["node-role.kubernetes.io/control-plane"] = "true" if c.meta.get("flavor") == "k3s" else ""
        if c.meta.get("flavor") == "k3s":
            base_labels["node-role.kubernetes.io/master"] = "true"
    base_labels.update(labels or {})
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": base_labels, "annotations": {}},
        "spec": {"podCIDR": "", "providerID": f"fake://{c.key}/{name}"},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": version, "kubeProxyVersion": version,
                         "containerRuntimeVersion": "containerd://2.3.1", "osImage": os_image,
                         "architecture": "amd64", "operatingSystem": "linux",
                         "kernelVersion": "6.8.0-fake"},
            "conditions": [],
        },
        "fake": {"ready_at": ready_at},
    }
    c.put(node)
    return node


def add_system_workloads(c, flavor, disabled=()):
    """The workloads a fresh kind or k3s cluster runs (so `get deploy -A` looks familiar)."""
    def deploy(ns, name, labels):
        c.put({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
               "spec": {"replicas": 1, "selector": {"matchLabels": dict(labels)},
                        "template": {"metadata": {"labels": dict(labels)},
                                     "spec": {"containers": [{"name": name, "image": f"fake/{name}"}]}}},
               "fake": {"ready_at": 0}})

    if "coredns" not in disabled:
        deploy("kube-system", "coredns", {"k8s-app": "kube-dns"})
        c.put({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "coredns", "namespace": "kube-system"},
               "data": {"Corefile": ".:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n    }\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"}})
        c.put({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
               "spec": {"type": "ClusterIP", "selector": {"k8s-app": "kube-dns"},
                        "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}})
    if flavor == "kind":
        c.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "local-path-storage"}})
        deploy("local-path-storage", "local-path-provisioner", {"app": "local-path-provisioner"})
        c.put({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
               "provisioner": "rancher.io/local-path"})
    else:
        if "local-storage" not in disabled:
            deploy("kube-system", "local-path-provisioner", {"app": "local-path-provisioner"})
            c.put({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                   "metadata": {"name": "local-path", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                   "provisioner": "rancher.io/local-path"})
        if "metrics-server" not in disabled:
            deploy("kube-system", "metrics-server", {"k8s-app": "metrics-server"})
    c.put({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver"}},
           "spec": {"type": "ClusterIP", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})


def register_istio_crds(c):
    for kind, plural, shorts, group in ISTIO_CRDS:
        if c.find("apiextensions.k8s.io", "CustomResourceDefinition", None, f"{plural}.{group}"):
            continue
        versions = [{"name": v, "served": True, "storage": v == "v1"} for v in ("v1", "v1beta1", "v1alpha3")]
        c.put({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": f"{plural}.{group}", "labels": {"app": "istio-pilot"}},
               "spec": {"group": group, "scope": "Namespaced",
                        "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "shortNames": shorts},
                        "versions": versions}})


# ---------------------------------------------------------------- controllers

def _ready_at(obj):
    return (obj.get("fake") or {}).get("ready_at", 0)


def _set_condition(conds, ctype, status, reason="", message=""):
    for c in conds:
        if c.get("type") == ctype:
            if c.get("status") != status:
                c["lastTransitionTime"] = fakelib.now_iso()
            c.update({"status": status, "reason": reason, "message": message})
            return
    conds.append({"type": ctype, "status": status, "reason": reason, "message": message,
                  "lastTransitionTime": fakelib.now_iso()})


def _ready_nodes(c):
    return [n for n in c.list_kind("", "Node")
            if any(x.get("type") == "Ready" and x.get("status") == "True" for x in n["status"].get("conditions", []))]


def _pod_ip(c, owner):
    n = len(c.data.setdefault("pod_ips", {}))
    ip = c.data["pod_ips"].get(owner)
    if not ip:
        ip = f"127.244.{(n // 250) % 250}.{n % 250 + 2}"
        c.data["pod_ips"][owner] = ip
    return ip


def _make_pod(c, owner_obj, name, template, node, ready):
    md = template.get("metadata", {}) or {}
    ns = owner_obj["metadata"]["namespace"]
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": dict(md.get("labels") or {}),
                     "annotations": dict(md.get("annotations") or {}),
                     "ownerReferences": [{"apiVersion": owner_obj["apiVersion"], "kind": owner_obj["kind"],
                                          "name": owner_obj["metadata"]["name"],
                                          "uid": owner_obj["metadata"]["uid"], "controller": True}]},
        "spec": copy.deepcopy(template.get("spec") or {}),
        "status": {},
    }
    pod["spec"]["nodeName"] = node["metadata"]["name"] if node else None
    _inject_sidecar(c, pod)
    _pod_status(c, pod, node, ready)
    return pod


def injector_revision(ns_labels):
    """The istiod revision whose injection webhook a namespace selects, or None: the default
    revision's for `istio-injection=enabled`, revision R's for `istio.io/rev=R` (the revision
    webhooks skip namespaces that carry `istio-injection` at all)."""
    if "istio-injection" in ns_labels:
        return "default" if ns_labels["istio-injection"] == "enabled" else None
    return ns_labels.get("istio.io/rev") or None


def istiod_of_revision(c, rev):
    """The istiod Deployment of revision `rev` in istio-system (the istiod chart labels it
    `app: istiod`, `istio.io/rev: <revision or "default">`), or None."""
    for dep in c.list_kind("apps", "Deployment", "istio-system"):
        labels = dep["metadata"].get("labels") or {}
        if labels.get("app") == "istiod" and (labels.get("istio.io/rev") or "default") == rev:
            return dep
    return None


def _inject_sidecar(c, pod):
    """Istio's injection webhook, reduced to its decision: in a namespace labelled
    `istio-injection=enabled` or `istio.io/rev=<rev>` a pod gets an `istio-proxy` container and
    the injector's labels — only when that revision's istiod is installed (no istiod, no
    webhook, no sidecar: pods created earlier stay without one), and unless the pod opts out
    with `sidecar.istio.io/inject: "false"` (label or annotation)."""
    md = pod["metadata"]
    ns = c.find("", "Namespace", None, md["namespace"]) or {}
    rev = injector_revision((ns.get("metadata") or {}).get("labels") or {})
    if rev is None or istiod_of_revision(c, rev) is None:
        return
    if "false" in ((md.get("labels") or {}).get("sidecar.istio.io/inject"),
                   (md.get("annotations") or {}).get("sidecar.istio.io/inject")):
        return
    containers = pod["spec"].setdefault("containers", [])
    if not any(ct.get("name") == "istio-proxy" for ct in containers):
        containers.append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2"})
    labels = md.setdefault("labels", {})
    labels.setdefault("security.istio.io/tlsMode", "istio")
    labels.setdefault("service.istio.io/canonical-name", labels.get("app") or md["name"])
    labels.setdefault("service.istio.io/canonical-revision", labels.get("version") or "latest")


def _pod_status(c, pod, node, ready):
    containers = pod["spec"].get("containers") or []
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    host_ip = next((a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"), "") if node else ""
    st = pod["status"]
    st["phase"] = "Running" if ready else "Pending"
    st["hostIP"] = host_ip
    st["podIP"] = _pod_ip(c, f"{ns}/{name}")
    st["podIPs"] = [{"ip": st["podIP"]}]
    conds = st.setdefault("conditions", [])
    for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
        _set_condition(conds, t, "True" if (ready or t == "PodScheduled") else "False")
    # A container that was running already keeps the time it started (as a kubelet reports it),
    # so reading a pod does not rewrite the world.
    started = {cs.get("name"): ((cs.get("state") or {}).get("running") or {}).get("startedAt")
               for cs in st.get("containerStatuses") or []}
    st["containerStatuses"] = [{"name": ct.get("name", "c"), "image": ct.get("image", ""), "ready": ready,
                                "restartCount": 0, "started": ready,
                                "state": {"running": {"startedAt": started.get(ct.get("name", "c")) or
                                                      fakelib.now_iso()}} if ready else
                                {"waiting": {"reason": "ContainerCreating"}}} for ct in containers]


def _template_hash(template):
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def _reconcile_workload(c, obj, now, nodes):
    kind = obj["kind"]
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    ready = now >= _ready_at(obj) and bool(nodes)
    ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
    uid = obj["metadata"]["uid"]
    existing = [p for p in c.list_kind("", "Pod", ns)
                if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences", []))]
    if kind == "DaemonSet":
        want = [(f"{name}-{hashlib.sha256((uid + n['metadata']['name']).encode()).hexdigest()[:5]}", n) for n in nodes]
    else:
        replicas = spec.get("replicas", 1)
        replicas = 1 if replicas is None else int(replicas)
        if kind == "StatefulSet":
            names = [f"{name}-{i}" for i in range(replicas)]
        else:
            h = _template_hash(template)
            names = [f"{name}-{h}-{hashlib.sha256(f'{uid}{h}{i}'.encode()).hexdigest()[:5]}" for i in range(replicas)]
        want = [(n, nodes[i % len(nodes)] if nodes else None) for i, n in enumerate(names)]
    want_names = {n for n, _ in want}
    for p in existing:
        if p["metadata"]["name"] not in want_names:
            c.objects.pop(c.key_of(p), None)
    have = {p["metadata"]["name"]: p for p in existing}
    for pname, node in want:
        if pname in have:
            pod = have[pname]
            node = next((n for n in nodes if n["metadata"]["name"] == pod["spec"].get("nodeName")), node)
            _pod_status(c, pod, node, ready)
        else:
            c.objects[obj_key("", "Pod", ns, pname)] = _make_pod(c, obj, pname, template, node, ready)
            c.objects[obj_key("", "Pod", ns, pname)]["metadata"].update(
                {"uid": new_uid(), "creationTimestamp": fakelib.now_iso(), "resourceVersion": "1"})
    n = len(want)
    ready_n = n if ready else 0
    status = obj.setdefault("status", {})
    status["observedGeneration"] = obj["metadata"].get("generation", 1)
    if kind == "Deployment":
        status.update({"replicas": n, "updatedReplicas": n, "readyReplicas": ready_n,
                       "availableReplicas": ready_n})
        if not ready_n:
            status.pop("readyReplicas", None)
            status.pop("availableReplicas", None)
            status["unavailableReplicas"] = n
        else:
            status.pop("unavailableReplicas", None)
        conds = status.setdefault("conditions", [])
        _set_condition(conds, "Available", "True" if ready or n == 0 else "False",
                       "MinimumReplicasAvailable" if ready or n == 0 else "MinimumReplicasUnavailable",
                       "Deployment has minimum availability." if ready or n == 0 else
                       "Deployment does not have minimum availability.")
        _set_condition(conds, "Progressing", "True", "NewReplicaSetAvailable" if ready else "ReplicaSetUpdated",
                       f'ReplicaSet "{name}-{_template_hash(template)}" has successfully progressed.')
    elif kind == "StatefulSet":
        rev = f"{name}-{_template_hash(template)}"
        status.update({"replicas": n, "readyReplicas": ready_n, "currentReplicas": n, "updatedReplicas": n,
                       "availableReplicas": ready_n, "currentRevision": rev, "updateRevision": rev})
    else:
        status.update({"desiredNumberScheduled": n, "currentNumberScheduled": n, "numberReady": ready_n,
                       "numberAvailable": ready_n, "updatedNumberScheduled": n, "numberMisscheduled": 0})


def _lb_address(c, svc):
    md = svc["metadata"]
    owner = f"{c.key}|{md.get('namespace')}/{md['name']}"
    requested = (svc.get("spec") or {}).get("loadBalancerIP")
    # MetalLB: an IPAddressPool in the cluster decides the range (as the real controller would).
    for pool in c.list_kind("metallb.io", "IPAddressPool"):
        for rng in (pool.get("spec") or {}).get("addresses", []):
            cand = _addresses_in(rng)
            used = set(_ips_in_use(c.st, "lb"))
            for ip in cand:
                if (requested and ip != requested) or not fakelib.is_loopback(ip):
                    continue
                if ip in used and _ips_in_use(c.st, "lb")[ip] != owner:
                    continue
                mine = [i for i, o in _ips_in_use(c.st, "lb").items() if o == owner]
                if mine:
                    return mine[0]
                _ips_in_use(c.st, "lb")[ip] = owner
                return ip
    return alloc_pool_ip(c.st, "lb", "127.0.20", owner)


def _addresses_in(rng):
    rng = str(rng)
    if "-" in rng:
        a, b = [x.strip() for x in rng.split("-", 1)]
        pa, pb = [int(x) for x in a.split(".")], [int(x) for x in b.split(".")]
        ia = (pa[0] << 24) | (pa[1] << 16) | (pa[2] << 8) | pa[3]
        ib = (pb[0] << 24) | (pb[1] << 16) | (pb[2] << 8) | pb[3]
        return [f"{i >> 24}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(ia, min(ib, ia + 4096) + 1)]
    if "/" in rng:
        base, bits = rng.split("/")
        p = [int(x) for x in base.split(".")]
        ia = (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]
        size = 1 << (32 - int(bits))
        return [f"{i >> 24}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(ia + 1, ia + min(size - 1, 4096))]
    return [rng]


def _reconcile_service(c, svc, now):
    spec = svc.setdefault("spec", {})
    md = svc["metadata"]
    if not spec.get("clusterIP"):
        spec["clusterIP"] = alloc_pool_ip(c.st, "svc", f"127.96.{int(hashlib.sha256(c.key.encode()).hexdigest(), 16) % 200 + 1}",
                                          f"{c.key}|svc|{md.get('namespace')}/{md['name']}")
        spec["clusterIPs"] = [spec["clusterIP"]]
    status = svc.setdefault("status", {})
    if spec.get("type") == "LoadBalancer":
        if now >= _ready_at(svc):
            status["loadBalancer"] = {"ingress": [{"ip": _lb_address(c, svc), "ipMode": "VIP"}]}
        else:
            status["loadBalancer"] = {}
    else:
        status["loadBalancer"] = {}
        release_pool_ip(c.st, "lb", f"{c.key}|{md.get('namespace')}/{md['name']}")


def issue_token(c, ns, sa, audiences=None, duration=None):
    """A JWT-shaped token the fake API server will accept for this cluster."""
    header = fakelib.b64(json.dumps({"alg": "RS256", "kid": fakelib.random_hex(12)})).rstrip("=")
    claims = {"iss": "https://kubernetes.default.svc.cluster.local", "sub": f"system:serviceaccount:{ns}:{sa}",
              "aud": audiences or ["https://kubernetes.default.svc.cluster.local"],
              "exp": int(time.time() + (duration or 3600)), "iat": int(time.time()),
              "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": sa}}, "fake-cluster": c.key}
    payload = fakelib.b64(json.dumps(claims)).rstrip("=")
    token = f"{header}.{payload}.{fakelib.random_hex(43)}"
    c.data["tokens"].append(token)
    return token


def _reconcile_token_secret(c, sec):
    if sec.get("type") != "kubernetes.io/service-account-token":
        return
    data = sec.get("data") or {}
    if data.get("token"):
        return
    ns = sec["metadata"].get("namespace")
    sa_name = (sec["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name")
    sa = c.find("", "ServiceAccount", ns, sa_name) if sa_name else None
    if not sa:
        return
    sec["metadata"]["annotations"]["kubernetes.io/service-account.uid"] = sa["metadata"]["uid"]
    sec["data"] = dict(data, **{"token": fakelib.b64(issue_token(c, ns, sa_name)),
                                "ca.crt": c.meta.get("ca_data", fakelib.b64(fakelib.fake_pem(c.key))),
                                "namespace": fakelib.b64(ns)})


def argocd_namespace(c):
    """Namespace where Argo CD's server Deployment runs, or None when it is not installed."""
    for d in c.list_kind("apps", "Deployment"):
        if d["metadata"]["name"] == "argocd-server":
            return d["metadata"]["namespace"]
    return None


def _argocd_ready(c, ns):
    ctrl = c.find("apps", "StatefulSet", ns, "argocd-application-controller") or \
        c.find("apps", "Deployment", ns, "argocd-application-controller")
    server = c.find("apps", "Deployment", ns, "argocd-server")
    for o in (ctrl, server):
        if o is None or time.time() < _ready_at(o):
            return False
    return True


def _reconcile_argocd(c, now):
    ns = argocd_namespace(c)
    if not ns:
        return
    if not c.data.get("argocd_admin_secret_created") and now >= _ready_at(c.find("apps", "Deployment", ns, "argocd-server")):
        password = fakelib.random_hex(16)
        c.put({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": "argocd-initial-admin-secret", "namespace": ns},
               "data": {"password": fakelib.b64(password)}})
        c.data["argocd_admin_secret_created"] = True
    if c.type_for("argoproj.io/v1alpha1", "AppProject") and not c.find("argoproj.io", "AppProject", ns, "default") \
            and not c.data.get("argocd_default_project_created"):
        c.put({"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
               "metadata": {"name": "default", "namespace": ns},
               "spec": {"sourceRepos": ["*"], "destinations": [{"namespace": "*", "server": "*"}],
                        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}})
        c.data["argocd_default_project_created"] = True
    if c.type_for("argoproj.io/v1alpha1", "ApplicationSet"):
        for appset in c.list_kind("argoproj.io", "ApplicationSet"):
            argoapps.reconcile_appset(c, appset, ns)


def reconcile(c, now=None):
    """Bring statuses up to date: node readiness, workloads and pods, services, tokens, Argo CD."""
    now = time.time() if now is None else now
    containers = c.st.get("docker").get("containers", {}) if c.meta.get("flavor") == "kind" else {}
    not_ready = set((c.st.get("faults").get("mesh") or {}).get("not_ready_nodes") or [])
    for n in c.list_kind("", "Node"):
        conds = n["status"].setdefault("conditions", [])
        ready = now >= _ready_at(n) and n["metadata"]["name"] not in not_ready
        # A kind node whose container is stopped (`docker stop`, a host reboot) is NotReady.
        node_container = containers.get(n["metadata"]["name"])
        if node_container is not None and node_container.get("state") != "running":
            ready = False
        _set_condition(conds, "Ready", "True" if ready else "False",
                       "KubeletReady" if ready else "KubeletNotReady",
                       "kubelet is posting ready status" if ready else "container runtime network not ready")
    for ns in c.list_kind("", "Namespace"):
        ns.setdefault("status", {})["phase"] = "Active"
        ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        ns["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = ns["metadata"]["name"]
    nodes = _ready_nodes(c)
    # kind keeps kubeadm's NoSchedule taint on the control plane unless it is the only node,
    # so with workers only DaemonSets (which tolerate it) run there.
    workers = [n for n in nodes if "node-role.kubernetes.io/control-plane" not in n["metadata"]["labels"]]
    schedulable = workers if c.meta.get("flavor") == "kind" and workers else nodes
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for w in c.list_kind("apps", kind):
            _reconcile_workload(c, w, now, nodes if kind == "DaemonSet" else schedulable)
    for svc in c.list_kind("", "Service"):
        _reconcile_service(c, svc, now)
    for sec in c.list_kind("", "Secret"):
        _reconcile_token_secret(c, sec)
    _reconcile_argocd(c, now)

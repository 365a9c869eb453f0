"""What Istio would do in a fake cluster, as far as `meshlab verify`'s probes can see it.

Argo CD sync effects (added to argoapps.EFFECTS) stand in for the charts the fakes do not
render: the `istiod` chart gives a Deployment `istiod[-<revision>]` in istio-system and
records the control plane's settings (trust domain, cluster name, network) on the target
cluster; the `gateway` chart gives a Deployment and a LoadBalancer Service named after the
gateway; any other app gives a Deployment (and Service) named after its chart or path
(Argo CD's managedNamespaceMetadata labels are applied to the namespace it creates; its pods
get their sidecar from kubeworld's injection, which needs the revision's istiod).

`kubectl exec` into those pods answers (see exec_in_pod):
- `pilot-discovery request GET /debug/clusterz` in an istiod pod: a JSON list of
  {id, secretName, syncStatus} per remote secret (label istio/multiCluster=true) in
  istio-system, "synced" when the secret's kubeconfig reaches a live cluster with a token
  it issued, else "timeout" (istio pkg/cluster/debug.go, pkg/kube/multicluster);
- `pilot-agent request GET certs` (or `curl localhost:15000/certs`) in an istio-proxy
  container: Envoy admin /certs JSON whose workload certificate has the URI SAN
  spiffe://<trust domain>/ns/<namespace>/sa/<service account>.

Fault switches (fakectl mesh …) live in faults.json under "mesh":
- `trust_domain`: {cluster key: domain} — sidecars there present another trust domain;
- `clusterz`: {"<cluster key>|<remote id>": status} — istiod reports that sync status;
- `not_ready_nodes`: [node name] — kubeworld.reconcile keeps those nodes NotReady.
"""

import copy
import hashlib
import json

import fakelib
import kubeconfig as kc
import kubeworld as kw

ISTIO_NS = "istio-system"
MULTICLUSTER_LABEL = "istio/multiCluster"
ISTIO_CHARTS = {"base", "istiod", "cni", "gateway", "ztunnel"}


def mesh_faults(st):
    return st.get("faults").setdefault("mesh", {})


def _values(source):
    helm = source.get("helm") or {}
    values = copy.deepcopy(helm.get("valuesObject") or {})
    if not values and helm.get("values"):
        try:
            values = fakelib.yaml_load(helm["values"]) or {}
        except Exception:  # noqa: BLE001 (a broken values string is the chart's problem, not ours)
            values = {}
    return values


def _ensure_namespace(target, ns, labels=None):
    obj = target.find("", "Namespace", None, ns)
    if obj is None:
        obj = target.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    if labels:
        obj["metadata"].setdefault("labels", {}).update(labels)
    return obj


def _deployment(target, ns, name, labels, containers, service_account=None):
    spec = {"containers": containers}
    if service_account:
        spec["serviceAccountName"] = service_account
    target.put({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
                "spec": {"replicas": 1, "selector": {"matchLabels": dict(labels)},
                         "template": {"metadata": {"labels": dict(labels)}, "spec": spec}}})


def _service(target, ns, name, selector, ports, lb=False, labels=None):
    spec = {"selector": dict(selector), "ports": [{"name": n, "port": p, "protocol": "TCP", "targetPort": p}
                                                  for n, p in ports]}
    if lb:
        spec["type"] = "LoadBalancer"
    target.put({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": ns, "labels": dict(labels or selector)}, "spec": spec})


def _istiod(app, source, target):
    v = _values(source)
    rev = v.get("revision") or ""
    name = f"istiod-{rev}" if rev else "istiod"
    glob = v.get("global") or {}
    target.data["istio"] = {
        "revision": rev, "deployment": name,
        "trustDomain": (v.get("meshConfig") or {}).get("trustDomain") or "cluster.local",
        "clusterName": (glob.get("multiCluster") or {}).get("clusterName") or "Kubernetes",
        "meshID": glob.get("meshID") or "", "network": glob.get("network") or ""}
    _ensure_namespace(target, ISTIO_NS)
    labels = {"app": "istiod", "istio": "pilot", "istio.io/rev": rev or "default"}
    _deployment(target, ISTIO_NS, name, labels, [{"name": "discovery", "image": "docker.io/istio/pilot"}],
                service_account=name)
    _service(target, ISTIO_NS, name, labels, [("grpc-xds", 15010), ("https-dns", 15012), ("https-webhook", 443),
                                              ("http-monitoring", 15014)])


def _gateway(app, source, target):
    v = _values(source)
    release = (source.get("helm") or {}).get("releaseName") or app["metadata"]["name"]
    name = v.get("name") or release
    ns = (app.get("spec") or {}).get("destination", {}).get("namespace") or ISTIO_NS
    _ensure_namespace(target, ns)
    labels = {"app": name, "istio": name[len("istio-"):] if name.startswith("istio-") else name}
    if v.get("networkGateway"):
        labels["topology.istio.io/network"] = v["networkGateway"]
        ports = [("status-port", 15021), ("tls", 15443), ("tls-istiod", 15012), ("tls-webhook", 15017)]
    else:
        ports = [("status-port", 15021), ("http2", 80), ("https", 443)]
    _deployment(target, ns, name, labels, [{"name": "istio-proxy", "image": "auto"}], service_account=name)
    _service(target, ns, name, labels, ports, lb=True)


def _workload(app, source, target):
    spec = app.get("spec") or {}
    ns = (spec.get("destination") or {}).get("namespace") or "default"
    managed = ((spec.get("syncPolicy") or {}).get("managedNamespaceMetadata") or {}).get("labels") or {}
    _ensure_namespace(target, ns, managed)
    name = source.get("chart") or (source.get("path") or "").rstrip("/").rsplit("/", 1)[-1] or app["metadata"]["name"]
    name = kw_name(name)
    labels = {"app": name, "version": "v1"}
    containers = [{"name": name, "image": f"docker.io/library/{name}"}]  # the sidecar: kubeworld's injection
    _deployment(target, ns, name, labels, containers, service_account=name)
    _service(target, ns, name, {"app": name}, [("http", 8000 if name == "httpbin" else 80)])


def kw_name(text):
    out = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in text.lower()).strip("-")
    return out or "app"


def effect_mesh(app, source, target):
    """Argo CD sync effect: what the chart or manifests of `source` would run on `target`."""
    chart = source.get("chart") or ""
    path = (source.get("path") or "").rstrip("/")
    if chart == "istiod" or path.endswith("istio-control/istio-discovery"):
        _istiod(app, source, target)
    elif chart == "gateway" or path.endswith("manifests/charts/gateway"):
        _gateway(app, source, target)
    elif chart in ISTIO_CHARTS or path.endswith(("manifests/charts/base", "manifests/charts/istio-cni")):
        return
    elif chart or path:
        _workload(app, source, target)


# ---------------------------------------------------------------- kubectl exec into mesh pods

def _remote_status(st, kubeconfig_text, from_key):
    """"synced" when the kubeconfig reaches a live cluster that accepts its credentials, else "timeout"."""
    try:
        cfg = fakelib.yaml_load(kubeconfig_text) or {}
    except Exception:  # noqa: BLE001
        return "timeout"
    ctx = kc.find(cfg, "contexts", cfg.get("current-context")) or {}
    c = ctx.get("context") or {}
    cluster = (kc.find(cfg, "clusters", c.get("cluster")) or {}).get("cluster") or {}
    user = (kc.find(cfg, "users", c.get("user")) or {}).get("user") or {}
    key, err = kw.resolve_server(st, cluster.get("server") or "", in_cluster_of=from_key)
    if err or key is None or not kw.cluster_alive(st, key):
        return "timeout"
    if fakelib.config_value(st, "auth_check", True):
        token = user.get("token")
        if token is None or token not in kw.Cluster(st, key).data.get("tokens", []):
            return "timeout"
    return "synced"


def clusterz(st, c):
    own = (c.data.get("istio") or {}).get("clusterName")
    faults = mesh_faults(st).get("clusterz") or {}
    out = []
    for sec in c.list_kind("", "Secret", ISTIO_NS):
        if (sec["metadata"].get("labels") or {}).get(MULTICLUSTER_LABEL) != "true":
            continue
        for cid in sorted((sec.get("data") or {})):
            if cid == own:
                continue
            status = faults.get(f"{c.key}|{cid}") or _remote_status(st, kw.secret_value(sec, cid) or "", c.key)
            out.append({"id": cid, "secretName": f"{ISTIO_NS}/{sec['metadata']['name']}", "syncStatus": status})
    return sorted(out, key=lambda e: e["id"])


def envoy_certs(st, c, pod):
    istio = c.data.get("istio")
    if not istio:
        return {"certificates": []}  # no istiod: the sidecar never got a certificate
    td = (mesh_faults(st).get("trust_domain") or {}).get(c.key) or istio["trustDomain"]
    ns = pod["metadata"]["namespace"]
    sa = (pod.get("spec") or {}).get("serviceAccountName") or "default"
    serial = hashlib.sha256(f"{c.key}/{ns}/{pod['metadata']['name']}".encode()).hexdigest()[:32]
    return {"certificates": [{
        "ca_cert": [{"path": "<inline>", "serial_number": serial[:16], "subject_alt_names": [],
                     "days_until_expiration": "3649", "valid_from": "2026-01-01T00:00:00Z",
                     "expiration_time": "2036-01-01T00:00:00Z"}],
        "cert_chain": [{"path": "<inline>", "serial_number": serial,
                        "subject_alt_names": [{"uri": f"spiffe://{td}/ns/{ns}/sa/{sa}"}],
                        "days_until_expiration": "0", "valid_from": fakelib.now_iso(),
                        "expiration_time": fakelib.now_iso()}]}]}


def exec_in_pod(st, c, pod, container, command):
    """(exit code, stdout, stderr) for the mesh probes above run in `container` (the one
    kubectl exec chose: `-c`, else the pod's default); None for anything else."""
    words = list(command)
    if words[:2] == ["pilot-discovery", "request"] and len(words) >= 4 and container == "discovery":
        path = "/" + words[3].lstrip("/")
        if path.split("?")[0] == "/debug/clusterz":
            return 0, json.dumps(clusterz(st, c), indent=2) + "\n", ""
        return None
    wants_certs = (words[:2] == ["pilot-agent", "request"] and len(words) >= 4 and words[3].lstrip("/") == "certs") or \
        (words[:1] == ["curl"] and any(w.rstrip("/").endswith("localhost:15000/certs") for w in words))
    if wants_certs:
        if container != "istio-proxy":
            return None
        return 0, json.dumps(envoy_certs(st, c, pod), indent=2) + "\n", ""
    return None

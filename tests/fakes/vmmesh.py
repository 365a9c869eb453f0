"""A VM's Istio sidecar meeting istiod, for the fake multipass (`systemctl start istio`).

When the `istio` service of an instance becomes active, the agent reads the files
`istioctl x workload entry configure` made (as the istio.io VM guide places them), resolves
istiod's host through /etc/hosts, and connects through the east-west gateway at that address.
The fake finds the cluster whose `istio-system/istio-eastwestgateway` Service has that
LoadBalancer address, checks what the real istiod would (the token was issued by that cluster
for audience istio-ca, the service account and namespace match, the root certificate is the
cluster's `cacerts` root, the WorkloadGroup exists) and then auto-registers a WorkloadEntry
the way pilot/pkg/autoregistration does: name `<group>-<ip>[-<network>]`, the group's template
plus the VM's address, labels from the template and ISTIO_METAJSON_LABELS, annotation
`istio.io/autoRegistrationGroup`, owned by the group. Stopping the service removes it (istiod
cleans up after a grace period). What happened is kept in the instance as `istio_agent`.
"""

import base64
import copy
import json
import shlex
import time

import fakelib
import kubeworld as kw
import vmshell

CLUSTER_ENV = "/var/lib/istio/envoy/cluster.env"
MESH = "/etc/istio/config/mesh"
ROOT_CERT = "/etc/certs/root-cert.pem"
TOKEN = "/var/run/secrets/tokens/istio-token"
HOSTS = "/etc/hosts"
EASTWEST = ("istio-system", "istio-eastwestgateway")
GROUP_ANNOTATION = "istio.io/autoRegistrationGroup"


def _file(inst, path):
    f = inst.get("files", {}).get(path)
    return base64.b64decode(f["b64"]).decode("utf-8", "replace") if f else None


def parse_cluster_env(text):
    env = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            words = shlex.split(value) if value else [""]
            env[key] = words[0] if words else ""
    return env


def _hosts_lookup(text, host):
    for line in (text or "").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and host in words[1:]:
            return words[0]
    return None


def _token_claims(token):
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None


def _lb_ip(svc):
    for entry in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
        if entry.get("ip"):
            return entry["ip"]
    return None


def connect(st, inst):
    """(cluster, problem): where the agent's istiod is, or why it cannot get there."""
    env = parse_cluster_env(_file(inst, CLUSTER_ENV))
    if not env:
        return None, f"{CLUSTER_ENV} is missing"
    yaml = fakelib.yaml_module()
    try:
        mesh = yaml.safe_load(_file(inst, MESH) or "") or {}
    except yaml.YAMLError as e:
        return None, f"{MESH} is not YAML: {e}"
    address = env.get("CA_ADDR") or ((mesh.get("defaultConfig") or {}).get("discoveryAddress")) or ""
    host = address.rsplit(":", 1)[0]
    if not host:
        return None, f"no discoveryAddress in {MESH}"
    ip = _hosts_lookup(_file(inst, HOSTS), host)
    if ip is None:
        return None, f"cannot resolve {host}: no entry in {HOSTS}"
    cluster = None
    for key in sorted(st.get("clusters")):
        if not kw.cluster_alive(st, key):
            continue
        c = kw.Cluster(st, key)
        svc = c.find("", "Service", *EASTWEST)
        if svc is not None and _lb_ip(svc) == ip:
            cluster = c
            break
    if cluster is None:
        return None, f"dial tcp {ip}:15012: connect: connection refused (no east-west gateway has that address)"
    token = (_file(inst, TOKEN) or "").strip()
    claims = _token_claims(token) if token else None
    ns, sa = env.get("POD_NAMESPACE", ""), env.get("SERVICE_ACCOUNT", "")
    if claims is None:
        return None, f"{TOKEN} is missing or not a JWT"
    if claims.get("fake-cluster") != cluster.key or token not in cluster.data.get("tokens", []):
        return None, "authentication failure: the token was not issued by this cluster"
    if "istio-ca" not in (claims.get("aud") or []):
        return None, "authentication failure: the token's audience is not istio-ca"
    if claims.get("exp", 0) < time.time():
        return None, "authentication failure: the token has expired"
    if claims.get("sub") != f"system:serviceaccount:{ns}:{sa}":
        return None, f"the token is for {claims.get('sub')}, not service account {ns}/{sa}"
    cacerts = cluster.find("", "Secret", "istio-system", "cacerts")
    root = kw.secret_value(cacerts, "root-cert.pem") if cacerts else None
    if root is not None and (_file(inst, ROOT_CERT) or "").strip() != root.strip():
        return None, "x509: certificate signed by unknown authority (root-cert.pem is not the mesh's root)"
    return cluster, None


def register(st, inst):
    """Auto-registers the VM; returns the WorkloadEntry name or raises ValueError with the reason."""
    cluster, problem = connect(st, inst)
    if problem:
        raise ValueError(problem)
    env = parse_cluster_env(_file(inst, CLUSTER_ENV))
    group_name = env.get("ISTIO_META_AUTO_REGISTER_GROUP")
    ns = env.get("POD_NAMESPACE", "")
    if not group_name:
        raise ValueError("connected without ISTIO_META_AUTO_REGISTER_GROUP: nothing to register")
    group = cluster.find("networking.istio.io", "WorkloadGroup", ns, group_name)
    if group is None:
        raise ValueError(f"auto-registration failed: WorkloadGroup {ns}/{group_name} not found")
    ip = (inst.get("ipv4") or [""])[0]
    template = copy.deepcopy((group.get("spec") or {}).get("template") or {})
    labels = dict(((group.get("spec") or {}).get("metadata") or {}).get("labels") or {})
    try:
        labels.update(json.loads(env.get("ISTIO_METAJSON_LABELS") or "{}"))
    except ValueError:
        pass
    labels.update(template.get("labels") or {})
    network = env.get("ISTIO_META_NETWORK", "")
    name = "-".join(p for p in (group_name, ip, network) if p)[-253:]
    spec = dict(template, address=ip, labels=labels)
    if network:
        spec["network"] = network
    cluster.put({
        "apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "annotations": {GROUP_ANNOTATION: group_name,
                                     "istio.io/connectedAt": fakelib.now_iso(),
                                     "istio.io/workloadController": "istiod"},
                     "ownerReferences": [{"apiVersion": "networking.istio.io/v1", "kind": "WorkloadGroup",
                                          "name": group_name, "uid": group["metadata"].get("uid"),
                                          "controller": True}]},
        "spec": spec})
    return cluster.key, name


def started(ctx):
    try:
        key, name = register(ctx.st, ctx.inst)
        ctx.inst["istio_agent"] = {"connected": key, "workload_entry": name, "time": time.time()}
    except ValueError as e:
        # The real agent keeps retrying (the unit stays active); istiod registers nothing.
        ctx.inst["istio_agent"] = {"error": str(e), "time": time.time()}


def stopped(ctx):
    agent = ctx.inst.get("istio_agent") or {}
    key, name = agent.get("connected"), agent.get("workload_entry")
    if key and name and key in ctx.st.get("clusters"):
        c = kw.Cluster(ctx.st, key)
        env = parse_cluster_env(_file(ctx.inst, CLUSTER_ENV))
        entry = c.find("networking.istio.io", "WorkloadEntry", env.get("POD_NAMESPACE", ""), name)
        if entry is not None:
            c.remove(entry)
    ctx.inst["istio_agent"] = {"stopped": True, "time": time.time()}


vmshell.SERVICE_HOOKS["istio"] = (started, stopped)

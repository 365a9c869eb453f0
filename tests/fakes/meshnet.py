"""Requests inside the fake mesh: what `curl` answers in a pod (`kubectl exec`) or a VM
(`multipass exec`), so meshlab's traffic checks have something real to judge.

A simple model of Istio, deterministic so tests can count:
- a cluster's mesh is itself plus every cluster named by a remote secret
  (`istio/multiCluster: "true"` in istio-system) whose kubeconfig server resolves;
- `<svc>.<ns>.svc.<domain>` resolves when the caller's cluster has that Service; its endpoints
  are the Running pods and WorkloadEntries (VMs) that match the Service's selector, in every
  cluster of the mesh; a pod drained through its Envoy admin API
  (`POST 127.0.0.1:15000/drain_listeners` from its istio-proxy container) is no endpoint;
- endpoints are picked round-robin on a global counter; a DestinationRule with
  `localityLbSetting.failover` keeps the client in its zone, then its region, then the
  `to` region; `distribute` splits by the weights (request n goes to slot n % 100);
- answers: helloworld `Hello version: v1, instance: <pod>`, `/hostname` `{"hostname": <pod>}`,
  anything else a small HTML page naming the pod or VM.

Faults (`fakectl mesh-fault KIND`): `local-only` (endpoints of the caller's cluster only),
`no-failover` (drains are ignored), `even-split` (distribute is ignored), `vm-unreachable`
(VMs neither call out nor answer).
"""

import json
import urllib.parse

import fakelib
import kubeworld as kw

HELLO = "Hello version: {version}, instance: {name}\n"
FAULTS = ("local-only", "no-failover", "even-split", "vm-unreachable")


def faults(st):
    return st.get("faults").get("mesh", {})


def _peers(st, key):
    yaml = fakelib.yaml_module()
    out = [key]
    c = kw.Cluster(st, key)
    for sec in c.list_kind("", "Secret", "istio-system"):
        if (sec["metadata"].get("labels") or {}).get("istio/multiCluster") != "true":
            continue
        for name in (sec.get("data") or {}):
            try:
                config = yaml.safe_load(kw.secret_value(sec, name) or "") or {}
                server = config["clusters"][0]["cluster"]["server"]
            except (KeyError, IndexError, TypeError, yaml.YAMLError):
                continue
            peer, err = kw.resolve_server(st, server, in_cluster_of=key)
            if peer and not err and peer not in out and kw.cluster_alive(st, peer):
                out.append(peer)
    return out


def _node_locality(c, node_name):
    for n in c.list_kind("", "Node"):
        if n["metadata"]["name"] == node_name:
            labels = n["metadata"].get("labels") or {}
            return "/".join(x for x in (labels.get("topology.kubernetes.io/region", ""),
                                         labels.get("topology.kubernetes.io/zone", ""),
                                         labels.get("topology.istio.io/subzone", "")))
    return ""


def pod_locality(c, pod):
    label = (pod["metadata"].get("labels") or {}).get("topology.istio.io/locality")
    if label:
        return label.replace(".", "/")
    return _node_locality(c, (pod.get("spec") or {}).get("nodeName"))


def _split(locality):
    parts = (locality or "").split("/") + ["", "", ""]
    return parts[:3]


def _matches(locality, pattern):
    have = _split(locality)
    for i, want in enumerate(pattern.split("/")[:3]):
        if want == "*":
            return True
        if want != have[i]:
            return False
    return True


def endpoints(st, keys, ns, svc_name):
    eps = []
    for key in keys:
        c = kw.Cluster(st, key)
        svc = c.find("", "Service", ns, svc_name)
        selector = ((svc or {}).get("spec") or {}).get("selector") or {}
        if not selector:
            continue
        for p in c.list_kind("", "Pod", ns):
            labels = p["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in selector.items()) and (p.get("status") or {}).get("phase") == "Running":
                eps.append({"kind": "pod", "cluster": key, "name": p["metadata"]["name"], "labels": labels,
                            "locality": pod_locality(c, p), "drained": bool((p.get("fake") or {}).get("drained"))})
        for we in c.list_kind("networking.istio.io", "WorkloadEntry", ns):
            spec = we.get("spec") or {}
            labels = spec.get("labels") or {}
            if all(labels.get(k) == v for k, v in selector.items()):
                eps.append({"kind": "vm", "cluster": key, "name": we["metadata"]["name"], "labels": labels,
                            "address": spec.get("address", ""), "locality": spec.get("locality", ""), "drained": False})
    return eps


def _policy(c, host, ns, svc_name):
    names = {host, f"{svc_name}.{ns}", f"{svc_name}.{ns}.svc", svc_name}
    for dr in c.list_kind("networking.istio.io", "DestinationRule"):
        spec = dr.get("spec") or {}
        if spec.get("host") in names or (spec.get("host", "").startswith(f"{svc_name}.{ns}.svc.")):
            lb = ((spec.get("trafficPolicy") or {}).get("loadBalancer") or {}).get("localityLbSetting") or {}
            if lb:
                return lb
    return {}


def _next(st):
    counters = st.get("counters")
    n = counters.get("mesh_requests", 0)
    counters["mesh_requests"] = n + 1
    return n


def choose(st, client_key, client_locality, host, ns, svc_name):
    """The endpoint that answers one request, or None when no healthy endpoint exists."""
    f = faults(st)
    eps = endpoints(st, _peers(st, client_key), ns, svc_name)
    if "local-only" in f:
        eps = [e for e in eps if e["cluster"] == client_key]
    if "no-failover" not in f:
        eps = [e for e in eps if not e["drained"]]
    if not eps:
        return None
    eps.sort(key=lambda e: (e["cluster"], e["name"]))
    n = _next(st)
    lb = _policy(kw.Cluster(st, client_key), host, ns, svc_name)
    region, zone, _ = _split(client_locality)
    if lb.get("failover"):
        same_zone = [e for e in eps if _split(e["locality"])[:2] == [region, zone]]
        same_region = [e for e in eps if _split(e["locality"])[0] == region]
        to = {r.get("to") for r in lb["failover"] if r.get("from") == region}
        failover = [e for e in eps if _split(e["locality"])[0] in to]
        eps = same_zone or same_region or failover or eps
    elif lb.get("distribute") and "even-split" not in f:
        rule = next((r for r in lb["distribute"] if _matches(client_locality, r.get("from", ""))), None)
        if rule:
            slot, upto = n % 100, 0
            for pattern, weight in (rule.get("to") or {}).items():
                upto += int(weight)
                if slot < upto:
                    eps = [e for e in eps if _matches(e["locality"], pattern)] or eps
                    break
            return eps[(n // 100) % len(eps)]
    return eps[n % len(eps)]


def _body(ep, svc_name, path):
    if ep["kind"] == "pod" and (svc_name.startswith("helloworld") or ep["labels"].get("app") == "helloworld"):
        return HELLO.format(version=ep["labels"].get("version", "v1"), name=ep["name"])
    if path == "/hostname":
        return json.dumps({"hostname": ep["name"]}, indent=2) + "\n"
    return f"<!DOCTYPE html>\n<html><head><title>{ep['name']}</title></head><body>httpbin</body></html>\n"


def parse_service_host(host):
    """(svc, ns) for `<svc>.<ns>.svc[.<domain>]`, else None. The short `<svc>.<ns>` form is left
    out on purpose: it cannot be told from an outside name such as quay.io, which stays
    unsimulated."""
    parts = host.split(".")
    if len(parts) >= 3 and parts[2] == "svc" and parts[0] and parts[1]:
        return parts[0], parts[1]
    return None


def request(st, client_key, client_locality, url, method="GET", vm_caller=False):
    """(status, body) for one request, or (None, curl exit code, message); None for a URL the
    model does not know (the caller treats it as unsimulated)."""
    u = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
    host = u.hostname or ""
    parsed = parse_service_host(host)
    if parsed is None:
        return None
    if vm_caller and "vm-unreachable" in faults(st):
        return None, 28, "Connection timed out after 5001 milliseconds"
    svc_name, ns = parsed
    c = kw.Cluster(st, client_key)
    if c.find("", "Service", ns, svc_name) is None:
        return None, 6, f"Could not resolve host: {host}"
    ep = choose(st, client_key, client_locality, host, ns, svc_name)
    if ep is None:
        return 503, "no healthy upstream"
    if ep["kind"] == "vm" and ("vm-unreachable" in faults(st) or not _vm_running(st, ep["address"])):
        return 503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
    return 200, _body(ep, svc_name, u.path or "/")


def _vm_running(st, address):
    for inst in st.get("multipass").get("instances", {}).values():
        if address in inst.get("ipv4", []):
            return kw.multipass_instance_state(inst) == "Running"
    return False


def vm_cluster(st, vm_ips):
    """(cluster key, locality) of the cluster whose WorkloadEntry carries one of `vm_ips`."""
    for key in sorted(st.get("clusters")):
        if not kw.cluster_alive(st, key):
            continue
        c = kw.Cluster(st, key)
        for we in c.list_kind("networking.istio.io", "WorkloadEntry"):
            spec = we.get("spec") or {}
            if spec.get("address") in vm_ips:
                return key, spec.get("locality", "")
    return None, ""


def drain(pod, url, method, container):
    """Envoy admin drain of `pod` from its istio-proxy container: (status, body), or None when
    `url` is not the admin API."""
    u = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
    if u.hostname not in ("127.0.0.1", "localhost") or u.port != 15000:
        return None
    if container != "istio-proxy":
        return None, 7, f"Failed to connect to {u.hostname} port 15000 after 0 ms: Connection refused"
    if u.path == "/drain_listeners":
        if method != "POST":
            return 405, "Method Not Allowed\n"  # Envoy's admin API wants POST for mutating endpoints
        pod.setdefault("fake", {})["drained"] = True
        return 200, "OK\n"
    return 404, "invalid path. admin commands are:\n"

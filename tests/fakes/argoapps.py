"""What the fake Argo CD does: Application status, ApplicationSet generation, sync effects.

There is no Argo CD process. An Application's status is computed when kubectl reads it:
it stays OutOfSync/Progressing for the first N reads (config `app_sync_reads`, default 1)
and then turns Synced/Healthy — unless its destination is not a registered cluster, its
project is missing, the target cluster is unreachable or refuses the registered token, or
`fakectl app-health` pinned another status. The first time an app syncs, its effects on the
target cluster are applied (see EFFECTS); meshlab's later work can add effects there.

Like the real controller, the fake does not notice by itself that an app's cluster was
re-created (empty) since it synced: the app keeps reading Synced and Healthy until someone asks
for a refresh (annotation argocd.argoproj.io/refresh, which the controller removes once done;
here one read after it first sees it). The refresh finds the app's resources missing, and the app
syncs again (automated, selfHeal) with its effects applied to the new cluster. The real
controller's periodic reconciliation (every 3 minutes) is not modelled.
"""

import json
import os
import re
import time

import fakelib
import kubeworld as kw
import meshsim


def sync_reads_threshold(st):
    env = os.environ.get("MESHLAB_FAKE_APP_SYNC_READS")
    if env is not None and env.strip().isdigit():
        return int(env)
    return int(fakelib.config_value(st, "app_sync_reads", 1))


def cluster_secrets(c, ns):
    return [s for s in c.list_kind("", "Secret", ns)
            if (s["metadata"].get("labels") or {}).get(kw.CLUSTER_SECRET_LABEL) == "cluster"]


def _secret_cluster(sec):
    config = kw.secret_value(sec, "config") or "{}"
    try:
        config = json.loads(config)
    except ValueError:
        config = {"_invalid": True}
    return {"name": kw.secret_value(sec, "name") or "", "server": kw.secret_value(sec, "server") or "",
            "config": config, "secret": sec}


def find_destination(c, ns, app_name, dest):
    """(registered cluster dict, error message) for an Application destination."""
    name, server = dest.get("name"), dest.get("server")
    if name and server:
        return None, (f"application destination can't have both name and server defined: {name} {server}")
    if name == "in-cluster" or (server and server.rstrip("/") == kw.IN_CLUSTER_URL):
        return {"name": "in-cluster", "server": kw.IN_CLUSTER_URL, "config": {}, "secret": None}, None
    regs = [_secret_cluster(s) for s in cluster_secrets(c, ns)]
    if name:
        hits = [r for r in regs if r["name"] == name]
        if not hits:
            return None, ("application destination spec for %s is invalid: unable to find destination "
                          "server: there are no clusters with this name: %s" % (app_name, name))
        if len(hits) > 1:
            return None, "there are %d clusters with the same name: %s" % (len(hits), [h["server"] for h in hits])
        return hits[0], None
    hits = [r for r in regs if r["server"].rstrip("/") == (server or "").rstrip("/")]
    if not hits:
        return None, ("application destination spec for %s is invalid: unable to find destination "
                      "server: cluster %s has not been configured" % (app_name, server))
    return hits[0], None


def target_cluster(c, reg):
    """(cluster key, error) of the cluster a registered destination really reaches."""
    if reg["secret"] is None:
        return c.key, None
    key, err = kw.resolve_server(c.st, reg["server"], in_cluster_of=c.key)
    if key is None:
        return None, f"failed to load live state: Get \"{reg['server']}/version\": {err}"
    if not kw.cluster_alive(c.st, key):
        _, host, port = kw.parse_server(reg["server"])
        return None, f"failed to load live state: Get \"{reg['server']}/version\": dial tcp {host}:{port}: connect: connection refused"
    if fakelib.config_value(c.st, "auth_check", True):
        token = reg["config"].get("bearerToken")
        target = kw.Cluster(c.st, key)
        if token is not None:
            if token not in target.data.get("tokens", []):
                return None, "failed to load live state: the server has asked for the client to provide credentials"
        elif not reg["config"].get("tlsClientConfig", {}).get("certData") and not reg["config"].get("username"):
            return None, "failed to load live state: the server has asked for the client to provide credentials"
    return key, None


def _sources(spec):
    if spec.get("sources"):
        return spec["sources"]
    return [spec["source"]] if spec.get("source") else []


def _app_key(app):
    return f"{app['metadata'].get('namespace')}/{app['metadata']['name']}"


REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"


def _take_refresh(app, entry):
    """True when this read is the controller doing a requested refresh: the read that first sees
    the annotation leaves it (the controller has not got to it yet), the next removes it."""
    annotations = app["metadata"].get("annotations") or {}
    if REFRESH_ANNOTATION not in annotations:
        entry.pop("refresh_seen", None)
        return False
    if not entry.get("refresh_seen"):
        entry["refresh_seen"] = True
        return False
    del annotations[REFRESH_ANNOTATION]
    if not annotations:
        del app["metadata"]["annotations"]
    del entry["refresh_seen"]
    return True


def _cluster(c, key):
    """The cluster `key` names: `c` itself (Argo CD's own) or another one of the world."""
    return c if key == c.key else kw.Cluster(c.st, key)


def _deployed_on(c, app, key):
    return app["metadata"]["name"] in _cluster(c, key).data.get("argocd_deployed", {})


def refresh_app(c, app, count_read=True):
    """Update `app.status` as Argo CD would show it now; counts this as one read."""
    ns = app["metadata"].get("namespace")
    argo_ns = kw.argocd_namespace(c)
    if argo_ns != ns or not kw._argocd_ready(c, ns):
        return  # nobody reconciles it: no status at all
    spec = app.get("spec") or {}
    name = app["metadata"]["name"]
    status = {"sync": {"status": "Unknown", "comparedTo": {"source": spec.get("source", {}),
                                                          "destination": spec.get("destination", {})}},
              "health": {"status": "Unknown"}, "conditions": [], "reconciledAt": fakelib.now_iso(),
              "sourceType": "Helm" if any(s.get("chart") for s in _sources(spec)) else "Directory"}
    pinned = (c.st.get("faults").get("apps") or {}).get(name)
    project = spec.get("project", "default")
    reg, err = None, None
    if not c.find("argoproj.io", "AppProject", ns, project):
        err = f"Application referencing project {project} which does not exist"
    else:
        reg, err = find_destination(c, ns, name, spec.get("destination") or {})
    reads = c.data["app_reads"]
    k = _app_key(app)
    gen = app["metadata"].get("generation", 1)
    entry = reads.get(k)
    if not entry or entry.get("gen") != gen or entry.get("uid") != app["metadata"].get("uid"):
        entry = {"gen": gen, "uid": app["metadata"].get("uid"), "reads": 0}
        reads[k] = entry
    refreshing = _take_refresh(app, entry)
    if err:
        status["conditions"].append({"type": "InvalidSpecError", "message": err,
                                     "lastTransitionTime": fakelib.now_iso()})
    else:
        key, err = target_cluster(c, reg)
        if refreshing and not err and entry.get("synced") and not _deployed_on(c, app, key):
            # Its cluster was re-created: the resources are missing, and selfHeal syncs again.
            entry.update({"reads": 0, "synced": False})
        if err:
            status["conditions"].append({"type": "ComparisonError", "message": err,
                                         "lastTransitionTime": fakelib.now_iso()})
        elif pinned:
            status["sync"]["status"] = pinned.get("sync", "OutOfSync")
            status["health"]["status"] = pinned.get("health", "Degraded")
            if pinned.get("message"):
                status["health"]["message"] = pinned["message"]
                status["conditions"].append({"type": "SyncError", "message": pinned["message"],
                                             "lastTransitionTime": fakelib.now_iso()})
            status["operationState"] = {"phase": pinned.get("phase", "Failed"),
                                        "message": pinned.get("message", "")}
        elif entry["reads"] < sync_reads_threshold(c.st):
            status["sync"]["status"] = "OutOfSync"
            status["health"]["status"] = "Progressing" if entry["reads"] else "Missing"
            status["operationState"] = {"phase": "Running", "message": "waiting for healthy state",
                                        "startedAt": fakelib.now_iso()}
        else:
            revision = fakelib.random_hex(40) if not entry.get("revision") else entry["revision"]
            entry["revision"] = revision
            status["sync"]["status"] = "Synced"
            status["sync"]["revision"] = revision
            status["health"]["status"] = "Healthy"
            status["operationState"] = {"phase": "Succeeded", "message": "successfully synced (all tasks run)",
                                        "startedAt": fakelib.now_iso(), "finishedAt": fakelib.now_iso(),
                                        "syncResult": {"revision": revision}}
            if not entry.get("synced"):
                entry["synced"] = True
                entry["target"] = key
                apply_effects(c, app, key)
    if not status["conditions"]:
        del status["conditions"]
    app["status"] = status
    if count_read:
        entry["reads"] += 1


# ---------------------------------------------------------------- sync effects

def _effect_create_namespace(app, source, target):
    opts = (app.get("spec") or {}).get("syncPolicy", {}).get("syncOptions", []) or []
    ns = (app.get("spec") or {}).get("destination", {}).get("namespace")
    if ns and "CreateNamespace=true" in opts and not target.namespace_exists(ns):
        target.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})


def _effect_istio_base(app, source, target):
    chart = source.get("chart") or ""
    path = source.get("path") or ""
    if chart == "base" or path.rstrip("/").endswith("manifests/charts/base"):
        kw.register_istio_crds(target)


# Functions (app, source, target Cluster) run once when an app first becomes Synced.
EFFECTS = [_effect_create_namespace, _effect_istio_base, meshsim.effect_mesh]


def apply_effects(c, app, target_key):
    target = _cluster(c, target_key)
    deployed = target.data.setdefault("argocd_deployed", {})
    before = set(target.objects)
    for source in _sources(app.get("spec") or {}) or [{}]:
        for effect in EFFECTS:
            effect(app, source, target)
    namespace = (app.get("spec") or {}).get("destination", {}).get("namespace")
    # What the app's resources finalizer takes back. Not the namespace CreateNamespace=true
    # made: Argo CD leaves that one when the app goes.
    created = [k for k in target.objects if k not in before and k != kw.obj_key("", "Namespace", None, namespace)]
    deployed[app["metadata"]["name"]] = {
        "from": c.key, "sources": _sources(app.get("spec") or {}), "namespace": namespace,
        "objects": created, "time": time.time()}


RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"


def finalize(c, obj):
    """What Argo CD does before an Application carrying its resources finalizer goes: deletes what
    the app's syncs created on its cluster, while that cluster is up. (The real deletion waits for
    the controller; here it happens with the delete.)"""
    if obj.get("kind") != "Application" or not obj.get("apiVersion", "").startswith("argoproj.io/"):
        return
    if RESOURCES_FINALIZER not in (obj["metadata"].get("finalizers") or []):
        return
    key = (c.data["app_reads"].get(_app_key(obj)) or {}).get("target")
    if not key or not kw.cluster_alive(c.st, key):
        return
    target = _cluster(c, key)
    deployed = target.data.get("argocd_deployed", {}).pop(obj["metadata"]["name"], None) or {}
    for k in reversed(deployed.get("objects", [])):
        if k in target.objects:
            target.remove(target.objects[k])
    kw.reconcile(target)


# ---------------------------------------------------------------- ApplicationSets

def _normalize(s):
    return re.sub(r"[^a-z0-9.-]", "-", str(s).lower())


def _cluster_params(c, ns, gen):
    selector = gen.get("selector") or {}
    values = gen.get("values") or {}
    out = []
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        out.append({"name": "in-cluster", "nameNormalized": "in-cluster", "server": kw.IN_CLUSTER_URL,
                    "project": "", "metadata": {"labels": {}, "annotations": {}}, "values": dict(values)})
    for sec in cluster_secrets(c, ns):
        labels = sec["metadata"].get("labels") or {}
        if not kw.match_label_selector(labels, selector):
            continue
        r = _secret_cluster(sec)
        out.append({"name": r["name"], "nameNormalized": _normalize(r["name"]), "server": r["server"],
                    "project": kw.secret_value(sec, "project") or "",
                    "metadata": {"labels": dict(labels), "annotations": dict(sec["metadata"].get("annotations") or {})},
                    "values": dict(values)})
    return out


def _flatten(params, prefix=""):
    flat = {}
    for k, v in params.items():
        if isinstance(v, dict):
            flat.update(_flatten(v, f"{prefix}{k}."))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


class TemplateError(Exception):
    pass


def _go_eval(expr, params):
    """A tiny subset of Go templates: .a.b, index .m "k", pipelines into lower/upper/normalize."""
    stages = [s.strip() for s in expr.split("|")]
    value = None
    for i, stage in enumerate(stages):
        words = re.findall(r'"[^"]*"|\S+', stage)
        if not words:
            raise TemplateError(expr)
        fn, args = words[0], words[1:]

        def arg(w):
            if w.startswith('"'):
                return w[1:-1]
            if w.startswith("."):
                cur = params
                for part in [p for p in w[1:].split(".") if p]:
                    if not isinstance(cur, dict) or part not in cur:
                        raise TemplateError(f'map has no entry for key "{part}"')
                    cur = cur[part]
                return cur
            raise TemplateError(f"unsupported template word {w!r}")

        if fn.startswith(".") or fn.startswith('"'):
            value = arg(fn)
            continue
        vals = [arg(a) for a in args] + ([value] if i > 0 else [])
        if fn == "index":
            cur = vals[0]
            for k in vals[1:]:
                if not isinstance(cur, dict) or k not in cur:
                    raise TemplateError(f'map has no entry for key "{k}"')
                cur = cur[k]
            value = cur
        elif fn in ("lower", "upper", "normalize", "slugify", "trim"):
            v = str(vals[-1])
            value = {"lower": v.lower(), "upper": v.upper(), "normalize": _normalize(v),
                     "slugify": _normalize(v), "trim": v.strip()}[fn]
        elif fn == "default":
            value = vals[-1] if vals[-1] not in (None, "") else vals[0]
        elif fn == "quote":
            value = json.dumps(str(vals[-1]))
        else:
            raise TemplateError(f'function "{fn}" not defined')
    return "" if value is None else value


def render_template(node, params, go):
    if isinstance(node, dict):
        return {k: render_template(v, params, go) for k, v in node.items()}
    if isinstance(node, list):
        return [render_template(v, params, go) for v in node]
    if not isinstance(node, str):
        return node
    if go:
        return re.sub(r"\{\{-?\s*(.*?)\s*-?\}\}", lambda m: str(_go_eval(m.group(1), params)), node)
    flat = _flatten(params)
    return re.sub(r"\{\{\s*([\w.\-/]+)\s*\}\}",
                  lambda m: str(flat[m.group(1)]) if m.group(1) in flat else m.group(0), node)


def reconcile_appset(c, appset, ns):
    if appset["metadata"].get("namespace") != ns:
        return
    spec = appset.get("spec") or {}
    go = bool(spec.get("goTemplate"))
    status_conds = []
    params_list = []
    for gen in spec.get("generators", []) or []:
        if "clusters" in gen:
            params_list += _cluster_params(c, ns, gen["clusters"] or {})
        elif "list" in gen:
            for el in (gen["list"] or {}).get("elements", []) or []:
                params_list.append(dict(el))
        else:
            status_conds.append({"type": "ErrorOccurred", "status": "True", "reason": "ApplicationGenerationFromParamsError",
                                 "message": f"generator {sorted(gen)} is not simulated by the meshlab fakes"})
    wanted = {}
    for params in params_list:
        try:
            app = render_template(spec.get("template") or {}, params, go)
        except TemplateError as e:
            status_conds.append({"type": "ErrorOccurred", "status": "True",
                                 "reason": "ApplicationGenerationFromParamsError", "message": str(e)})
            continue
        md = app.setdefault("metadata", {})
        md["namespace"] = ns
        md["ownerReferences"] = [{"apiVersion": appset["apiVersion"], "kind": "ApplicationSet",
                                  "name": appset["metadata"]["name"], "uid": appset["metadata"]["uid"],
                                  "controller": True, "blockOwnerDeletion": True}]
        app["apiVersion"] = "argoproj.io/v1alpha1"
        app["kind"] = "Application"
        if md.get("name"):
            wanted[md["name"]] = app
    uid = appset["metadata"]["uid"]
    for existing in c.list_kind("argoproj.io", "Application", ns):
        owned = any(r.get("uid") == uid for r in existing["metadata"].get("ownerReferences", []))
        if owned and existing["metadata"]["name"] not in wanted:
            c.remove(existing)
    for name, app in wanted.items():
        old = c.find("argoproj.io", "Application", ns, name)
        if old and json.dumps(old.get("spec"), sort_keys=True) == json.dumps(app.get("spec"), sort_keys=True):
            continue
        if old:
            app["status"] = old.get("status")
        c.put(app)
    appset["status"] = {"conditions": status_conds or [
        {"type": "ResourcesUpToDate", "status": "True", "reason": "ApplicationSetUpToDate",
         "message": "All applications have been generated successfully"}]}

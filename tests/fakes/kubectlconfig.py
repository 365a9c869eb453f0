"""`kubectl config …` for the kubectl fake: works offline on real kubeconfig files, with the
messages kubectl v1.32 prints (../../../shared/contracts/kubectl.md)."""

import base64
import copy
import json
import os

import fakelib
import jsonpath
import kubeconfig as kc
from fakelib import Exit

SECTIONS = ("clusters", "contexts", "users")
SINGULAR = {"clusters": "cluster", "contexts": "context", "users": "user"}


def _files(g):
    return kc.env_paths(g.get("kubeconfig"))


def _load(inv, g):
    try:
        return kc.merged(_files(g))
    except kc.KubeconfigError as e:
        inv.fail(f"error: {e}", 1)


def _default_file(g):
    """The file kubectl creates new stanzas in: first existing file, else the last one."""
    files = _files(g)
    if len(files) == 1:
        return files[0]
    for f in files:
        if os.path.isfile(f):
            return f
    return files[-1]


def _file_for(g, section, name):
    for f in _files(g):
        if os.path.isfile(f) and kc.find(kc.load_file(f), section, name):
            return f
    return _default_file(g)


def _update(inv, path, mutate):
    try:
        cfg = kc.load_file(path)
    except kc.KubeconfigError as e:
        inv.fail(f"error: {e}", 1)
    mutate(cfg)
    kc.write_file(path, cfg)


def _read_file_b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def redact(cfg):
    out = copy.deepcopy(cfg)
    for c in out.get("clusters") or []:
        cl = c.get("cluster", {})
        if "certificate-authority-data" in cl:
            cl["certificate-authority-data"] = "DATA+OMITTED"
    for u in out.get("users") or []:
        us = u.get("user", {})
        for k in ("client-certificate-data", "client-key-data"):
            if k in us:
                us[k] = "DATA+OMITTED" if k != "client-key-data" else "DATA+OMITTED"
        for k in ("token", "password"):
            if k in us:
                us[k] = "REDACTED"
    return out


def flatten(cfg):
    out = copy.deepcopy(cfg)
    for c in out.get("clusters") or []:
        cl = c.get("cluster", {})
        if cl.get("certificate-authority") and os.path.isfile(cl["certificate-authority"]):
            cl["certificate-authority-data"] = _read_file_b64(cl.pop("certificate-authority"))
    for u in out.get("users") or []:
        us = u.get("user", {})
        for k in ("client-certificate", "client-key"):
            if us.get(k) and os.path.isfile(us[k]):
                us[k + "-data"] = _read_file_b64(us.pop(k))
    return out


def minify(inv, cfg, context):
    name = context or cfg.get("current-context")
    if not name:
        inv.fail("error: current-context must exist in order to minify", 1)
    ctx = kc.find(cfg, "contexts", name)
    if ctx is None:
        inv.fail(f"error: cannot locate context {name}", 1)
    c = ctx.get("context", {})
    out = kc.empty()
    out["contexts"] = [ctx]
    cl = kc.find(cfg, "clusters", c.get("cluster"))
    us = kc.find(cfg, "users", c.get("user"))
    out["clusters"] = [cl] if cl else None
    out["users"] = [us] if us else None
    out["current-context"] = name
    out["preferences"] = cfg.get("preferences") or {}
    return out


def json_view(cfg):
    ordered = {"kind": "Config", "apiVersion": "v1", "preferences": cfg.get("preferences") or {},
               "clusters": cfg.get("clusters") or [], "users": cfg.get("users") or [],
               "contexts": cfg.get("contexts") or [], "current-context": cfg.get("current-context") or ""}
    return json.dumps(ordered, indent=4)


def view(inv, g, o, args):
    cfg, _ = _load(inv, g)
    if o.get("minify"):
        cfg = minify(inv, cfg, g.get("context"))
    if o.get("flatten"):
        cfg = flatten(cfg)
    if not o.get("raw"):
        cfg = redact(cfg)
    fmt = o.get("output") or "yaml"
    if fmt == "json":
        inv.stdout(json_view(cfg) + "\n")
    elif fmt.startswith("jsonpath="):
        try:
            inv.stdout(jsonpath.render(fmt[len("jsonpath="):], json.loads(json_view(cfg))))
        except jsonpath.JSONPathError as e:
            inv.fail(f"error: error parsing jsonpath {fmt[9:]}, {e}", 1)
    elif fmt == "yaml":
        out = kc.empty()
        out.update(cfg)
        for k in SECTIONS:
            if not out.get(k):
                out[k] = None
        inv.stdout(fakelib.yaml_dump(out))
    else:
        inv.fail(f'error: output format "{fmt}" not recognized', 1)
    return 0


def get_contexts(inv, g, o, args):
    cfg, _ = _load(inv, g)
    ctxs = cfg.get("contexts") or []
    if args:
        ctxs = [c for c in ctxs if c.get("name") in args]
        missing = [a for a in args if a not in {c.get("name") for c in ctxs}]
        if missing:
            if o.get("output") != "name":
                inv.stdout("CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n")
            inv.fail(f"error: context {missing[0]} not found", 1)
    if o.get("output") == "name":
        inv.stdout("".join(c["name"] + "\n" for c in sorted(ctxs, key=lambda c: c["name"])))
        return 0
    if o.get("output"):
        inv.fail(f'error: output must be one of \'\' or \'name\'', 1)
    rows = [["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]]
    for c in sorted(ctxs, key=lambda c: c["name"]):
        cc = c.get("context", {})
        rows.append(["*" if c["name"] == cfg.get("current-context") else "", c["name"], cc.get("cluster", ""),
                     cc.get("user", ""), cc.get("namespace", "")])
    if o.get("no-headers"):
        rows = rows[1:]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    inv.stdout("".join("   ".join(r[i].ljust(widths[i]) for i in range(5)).rstrip(" ") + ("\n") for r in rows)
               if len(rows) > 1 or o.get("no-headers") else "CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n")
    return 0


def current_context(inv, g, o, args):
    cfg, _ = _load(inv, g)
    if not cfg.get("current-context"):
        inv.fail("error: current-context is not set", 1)
    inv.stdout(cfg["current-context"] + "\n")
    return 0


def use_context(inv, g, o, args):
    if len(args) != 1:
        inv.fail("error: Unexpected args: " + str(args), 1)
    name = args[0]
    cfg, _ = _load(inv, g)
    if kc.find(cfg, "contexts", name) is None:
        inv.fail(f'error: no context exists with the name: "{name}"', 1)
    target = None
    for f in _files(g):
        if os.path.isfile(f) and kc.load_file(f).get("current-context"):
            target = f
            break
    target = target or _default_file(g)
    _update(inv, target, lambda c: c.__setitem__("current-context", name))
    inv.stdout(f'Switched to context "{name}".\n')
    return 0


def delete_entry(inv, g, o, args, section):
    word = SINGULAR[section]
    if len(args) != 1:
        inv.fail(f"error: unexpected args: {args}", 1)
    name = args[0]
    for f in _files(g):
        if os.path.isfile(f):
            cfg = kc.load_file(f)
            if kc.find(cfg, section, name):
                was_current = section == "contexts" and cfg.get("current-context") == name
                kc.remove(cfg, section, name)
                kc.write_file(f, cfg)
                if was_current:
                    inv.stderr('warning: this removed your active context, use "kubectl config use-context" '
                               "to select a different one\n")
                inv.stdout(f"deleted {word} {name} from {f}\n")
                return 0
    inv.fail(f"error: cannot delete {word} {name}, not in {_default_file(g)}", 1)


def rename_context(inv, g, o, args):
    if len(args) != 2:
        inv.fail("error: Unexpected args: " + str(args), 1)
    old, new = args
    f = _file_for(g, "contexts", old)
    cfg = kc.load_file(f) if os.path.isfile(f) else kc.empty()
    entry = kc.find(cfg, "contexts", old)
    if entry is None:
        inv.fail(f'error: cannot rename the context "{old}", it\'s not in {f}', 1)
    if kc.find(cfg, "contexts", new):
        inv.fail(f'error: cannot rename the context "{old}", the context "{new}" already exists in {f}', 1)
    entry["name"] = new
    if cfg.get("current-context") == old:
        cfg["current-context"] = new
    kc.write_file(f, cfg)
    inv.stdout(f'Context "{old}" renamed to "{new}".\n')
    return 0


def set_context(inv, g, o, args):
    cfg, _ = _load(inv, g)
    if o.get("current"):
        if args:
            inv.fail("error: you cannot specify a context name and --current", 1)
        name = cfg.get("current-context")
        if not name:
            inv.fail("error: no current context is set", 1)
    elif len(args) != 1:
        inv.fail("error: you must specify a non-empty context name or --current", 1)
    else:
        name = args[0]
    f = _file_for(g, "contexts", name)
    existed = {}

    def mutate(c):
        e = kc.find(c, "contexts", name)
        existed["yes"] = e is not None
        if e is None:
            e = {"name": name, "context": {}}
            kc.upsert(c, "contexts", e)
        ctx = e.setdefault("context", {})
        for k in ("cluster", "user", "namespace"):
            if o.get(k) is not None:
                if o[k]:
                    ctx[k] = o[k]
                else:
                    ctx.pop(k, None)

    _update(inv, f, mutate)
    inv.stdout(f'Context "{name}" {"modified" if existed.get("yes") else "created"}.\n')
    return 0


def _embed(inv, path):
    try:
        return _read_file_b64(path)
    except OSError as e:
        inv.fail(f"error: could not read {path}: {e.strerror.lower()}", 1)


def set_cluster(inv, g, o, args):
    if len(args) != 1:
        inv.fail("error: you must specify a non-empty cluster name", 1)
    name = args[0]

    def mutate(c):
        e = kc.find(c, "clusters", name) or {"name": name, "cluster": {}}
        kc.upsert(c, "clusters", e)
        cl = e.setdefault("cluster", {})
        if o.get("server"):
            cl["server"] = o["server"]
        if o.get("certificate-authority"):
            if o.get("embed-certs"):
                cl["certificate-authority-data"] = _embed(inv, o["certificate-authority"])
                cl.pop("certificate-authority", None)
            else:
                cl["certificate-authority"] = os.path.abspath(o["certificate-authority"])
        if o.get("insecure-skip-tls-verify") is not None:
            cl["insecure-skip-tls-verify"] = bool(o["insecure-skip-tls-verify"])
        if o.get("tls-server-name"):
            cl["tls-server-name"] = o["tls-server-name"]
        if o.get("proxy-url"):
            cl["proxy-url"] = o["proxy-url"]

    _update(inv, _file_for(g, "clusters", name), mutate)
    inv.stdout(f'Cluster "{name}" set.\n')
    return 0


def set_credentials(inv, g, o, args):
    if len(args) != 1:
        inv.fail("error: you must specify a non-empty user name", 1)
    name = args[0]

    def mutate(c):
        e = kc.find(c, "users", name) or {"name": name, "user": {}}
        kc.upsert(c, "users", e)
        us = e.setdefault("user", {}) or {}
        e["user"] = us
        if o.get("token"):
            us["token"] = o["token"]
        for k in ("client-certificate", "client-key"):
            if o.get(k):
                if o.get("embed-certs"):
                    us[k + "-data"] = _embed(inv, o[k])
                    us.pop(k, None)
                else:
                    us[k] = os.path.abspath(o[k])
        for k in ("username", "password"):
            if o.get(k):
                us[k] = o[k]

    _update(inv, _file_for(g, "users", name), mutate)
    inv.stdout(f'User "{name}" set.\n')
    return 0


def list_names(inv, g, o, args, section, header):
    cfg, _ = _load(inv, g)
    inv.stdout(header + "\n" + "".join(e["name"] + "\n" for e in cfg.get(section) or []))
    return 0


COMMANDS = {
    "view": view,
    "get-contexts": get_contexts,
    "current-context": current_context,
    "use-context": use_context,
    "use": use_context,
    "delete-context": lambda inv, g, o, a: delete_entry(inv, g, o, a, "contexts"),
    "delete-cluster": lambda inv, g, o, a: delete_entry(inv, g, o, a, "clusters"),
    "delete-user": lambda inv, g, o, a: delete_entry(inv, g, o, a, "users"),
    "rename-context": rename_context,
    "set-context": set_context,
    "set-cluster": set_cluster,
    "set-credentials": set_credentials,
    "get-clusters": lambda inv, g, o, a: list_names(inv, g, o, a, "clusters", "NAME"),
    "get-users": lambda inv, g, o, a: list_names(inv, g, o, a, "users", "NAME"),
}


def add_flags(sub, f):
    """Flags of `kubectl config <sub>` (besides the global ones)."""
    if sub == "view":
        f.add("raw").add("flatten").add("minify").add("merge").add("o", "output", value=True)
        f.add("template", value=True).add("show-managed-fields").add("allow-missing-template-keys")
    elif sub == "get-contexts":
        f.add("o", "output", value=True).add("no-headers")
    elif sub == "set-context":
        f.add("current")
    elif sub == "set-cluster":
        f.add("embed-certs").add("proxy-url", value=True)
    elif sub == "set-credentials":
        f.add("embed-certs").add("auth-provider", value=True).add("auth-provider-arg", value=True, multi=True)
        f.add("exec-command", value=True).add("exec-api-version", value=True).add("exec-arg", value=True, multi=True)
        f.add("exec-env", value=True, multi=True)


def run(inv, sub, g, o, args):
    fn = COMMANDS.get(sub)
    if fn is None:
        inv.fail(f'error: unknown command "{sub}" for "kubectl config"', 1)
    return fn(inv, g, o, args)


__all__ = ["run", "add_flags", "COMMANDS", "Exit"]

"""Kubeconfig files as kubectl and kind read and write them (real files, valid YAML)."""

import os

import fakelib


class KubeconfigError(Exception):
    pass


def empty():
    return {"apiVersion": "v1", "clusters": None, "contexts": None, "current-context": "",
            "kind": "Config", "preferences": {}, "users": None}


def load_file(path, missing_ok=True):
    """The config in `path`; an empty config when it does not exist (kubectl's behaviour)."""
    if not os.path.exists(path):
        if missing_ok:
            return empty()
        raise KubeconfigError(f"stat {path}: no such file or directory")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = fakelib.yaml_load(text) if text.strip() else {}
    except Exception as e:  # PyYAML's errors, worded like Go's yaml package
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise KubeconfigError(f'error loading config file "{path}": yaml: {line}{problem}')
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KubeconfigError(f'error loading config file "{path}": couldn\'t get version/kind; '
                              f'json parse error: json: cannot unmarshal {type(data).__name__} into Go value')
    cfg = empty()
    cfg.update(data)
    for k in ("clusters", "contexts", "users"):
        if cfg.get(k) is not None and not isinstance(cfg[k], list):
            raise KubeconfigError(f'error loading config file "{path}": {k} is not a list')
    return cfg


def write_file(path, cfg):
    out = empty()
    out.update(cfg)
    for k in ("clusters", "contexts", "users"):
        if not out.get(k):
            out[k] = None
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = f"{path}.fake-tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(fakelib.yaml_dump(out))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def env_paths(explicit=None):
    """Files kubectl/kind consider: --kubeconfig, else $KUBECONFIG entries, else ~/.kube/config."""
    if explicit:
        return [explicit]
    seen = []
    for p in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if p and p not in seen:
            seen.append(p)
    if seen:
        return seen
    return [os.path.join(os.path.expanduser("~"), ".kube", "config")]


def merged(paths):
    """One config from several files: first file wins per name; entries remember their file."""
    out = empty()
    out["clusters"], out["contexts"], out["users"] = [], [], []
    origin = {}
    for p in paths:
        cfg = load_file(p)
        if not out["current-context"] and cfg.get("current-context"):
            out["current-context"] = cfg["current-context"]
        for k in ("clusters", "contexts", "users"):
            names = {e.get("name") for e in out[k]}
            for e in cfg.get(k) or []:
                if e.get("name") not in names:
                    out[k].append(e)
                    origin[(k, e.get("name"))] = p
        if cfg.get("preferences"):
            out["preferences"] = out["preferences"] or cfg["preferences"]
    return out, origin


def find(cfg, section, name):
    for e in cfg.get(section) or []:
        if e.get("name") == name:
            return e
    return None


def upsert(cfg, section, entry):
    items = cfg.get(section) or []
    for i, e in enumerate(items):
        if e.get("name") == entry["name"]:
            items[i] = entry
            break
    else:
        items.append(entry)
    cfg[section] = items


def remove(cfg, section, name):
    items = cfg.get(section) or []
    kept = [e for e in items if e.get("name") != name]
    cfg[section] = kept or None
    return len(kept) != len(items)


def path_for_merge(explicit=None):
    """kind's pathForMerge: the only path, else the first that exists, else the last."""
    paths = env_paths(explicit)
    if len(paths) == 1:
        return paths[0]
    for p in paths:
        if os.path.isfile(p):
            return p
    return paths[-1]


def single_entry_config(name, server, ca_data, cert_data, key_data, current=True):
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": ca_data, "server": server}, "name": name}],
        "contexts": [{"context": {"cluster": name, "user": name}, "name": name}],
        "current-context": name if current else "",
        "kind": "Config",
        "preferences": {},
        "users": [{"name": name, "user": {"client-certificate-data": cert_data, "client-key-data": key_data}}],
    }


def merge_into_file(path, single):
    """Merge a one-entry config into `path` (replace same names) and make it current."""
    cfg = load_file(path)
    for section in ("clusters", "contexts", "users"):
        for e in single[section]:
            upsert(cfg, section, e)
    cfg["current-context"] = single["current-context"]
    write_file(path, cfg)


def remove_from_files(paths, name):
    """Remove cluster/user/context `name` from whichever files hold them (kind delete)."""
    for p in paths:
        if not os.path.isfile(p):
            continue
        cfg = load_file(p)
        changed = False
        for section in ("clusters", "contexts", "users"):
            changed |= remove(cfg, section, name)
        if cfg.get("current-context") == name:
            cfg["current-context"] = ""
            changed = True
        if changed:
            write_file(p, cfg)

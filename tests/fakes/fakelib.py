"""Shared machinery of meshlab's fake tools: state, call log, latency, fault injection.

Every fake (multipass, kind, kubectl, helm, docker) is a small Python program that keeps its
world in the directory named by $MESHLAB_FAKE_STATE. The world lives in JSON files under
`state/`, each read and written under one exclusive flock so that fakes running in parallel see
a consistent world. Each invocation appends one JSON line to `calls.jsonl`.

Nothing here touches the network; every address a fake hands out is in 127.0.0.0/8.
"""

import base64
import datetime
import fcntl
import gzip
import hashlib
import importlib.util
import json
import os
import random
import re
import secrets
import signal
import sys
import time

# PyYAML (Debian package python3-yaml) is imported where YAML is read or written (yaml_module):
# most calls print JSON or tables, and importing it costs a fake call a sixth of its time.
# Whether it is there is still checked at once, so a missing package is reported clearly.
if importlib.util.find_spec("yaml") is None:  # pragma: no cover - reported instead of a traceback
    sys.stderr.write("meshlab fakes need PyYAML (Debian package python3-yaml)\n")
    sys.exit(97)

STATE_ENV = "MESHLAB_FAKE_STATE"
LATENCY_ENV = "MESHLAB_FAKE_LATENCY"
SCALE_ENV = "MESHLAB_FAKE_LATENCY_SCALE"
# Exit status for a fake that is not set up (no state dir): distinct from every tool's own codes.
SETUP_ERROR = 97
STDIN_INLINE_LIMIT = 64 * 1024


class Exit(Exception):
    """Ends the invocation with `code` (output already written to the buffers)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------- state directory and locking

def state_dir():
    path = os.environ.get(STATE_ENV, "")
    if not path:
        raise SetupError(f"{STATE_ENV} is not set; point it at a directory where the meshlab "
                         "fakes may keep their state (tests use a fresh temp dir)")
    os.makedirs(os.path.join(path, "state"), exist_ok=True)
    return path


class SetupError(Exception):
    pass


def _atomic_write(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


class State:
    """One transaction over the fakes' world: `with State() as st: st.get("multipass")`.

    Holds an exclusive flock on $STATE/lock for its whole duration, loads each domain (one JSON
    file under state/) on first use and writes back, atomically, the domains that changed.
    Keep transactions short and never sleep inside one: other fakes wait for the lock.
    """

    def __init__(self):
        self.root = state_dir()
        self._cache = {}
        self._orig = {}
        self._deleted = set()
        self._lock = None

    def __enter__(self):
        self._lock = open(os.path.join(self.root, "lock"), "a+")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None or issubclass(exc_type, Exit):
                self.commit()
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
        return False

    def _path(self, domain):
        return os.path.join(self.root, "state", domain + ".json")

    def get(self, domain, default=None):
        """The mutable dict of `domain`; created from `default` (or {}) when absent."""
        if domain not in self._cache:
            path = self._path(domain)
            text = None
            if domain not in self._deleted and os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            if text:
                self._cache[domain] = json.loads(text)
                # A copy to tell at commit whether it changed: comparing objects takes a fraction
                # of dumping every domain read (json's indented dump is pure Python).
                self._orig[domain] = json.loads(text)
            else:
                self._cache[domain] = default if default is not None else {}
                self._orig[domain] = None
            self._deleted.discard(domain)
        return self._cache[domain]

    def exists(self, domain):
        if domain in self._cache:
            return True
        return domain not in self._deleted and os.path.exists(self._path(domain))

    def delete(self, domain):
        self._cache.pop(domain, None)
        self._deleted.add(domain)

    def domains(self, prefix):
        names = set()
        for fn in os.listdir(os.path.join(self.root, "state")):
            if fn.endswith(".json") and fn.startswith(prefix):
                names.add(fn[:-5])
        names |= {d for d in self._cache if d.startswith(prefix)}
        return sorted(names - self._deleted)

    def commit(self):
        for domain in self._deleted:
            if os.path.exists(self._path(domain)):
                os.remove(self._path(domain))
        for domain, data in self._cache.items():
            if data != self._orig.get(domain):
                text = json.dumps(data, indent=1, sort_keys=True)
                _atomic_write(self._path(domain), text)
                self._orig[domain] = json.loads(text)
        self._deleted = set()


def config_value(st, key, default):
    """A knob set with `fakectl config KEY VALUE` (stored in the `config` domain)."""
    return st.get("config").get(key, default)


# ---------------------------------------------------------------- addresses (all in 127.0.0.0/8)

def alloc_ip(used, prefix, first=2, last=254):
    """Lowest free address `prefix.N` (N in first..last) not in `used`."""
    for n in range(first, last + 1):
        ip = f"{prefix}.{n}"
        if ip not in used:
            return ip
    raise RuntimeError(f"fake address pool {prefix}.0/24 exhausted")


def is_loopback(ip):
    return bool(re.fullmatch(r"127\.\d{1,3}\.\d{1,3}\.\d{1,3}", ip or ""))


def random_hex(n):
    return secrets.token_hex((n + 1) // 2)[:n]


def now_iso(t=None):
    t = time.time() if t is None else t
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_pem(label, kind="CERTIFICATE"):
    """A PEM-shaped block that is clearly not a real certificate (tools here never parse it)."""
    body = base64.b64encode(f"meshlab fake {kind.lower()} for {label} {random_hex(16)}".encode()).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n"


def b64(text):
    if isinstance(text, str):
        text = text.encode()
    return base64.b64encode(text).decode()


def unb64(text):
    return base64.b64decode(text).decode("utf-8", "replace")


def decode_write_file(entry):
    """Content bytes of a cloud-init write_files entry, honouring `encoding`."""
    content = entry.get("content", "")
    if content is None:
        content = ""
    if not isinstance(content, str):
        content = str(content)
    enc = str(entry.get("encoding", "text/plain")).lower()
    raw = content.encode()
    if enc in ("b64", "base64"):
        return base64.b64decode(raw)
    if enc in ("gz+base64", "gzip+base64", "gz+b64", "gzip+b64"):
        return gzip.decompress(base64.b64decode(raw))
    if enc in ("gz", "gzip"):
        return gzip.decompress(raw)
    return raw


# ---------------------------------------------------------------- YAML helpers

def yaml_module():
    """PyYAML, imported on first use (see the check at the top)."""
    import yaml
    return yaml


def yaml_load(text):
    yaml = yaml_module()
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def yaml_load_all(text):
    yaml = yaml_module()
    return [d for d in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))]


def yaml_dump(data):
    """YAML the way Go tools (sigs.k8s.io/yaml) print it: sorted keys, block style."""
    yaml = yaml_module()
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), default_flow_style=False,
                     sort_keys=True, allow_unicode=True, width=1 << 20)


# ---------------------------------------------------------------- Qt-style JSON (multipass)

def qt_json(value, indent=0):
    """JSON as Qt's QJsonDocument::Indented writes it: 4 spaces, sorted keys, empty
    containers opened and closed on separate lines (multipass 1.16.x output)."""
    pad = " " * indent
    inner = " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{\n" + pad + "}"
        items = [f'{inner}{json.dumps(k, ensure_ascii=False)}: {qt_json(v, indent + 4)}'
                 for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[\n" + pad + "]"
        items = [inner + qt_json(v, indent + 4) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- latency model

# Real-world seconds per operation; each call sleeps this × $MESHLAB_FAKE_LATENCY_SCALE when
# $MESHLAB_FAKE_LATENCY=1. Keys are "tool op"; README.md documents the table.
LATENCY = {
    "multipass launch": 60.0,
    "multipass start": 15.0,
    "multipass stop": 8.0,
    "multipass restart": 20.0,
    "multipass suspend": 5.0,
    "multipass delete": 3.0,
    "multipass purge": 2.0,
    "multipass list": 0.3,
    "multipass info": 0.5,
    "multipass exec": 0.5,
    "multipass exec cloud-init": 30.0,
    "multipass transfer": 1.0,
    "multipass version": 0.1,
    "kind create": 25.0,
    "kind create worker": 8.0,
    "kind delete": 4.0,
    "kind get": 0.2,
    "kind export": 0.3,
    "kind version": 0.05,
    "docker run": 2.0,
    "docker start": 1.0,
    "docker stop": 2.0,
    "docker rm": 0.5,
    "docker inspect": 0.1,
    "docker ps": 0.1,
    "docker network": 0.2,
    "docker exec": 0.3,
    "docker version": 0.05,
    "kubectl get": 0.15,
    "kubectl apply": 0.6,
    "kubectl apply object": 0.02,
    "kubectl create": 0.3,
    "kubectl delete": 0.5,
    "kubectl label": 0.2,
    "kubectl annotate": 0.2,
    "kubectl patch": 0.2,
    "kubectl wait": 0.1,
    "kubectl rollout": 0.2,
    "kubectl config": 0.03,
    "kubectl version": 0.1,
    "kubectl exec": 0.4,
    "kubectl other": 0.2,
    "helm upgrade": 8.0,
    "helm uninstall": 3.0,
    "helm repo": 1.0,
    "helm list": 0.3,
    "helm status": 0.3,
    "helm version": 0.05,
    "helm other": 0.3,
}

# Real-world seconds until things become ready after they were created (cluster side). Only
# applied when the latency model is on; otherwise everything is ready at once.
READINESS = {
    "node": 20.0,            # a node reports Ready this long after its cluster was created
    "deployment": 30.0,      # a Deployment/StatefulSet/DaemonSet becomes available
    "argocd-deployment": 45.0,
    "loadbalancer": 3.0,     # a LoadBalancer Service gets its ingress address
}


def latency_on():
    return os.environ.get(LATENCY_ENV, "") not in ("", "0", "false", "no")


def latency_scale():
    try:
        return float(os.environ.get(SCALE_ENV, "0.01"))
    except ValueError:
        return 0.01


def scaled(seconds):
    return seconds * latency_scale() if latency_on() else 0.0


def readiness_delay(what):
    return scaled(READINESS.get(what, 0.0))


# ---------------------------------------------------------------- fault injection

def _argv_has_words(argv, words):
    """True when `words` occur in `argv` in order (not necessarily adjacent)."""
    it = iter(argv)
    return all(any(a == w for a in it) for w in words)


def _arg_matches(argv, text):
    for a in argv:
        if a == text:
            return True
        for sep in ("=", ":", "/"):
            if sep in a and text in a.split(sep):
                return True
    return False


def rule_matches(rule, tool, argv, stdin_text):
    if rule.get("tool") != tool:
        return False
    if not _argv_has_words(argv, rule.get("words", [])):
        return False
    if rule.get("match") and not _arg_matches(argv, rule["match"]):
        return False
    if rule.get("regex") and not re.search(rule["regex"], " ".join(argv)):
        return False
    if rule.get("stdin_match") and rule["stdin_match"] not in (stdin_text or ""):
        return False
    return True


def take_fault(inv):
    """The fault rule that fires for this invocation, or None; counts it (--after/--times)."""
    with State() as st:
        faults = st.get("faults", {"rules": []})
        rules = faults.setdefault("rules", [])
        if not rules:
            return None
        stdin_text = None
        if any(r.get("stdin_match") for r in rules if r.get("tool") == inv.tool):
            stdin_text = inv.stdin_text()
        for rule in rules:
            if not rule_matches(rule, inv.tool, inv.argv, stdin_text):
                continue
            rule["seen"] = rule.get("seen", 0) + 1
            if rule["seen"] <= rule.get("after", 0):
                continue
            if rule.get("times") is not None:
                rule["times"] -= 1
                if rule["times"] <= 0:
                    rules.remove(rule)
            fired = faults.setdefault("fired", [])
            fired.append({"id": rule.get("id"), "tool": inv.tool, "argv": inv.argv,
                          "action": rule["action"], "time": time.time()})
            return dict(rule)
    return None


def corrupt_text(text):
    """Tool output made unparseable: cut in the middle and followed by junk."""
    cut = text[: max(1, len(text) // 2)] if text else ""
    return cut + "\x1b[31m<<fake corrupt output>>{\"\n"


# ---------------------------------------------------------------- one invocation

class Invocation:
    """What one run of a fake sees and produces: argv, stdin, buffered stdout/stderr."""

    def __init__(self, tool, argv):
        self.tool = tool
        self.argv = argv
        self.out = []
        self.err = []
        self._stdin = None
        self.start = time.time()
        self.note = {}

    def stdout(self, data):
        """Queue `data` for stdout: text (written as UTF-8) or bytes (written as they are, as
        `multipass transfer VM:FILE -` and `exec` pass a file's bytes through)."""
        self.out.append(data)

    def stderr(self, data):
        self.err.append(data)

    def fail(self, text, code=1):
        """Write `text` (newline added if missing) to stderr and end with `code`."""
        if text and not text.endswith("\n"):
            text += "\n"
        self.err.append(text)
        raise Exit(code)

    def stdin_bytes(self):
        if self._stdin is None:
            try:
                self._stdin = sys.stdin.buffer.read() if not sys.stdin.isatty() else b""
            except (OSError, ValueError, AttributeError):
                self._stdin = b""
        return self._stdin

    def stdin_text(self):
        return self.stdin_bytes().decode("utf-8", "replace")

    def delay(self, op):
        """Sleep the scaled latency of `op` ("tool op" key of LATENCY) when the model is on."""
        seconds = scaled(LATENCY.get(f"{self.tool} {op}", LATENCY.get(f"{self.tool} other", 0.0)))
        if seconds > 0:
            time.sleep(seconds)

    @staticmethod
    def _joined(parts):
        return b"".join(p if isinstance(p, bytes) else p.encode("utf-8") for p in parts)

    def flush(self):
        """Write the queued output; returns it as text for the call log (bytes that are not
        UTF-8 shown with replacement characters there, never altered on the way out)."""
        out, err = self._joined(self.out), self._joined(self.err)
        self.out, self.err = [], []
        try:
            if out:
                sys.stdout.buffer.write(out)
                sys.stdout.buffer.flush()
            if err:
                sys.stderr.buffer.write(err)
                sys.stderr.buffer.flush()
        except (BrokenPipeError, ValueError):
            pass
        return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def log(self, code, out, err, signal_name=None):
        entry = {
            "tool": self.tool,
            "argv": self.argv,
            "cwd": os.getcwd(),
            "exit": code,
            "time": now_iso(self.start),
            "start": round(self.start, 6),
            "end": round(time.time(), 6),
            "pid": os.getpid(),
        }
        env = {k: os.environ[k] for k in ("KUBECONFIG", "KIND_CLUSTER_NAME", "HELM_KUBECONTEXT",
                                           "HELM_NAMESPACE") if k in os.environ}
        if env:
            entry["env"] = env
        if self._stdin is not None and self._stdin:
            data = self._stdin
            entry["stdin_bytes"] = len(data)
            entry["stdin_sha256"] = hashlib.sha256(data).hexdigest()
            if len(data) <= STDIN_INLINE_LIMIT:
                try:
                    entry["stdin"] = data.decode("utf-8")
                except UnicodeDecodeError:
                    pass
        entry["stdout"] = out if len(out) <= STDIN_INLINE_LIMIT else out[:STDIN_INLINE_LIMIT] + "…"
        entry["stderr"] = err if len(err) <= STDIN_INLINE_LIMIT else err[:STDIN_INLINE_LIMIT] + "…"
        if signal_name:
            entry["signal"] = signal_name
        if self.note:
            entry["note"] = self.note
        line = json.dumps(entry, sort_keys=True) + "\n"
        try:
            root = state_dir()
        except SetupError:
            return
        with open(os.path.join(root, "calls.jsonl"), "a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(line)
            f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)


def run(tool, main):
    """Entry point of every fake: faults, then `main(inv)`, then the call log; exits."""
    inv = Invocation(tool, sys.argv[1:])

    def on_signal(signum, _frame):
        out, err = inv.flush()
        code = 128 + signum
        try:
            inv.log(code, out, err, signal.Signals(signum).name)
        finally:
            os._exit(code)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    code = 0
    try:
        state_dir()
        rule = take_fault(inv)
        corrupt = False
        if rule:
            action = rule["action"]
            inv.note["fault"] = action
            if action == "fail":
                if rule.get("stdout"):
                    inv.stdout(rule["stdout"])
                text = rule.get("stderr") or f"{tool}: injected failure (meshlab fake)"
                inv.fail(text, rule.get("exit", 1))
            elif action == "hang":
                time.sleep(float(rule.get("seconds", 3600)))
            elif action == "corrupt":
                corrupt = True
        code = main(inv) or 0
        if corrupt:
            inv.out = [corrupt_text(Invocation._joined(inv.out).decode("utf-8", "replace"))]
    except Exit as e:
        code = e.code
    except SetupError as e:
        inv.err.append(f"{tool} (meshlab fake): {e}\n")
        code = SETUP_ERROR
    except BrokenPipeError:
        code = 141
    out, err = inv.flush()
    if code != SETUP_ERROR:
        inv.log(code, out, err)
    sys.exit(code)


# ---------------------------------------------------------------- argument parsing

class UsageError(Exception):
    """A command-line problem; `flag` is set for an unknown flag (each tool words it its way)."""

    def __init__(self, message, flag=None):
        super().__init__(message)
        self.flag = flag


class Flags:
    """Declarative flag set: `Flags(("n", "name"), value=True)`…; parse() → (opts, args)."""

    def __init__(self):
        self.specs = {}   # every spelling -> spec
        self.order = []

    def add(self, *names, value=False, multi=False, default=None, optional_value=None):
        spec = {"names": names, "value": value, "multi": multi, "default": default,
                "key": max(names, key=len), "optional_value": optional_value}
        for n in names:
            self.specs[n] = spec
        self.order.append(spec)
        return self

    def parse(self, argv, interspersed=True, stop_at_dashdash=True, bool_values=True):
        opts = {}
        for spec in self.order:
            if spec["multi"]:
                opts[spec["key"]] = []
            else:
                opts[spec["key"]] = spec["default"]
        args = []
        i = 0
        rest = None
        while i < len(argv):
            a = argv[i]
            if a == "--" and stop_at_dashdash:
                rest = argv[i + 1:]
                break
            if a.startswith("-") and a != "-" and not (a[1:2].isdigit() and len(a) > 1):
                if a.startswith("--"):
                    name, eq, val = a[2:].partition("=")
                    spec = self.specs.get(name)
                    if spec is None:
                        raise UsageError(f"unknown flag: --{name}", flag=f"--{name}")
                    if spec["value"]:
                        if not eq:
                            if spec["optional_value"] is not None:
                                val = spec["optional_value"]
                            else:
                                i += 1
                                if i >= len(argv):
                                    raise UsageError(f"flag needs an argument: --{name}", flag=f"--{name}")
                                val = argv[i]
                    else:
                        if eq and bool_values:
                            val = val.lower() in ("true", "1", "t", "yes")
                        else:
                            val = True
                    self._set(opts, spec, val)
                else:
                    # short flags, possibly combined: -it, -n value, -nvalue
                    j = 1
                    while j < len(a):
                        ch = a[j]
                        spec = self.specs.get(ch)
                        if spec is None:
                            raise UsageError(f"unknown shorthand flag: '{ch}' in {a}", flag=f"-{ch}")
                        if spec["value"]:
                            val = a[j + 1:]
                            if val.startswith("="):
                                val = val[1:]
                            if not val:
                                i += 1
                                if i >= len(argv):
                                    raise UsageError(f"flag needs an argument: '{ch}' in -{ch}", flag=f"-{ch}")
                                val = argv[i]
                            self._set(opts, spec, val)
                            break
                        self._set(opts, spec, True)
                        j += 1
            else:
                args.append(a)
                if not interspersed:
                    rest = argv[i + 1:]
                    break
            i += 1
        return opts, args, rest

    @staticmethod
    def _set(opts, spec, val):
        if spec["multi"]:
            opts[spec["key"]].append(val)
        else:
            opts[spec["key"]] = val


def parse_go_duration(text):
    """Seconds in a Go duration such as 300s, 5m, 1h30m, 1.5s; a bare number means seconds."""
    text = str(text).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    total = 0.0
    pos = 0
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    neg = text.startswith("-")
    if neg:
        text = text[1:]
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text):
        if m.start() != pos:
            raise ValueError(text)
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(text)
    return -total if neg else total


def petname():
    adjectives = ["brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lively",
                  "merry", "nimble", "proud", "quick", "shiny", "tidy", "witty"]
    animals = ["aardvark", "badger", "coyote", "dingo", "egret", "ferret", "gecko", "heron",
               "ibis", "jackal", "koala", "lemur", "marmot", "newt", "ocelot", "quokka"]
    return f"{random.choice(adjectives)}-{random.choice(animals)}"

"""Runs the built meshlab against the fake tools of tests/fakes, each run in its own world.

Shared by the end-to-end tests (tests/e2e/test_launch.py) and bench/launch.py. A Sandbox is a
temp dir holding the fakes' state, HOME, XDG_STATE_HOME and a user kubeconfig with an
unrelated context, plus a loopback HTTP server for the downloads a launch makes (the MetalLB
manifest); nothing reaches beyond 127.0.0.0/8.
"""

import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # nothing may write into the source tree

HERE = os.path.dirname(os.path.realpath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
FAKES = os.path.join(SOURCE, "tests", "fakes")
LABS = os.path.join(SOURCE, "labs")

import yaml  # noqa: E402  (python3-yaml, like the fakes)

sys.path.insert(0, FAKES)
import debpkg  # noqa: E402  (tests/fakes: the .deb format the fake dpkg reads)

# The user's own kubeconfig before any launch: a context meshlab must never touch, written the
# way a person would (comments, flow style), so "byte-identical after delete" means something.
# Its server is a loopback address nothing listens on: were anything to contact it, it would
# stay on this machine (tests only ever use 127.0.0.0/8).
USER_KUBECONFIG = """# my own clusters
apiVersion: v1
kind: Config
current-context: work
clusters:
  - name: work
    cluster: {server: "https://127.255.255.254:1", insecure-skip-tls-verify: true}
contexts:
  - name: work
    context: {cluster: work, user: me, namespace: team}
users:
  - name: me
    user: {token: not-a-real-token}
"""

# Commands that change the world. A relaunch of an up lab must run none of them.
PROVISIONING = {
    "multipass": {"launch", "start", "restart", "stop", "delete", "purge", "transfer", "set", "mount", "exec"},
    "kind": {"create", "delete", "load"},
    "docker": {"run", "start", "stop", "rm", "create", "network", "volume", "exec", "cp"},
    "kubectl": {"apply", "create", "delete", "label", "annotate", "patch", "replace", "scale", "rollout", "exec"},
    "helm": {"install", "upgrade", "uninstall", "rollback", "repo"},
}
# Commands run inside a machine (docker/multipass/kubectl exec) that only read.
READ_ONLY_INNER = {"cat", "ls", "test", "stat", "head", "tail", "grep", "cloud-init", "true", "dpkg-query"}
READ_ONLY_SYSTEMCTL = {"is-active", "is-enabled", "is-failed", "status", "show"}


def lab_names():
    return sorted(f[:-5] for f in os.listdir(LABS) if f.endswith(".yaml"))


def lab_file(name):
    return os.path.join(LABS, name + ".yaml")


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def verb(call):
    """The subcommand of a logged call, skipping global flags (kubectl --kubeconfig K --context C get ...)."""
    argv = call["argv"]
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 1 if "=" in argv[i] else 2
    return argv[i] if i < len(argv) else ""


def inner_command(argv):
    """The command an `exec` runs: after `--` (multipass, kubectl), else after the container name (docker)."""
    if "--" in argv:
        inner = argv[argv.index("--") + 1:]
    else:
        rest = argv[argv.index("exec") + 1:]
        while rest and rest[0].startswith("-"):
            rest = rest[1:]
        inner = rest[1:]
    while inner and inner[0] in ("sudo", "env"):
        inner = inner[1:]
    return inner


def is_provisioning(call):
    tool, v = call["tool"], verb(call)
    if v == "exec":
        inner = inner_command(call["argv"])
        if inner and os.path.basename(inner[0]) == "systemctl":
            words = [w for w in inner[1:] if not w.startswith("-")]
            return not (words and words[0] in READ_ONLY_SYSTEMCTL)
        return not inner or os.path.basename(inner[0]) not in READ_ONLY_INNER or "--wait" in inner
    if tool == "docker" and v == "network":
        return len(call["argv"]) > 1 and call["argv"][call["argv"].index("network") + 1] not in ("inspect", "ls")
    if tool == "kubectl" and v == "rollout":
        return "status" not in call["argv"]
    return v in PROVISIONING.get(tool, set())


# The istio-sidecar package a VM installs (MESHLAB_ISTIO_DEB_URL_BASE=<server>/istio): a small
# Debian archive the fake dpkg reads, for any version and either architecture.
ISTIO_DEB = re.compile(r"^/istio/([^/]+)/deb/istio-sidecar(-arm64)?\.deb$")


def istio_deb(path):
    m = ISTIO_DEB.match(path)
    if not m:
        return None
    arch = "arm64" if m.group(2) else "amd64"
    return debpkg.build("istio-sidecar", m.group(1), arch)


class _Files(http.server.BaseHTTPRequestHandler):
    files = {}
    requests = []  # paths asked for, in order (each Loopback has its own list)

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            body = istio_deb(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Loopback:
    """A threaded HTTP server on 127.0.0.1 serving fixed files."""

    def __init__(self, files):
        self.requests = []
        handler = type("Files", (_Files,), {"files": files, "requests": self.requests})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Result:
    def __init__(self, returncode, stdout, stderr, elapsed, rusage=None):
        self.returncode, self.stdout, self.stderr, self.elapsed, self.rusage = returncode, stdout, stderr, elapsed, rusage

    def __repr__(self):
        return f"exit {self.returncode} after {self.elapsed:.1f}s\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


class Sandbox:
    def __init__(self, meshlab, latency=False, latency_scale=None, extra_env=None):
        self.meshlab = meshlab
        self.tmp = tempfile.mkdtemp(prefix="meshlab-e2e-")
        self.home = os.path.join(self.tmp, "home")
        self.kubeconfig = os.path.join(self.home, ".kube", "config")
        os.makedirs(os.path.dirname(self.kubeconfig))
        with open(self.kubeconfig, "w") as f:
            f.write(USER_KUBECONFIG)
        self.http = Loopback({"/metallb-native.yaml": read(os.path.join(HERE, "data", "metallb-native-min.yaml"), "rb")})
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MESHLAB_") and k not in ("KUBECONFIG", "KIND_CLUSTER_NAME", "TERM", "NO_COLOR")}
        env.update({
            # The fakes start through bin/ (from their cached bytecode, see fakes/fakeboot.py) on
            # the interpreter running this harness: the one the tests were started with, not
            # whatever `python3` comes first on PATH (a version manager's shim there costs each
            # fake call tens of ms before it starts).
            "PATH": os.pathsep.join([os.path.join(FAKES, "bin"), FAKES, os.path.dirname(sys.executable),
                                     os.environ.get("PATH", "")]),
            "MESHLAB_FAKE_STATE": os.path.join(self.tmp, "fakes"),
            "HOME": self.home,
            "XDG_STATE_HOME": os.path.join(self.tmp, "state"),
            "KUBECONFIG": self.kubeconfig,
            "MESHLAB_METALLB_MANIFEST_URL": self.http.url("/metallb-native.yaml"),
            "MESHLAB_ISTIO_DEB_URL_BASE": self.http.url("/istio"),
        })
        if latency:
            env["MESHLAB_FAKE_LATENCY"] = "1"
            if latency_scale is not None:
                env["MESHLAB_FAKE_LATENCY_SCALE"] = str(latency_scale)
        env.update(extra_env or {})
        self.env = env

    def close(self):
        try:
            self.fakectl("reset")  # stops registry stand-ins the fakes started
        finally:
            self.http.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def state_dir(self, lab):
        return os.path.join(self.tmp, "state", "meshlab", lab)

    def prepare(self, lab):
        """What a person's machine would already hold: the Argo CD install manifest in meshlab's
        download cache (there is no internet here), recorded as downloaded from the lab's URL."""
        spec = yaml.safe_load(read(lab_file(lab)))
        argocd = spec.get("argocd") or {}
        if not argocd and not spec.get("apps"):
            return
        version = argocd.get("version", "v3.5.1")
        url = argocd.get("manifest",
                         f"https://raw.githubusercontent.com/argoproj/argo-cd/{version}/manifests/install.yaml")
        body = read(os.path.join(FAKES, "testdata", "argocd-install-min.yaml"), "rb")
        cache = os.path.join(self.state_dir(lab), "cache")
        os.makedirs(cache, exist_ok=True)
        path = os.path.join(cache, f"argocd-{version}-install.yaml")
        with open(path, "wb") as f:
            f.write(body)
        with open(path + ".sha256", "w") as f:
            f.write(f"{hashlib.sha256(body).hexdigest()}  {url}\n")

    # ------------------------------------------------------------------ running meshlab

    def run(self, *args, timeout=300, env=None):
        e = dict(self.env)
        e.update(env or {})
        start = time.monotonic()
        proc = subprocess.Popen([self.meshlab] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=e, cwd=self.tmp, text=True)
        out, err = proc.communicate(timeout=timeout)
        return Result(proc.returncode, out, err, time.monotonic() - start)

    def run_measured(self, *args, timeout=600):
        """Like run, with the child's rusage from wait4 (meshlab plus the tools it waited for)."""
        out_path, err_path = os.path.join(self.tmp, "out.txt"), os.path.join(self.tmp, "err.txt")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            start = time.monotonic()
            proc = subprocess.Popen([self.meshlab] + list(args), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    env=self.env, cwd=self.tmp)
            _, status, rusage = os.wait4(proc.pid, 0)
            elapsed = time.monotonic() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        return Result(proc.returncode, read(out_path), read(err_path), elapsed, rusage)

    def start(self, *args, env=None):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.Popen([self.meshlab] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=e, cwd=self.tmp, text=True)

    # ------------------------------------------------------------------ the fakes' side

    def fakectl(self, *args):
        r = subprocess.run([os.path.join(FAKES, "fakectl")] + list(args), capture_output=True, text=True,
                           env=self.env, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"fakectl {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
        return r.stdout

    def calls(self):
        path = os.path.join(self.env["MESHLAB_FAKE_STATE"], "calls.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def world(self):
        return json.loads(self.fakectl("world"))

    def fake_processes(self):
        """Pids of live processes whose environment names this sandbox's fake state dir."""
        marker = ("MESHLAB_FAKE_STATE=" + self.env["MESHLAB_FAKE_STATE"]).encode() + b"\0"
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                environ = read(f"/proc/{entry}/environ", "rb") + b"\0"
                cmdline = read(f"/proc/{entry}/cmdline", "rb")
            except OSError:
                continue
            if marker in environ and b"regserver" not in cmdline:
                pids.append(int(entry))
        return pids


def interrupt(proc):
    proc.send_signal(signal.SIGINT)

#!/usr/bin/env python3
"""End to end: `meshlab launch`, `launch` again and `delete` on every lab in labs/, against the
fake multipass/kind/docker/kubectl/helm of tests/fakes, plus faults injected through fakectl.

Run: python3 tests/e2e/test_launch.py BUILD/cli/meshlab [-v] [TestClass[.test_name]]
(ctest: e2e-<lab> and e2e-faults). Each test gets its own Sandbox (see harness.py).
"""

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import harness  # noqa: E402
from harness import is_provisioning, lab_file, read, verb  # noqa: E402

import yaml  # noqa: E402

MESHLAB = None  # set from argv in main

# Holds an flock on argv[1] with its pid written in, as a running meshlab would.
HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"{os.getpid()}\\n".encode())
print("locked", flush=True)
time.sleep(600)
"""


def option(argv, name):
    """The value after `name` in argv (None when absent)."""
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def context_of(call):
    return option(call["argv"], "--context")


class Lab:
    """What a test needs to know about a lab file, read independently of meshlab."""

    def __init__(self, name):
        self.name = name
        self.spec = yaml.safe_load(read(lab_file(name)))
        prefix = self.spec.get("prefix", name)
        self.instance = (lambda n: f"{prefix}-{n}") if prefix else (lambda n: n)
        self.clusters = self.spec.get("clusters") or {}
        self.vms = self.spec.get("vms") or {}

    def provider(self, cluster):
        return self.clusters[cluster].get("provider", "multipass")

    def of(self, provider):
        return [c for c in self.clusters if self.provider(c) == provider]

    def workload(self):
        return [c for c in self.clusters if self.clusters[c].get("cell")]

    def argocd_cluster(self):
        named = (self.spec.get("argocd") or {}).get("cluster")
        if named:
            return named
        managers = [c for c in self.clusters if self.clusters[c].get("role") == "management"]
        return managers[0] if managers else None

    def has_argocd(self):
        return bool(self.spec.get("argocd") or self.spec.get("apps"))

    def registries(self):
        """Upstream hosts of the lab's registry caches (docs/lab-file.md: three by default)."""
        if "registries" in self.spec:
            return sorted(self.spec["registries"] or {})
        return ["docker.io", "ghcr.io", "quay.io"]

    def registry_containers(self):
        return sorted(self.instance("registry-" + host.replace(".", "-")) for host in self.registries())

    def multipass_machines(self):
        return [self.instance(c) for c in self.of("multipass")] + [self.instance(v) for v in self.vms]


class E2ETestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.sandbox = harness.Sandbox(MESHLAB)

    def tearDown(self):
        self.sandbox.close()

    def meshlab(self, *args, expect=0, **kw):
        result = self.sandbox.run(*args, **kw)
        if expect is not None:
            self.assertEqual(result.returncode, expect, f"meshlab {' '.join(args)}: {result!r}")
        return result

    def launch(self, lab, *args, expect=0, **kw):
        return self.meshlab("launch", "-f", lab_file(lab), *args, expect=expect, **kw)

    def report(self, lab):
        return json.loads(read(os.path.join(self.sandbox.state_dir(lab), "report.json")))

    def user_contexts(self):
        config = yaml.safe_load(read(self.sandbox.kubeconfig)) or {}
        return [c["name"] for c in config.get("contexts") or []]

    def assert_world_empty(self, lab, registries_kept):
        world = self.sandbox.world()
        self.assertEqual(world["multipass_instances"], {})
        self.assertEqual(world["kind_clusters"], [])
        self.assertEqual(world["api_clusters"], [])
        self.assertEqual(world["helm_releases"], [])
        self.assertEqual(sorted(world["containers"]), lab.registry_containers() if registries_kept else [])
        if not registries_kept:
            self.assertEqual(world["volumes"], [])


class LabLifecycle(E2ETestCase):
    """launch → launch again → delete → delete --registries, for one lab (subclassed per lab)."""

    LAB = None

    def test_launch_relaunch_delete(self):
        if self.LAB is None:
            self.skipTest("the base class has no lab")
        lab = Lab(self.LAB)
        self.sandbox.prepare(lab.name)
        kubeconfig_before = read(self.sandbox.kubeconfig, "rb")

        first = self.launch(lab.name)
        calls = self.sandbox.calls()
        self.check_machines(lab, calls)
        self.check_kubeconfig(lab)
        self.check_bringup(lab, calls)
        self.check_vms(lab, calls)
        self.assertIn(f'lab "{lab.name}" is up', first.stderr)
        report = self.report(lab.name)
        self.assertTrue(report["ok"])

        second = self.launch(lab.name, "--output", "json")
        self.assertEqual(json.loads(second.stdout), self.report(lab.name), "--output json prints report.json")
        again = self.sandbox.calls()[len(calls):]
        changes = [" ".join([c["tool"]] + c["argv"]) for c in again if is_provisioning(c)]
        self.assertEqual(changes, [], "a relaunch of an up lab changed the world")
        relaunch = self.report(lab.name)
        self.assertEqual(relaunch["totals"].get("skipped_done"), relaunch["totals"]["steps"], relaunch["totals"])
        if lab.vms and lab.has_argocd():
            self.assertEqual(self.package_downloads(), 1, "a relaunch downloads nothing")
        self.assertLess(second.elapsed, max(10.0, first.elapsed / 2), f"first {first.elapsed:.1f}s")

        self.meshlab("delete", "-f", lab_file(lab.name))
        self.assert_world_empty(lab, registries_kept=True)
        self.assertEqual(read(self.sandbox.kubeconfig, "rb"), kubeconfig_before)
        state = self.sandbox.state_dir(lab.name)
        self.assertEqual(sorted(os.listdir(state)), ["ca"])  # the CA stays for the next launch

        self.meshlab("delete", "-f", lab_file(lab.name), "--registries")
        self.assert_world_empty(lab, registries_kept=False)
        self.assertEqual(read(self.sandbox.kubeconfig, "rb"), kubeconfig_before)

    def test_dry_run_touches_nothing(self):
        if self.LAB is None:
            self.skipTest("the base class has no lab")
        lab = Lab(self.LAB)
        before = read(self.sandbox.kubeconfig, "rb")
        text = self.meshlab("plan", "-f", lab_file(lab.name))
        as_json = self.meshlab("launch", "--dry-run", "--output", "json", "-f", lab_file(lab.name))
        plan = json.loads(as_json.stdout)
        ids = [step["id"] for step in plan["steps"]]
        for cluster in lab.clusters:
            self.assertIn(f"cluster/{cluster}/create", ids)
            self.assertIn(f"cluster/{cluster}/create: ", text.stdout)
        self.assertIn("kubeconfig/merge", ids)
        commands = [c for step in plan["steps"] for c in step["commands"]]
        for step in plan["steps"]:
            if step["id"].endswith("/create") and step["id"].startswith("cluster/"):
                self.assertTrue(step["commands"], f"{step['id']} shows its commands")
        for cluster in lab.of("kind"):
            self.assertIn(f"kind create cluster --name {lab.instance(cluster)} ", "\n".join(commands))
        state = self.sandbox.state_dir(lab.name)
        self.assertFalse(os.path.exists(state), "a dry run writes no state")
        self.assertTrue(all("/meshlab-plan-" not in c for c in commands), "commands show the real paths")
        self.assertEqual(self.sandbox.calls(), [], "a dry run runs no tool")
        self.assertEqual(read(self.sandbox.kubeconfig, "rb"), before)

    def check_machines(self, lab, calls):
        launches = [c for c in calls if c["tool"] == "multipass" and verb(c) == "launch"]
        self.assertEqual(sorted(option(c["argv"], "--name") for c in launches), sorted(lab.multipass_machines()))
        index = json.loads(read(os.path.join(self.sandbox.state_dir(lab.name), "index.json")))
        files = index["files"] if isinstance(index, dict) else index
        for call in launches:
            self.assertEqual(option(call["argv"], "--cloud-init"), "-")  # user-data through stdin
            name = option(call["argv"], "--name")
            owner = next(n for n in list(lab.clusters) + list(lab.vms) if lab.instance(n) == name)
            rendered = [f for f in files if f.get("kind") == "cloud-init" and f.get("cluster") == owner]
            self.assertEqual(len(rendered), 1, f"rendered cloud-init of {owner}")
            body = read(os.path.join(self.sandbox.state_dir(lab.name), rendered[0]["path"]), "rb")
            self.assertEqual(call.get("stdin_sha256"), hashlib.sha256(body).hexdigest(), name)
        creates = [c for c in calls if c["tool"] == "kind" and verb(c) == "create"]
        self.assertEqual(sorted(option(c["argv"], "--name") for c in creates),
                         sorted(lab.instance(c) for c in lab.of("kind")))

    def check_kubeconfig(self, lab):
        contexts = self.user_contexts()
        self.assertIn("work", contexts)
        for cluster in lab.clusters:
            self.assertIn(lab.instance(cluster), contexts)
        config = yaml.safe_load(read(self.sandbox.kubeconfig))
        self.assertEqual(config.get("current-context"), "work")  # the user's choice stays

    def applies(self, calls, context, needle):
        return [c for c in calls if c["tool"] == "kubectl" and verb(c) == "apply" and context_of(c) == context
                and needle in c.get("stdin", "")]

    def check_bringup(self, lab, calls):
        """cacerts on every workload cluster; each registered with Argo CD; apps applied last."""
        cacerts = {}
        for cluster in lab.workload():
            found = self.applies(calls, lab.instance(cluster), "cacerts")
            self.assertTrue(found, f"no cacerts applied on {cluster}")
            cacerts[cluster] = found[0]
            created = [c for c in calls if (c["tool"], verb(c)) in (("multipass", "launch"), ("kind", "create"))
                       and option(c["argv"], "--name") == lab.instance(cluster)]
            self.assertLessEqual(created[0]["end"], found[0]["start"], f"cacerts before {cluster} existed")
        if not lab.has_argocd():
            return
        host = lab.instance(lab.argocd_cluster())
        registered = {}
        for cluster in lab.workload():
            found = [c for c in self.applies(calls, host, "argocd.argoproj.io/secret-type")
                     if lab.instance(cluster) in c.get("stdin", "")]
            self.assertTrue(found, f"{cluster} not registered with Argo CD on {host}")
            registered[cluster] = found[0]
        apps = self.applies(calls, host, "kind: Application")
        self.assertTrue(apps, f"no Argo CD applications applied on {host}")
        first_app = min(c["start"] for c in apps)
        for cluster in lab.workload():
            self.assertLessEqual(registered[cluster]["end"], first_app, f"apps before {cluster} was registered")
            self.assertLessEqual(cacerts[cluster]["end"], first_app, f"apps before {cluster} had its cacerts")
        self.check_sync_waves(lab, apps)
        self.check_ingress(lab, calls)

    def deployed(self):
        """Application name → when the fake Argo CD first synced it (fakes/argoapps.py, apply_effects)."""
        found = {}

        def walk(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "argocd_deployed" and isinstance(value, dict):
                        found.update({name: entry["time"] for name, entry in value.items()})
                    else:
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(json.loads(self.sandbox.fakectl("state")))
        return found

    def check_sync_waves(self, lab, apps):
        """Argo CD orders sync waves only within one sync, so meshlab applies each wave of Applications
        only once every Application of the waves before it is synced: base, cni, istiod, gateways, apps."""
        applied = {}  # Application name → (wave, start of the apply that carried it)
        for call in apps:
            for doc in yaml.safe_load_all(call.get("stdin", "")):
                if isinstance(doc, dict) and doc.get("kind") == "Application":
                    wave = int((doc["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-wave", "0"))
                    applied.setdefault(doc["metadata"]["name"], (wave, call["start"]))
        deployed = self.deployed()
        waves = sorted({wave for wave, _ in applied.values()})
        if lab.workload():
            self.assertGreater(len(waves), 1, "the Istio charts come in more than one sync wave")
        for name, (wave, start) in applied.items():
            for earlier, (earlier_wave, _) in applied.items():
                if earlier_wave < wave:
                    self.assertIn(earlier, deployed, f"{earlier} never synced")
                    self.assertLessEqual(deployed[earlier], start,
                                         f"{name} (wave {wave}) applied before {earlier} (wave {earlier_wave}) synced")

    def check_ingress(self, lab, calls):
        """Each TLS host of an app, on every cluster of the app once it synced: its kubernetes.io/tls
        secret <host with dashes>-tls in istio-system and its Gateway; the key never in meshlab's logs."""
        state = self.sandbox.state_dir(lab.name)
        logs = ""
        for root, _, files in os.walk(os.path.join(state, "logs")):
            logs += "".join(read(os.path.join(root, f)) for f in files)
        deployed = self.deployed()
        for app_name, app in (lab.spec.get("apps") or {}).items():
            targets = app.get("targets", "all")
            clusters = [c for c in lab.workload() if targets == "all"
                        or (isinstance(targets, dict) and lab.clusters[c].get("cell") == targets.get("cell"))
                        or (isinstance(targets, list) and c in targets)]
            for cluster in clusters:
                context = lab.instance(cluster)
                for host in app.get("hosts") or []:
                    name = host.replace(".", "-")
                    secrets = [c for c in self.applies(calls, context, "kubernetes.io/tls")
                               if f'"{name}-tls"' in c["stdin"] and '"istio-system"' in c["stdin"]]
                    self.assertTrue(secrets, f"no TLS secret for {host} on {cluster}")
                    gateways = self.applies(calls, context, f"name: \"{name}\"")
                    self.assertTrue(gateways, f"no Gateway for {host} on {cluster}")
                    synced = deployed.get(f"{cluster}-{app_name}")
                    self.assertIsNotNone(synced, f"{cluster}-{app_name} never synced")
                    self.assertLessEqual(synced, gateways[0]["start"], f"Gateway for {host} before its app synced")
                    key = read(os.path.join(state, "ca", cluster, "ingress", host, "tls.key"), "rb")
                    self.assertNotIn(base64.b64encode(key).decode(), logs, f"the key of {host} is in a log")



    def package_downloads(self):
        return len([p for p in self.sandbox.http.requests if "/deb/istio-sidecar" in p])

    def check_vms(self, lab, calls):
        """Each VM got the sidecar's files where the istio.io guide puts them, the package of the
        lab's Istio version once (downloaded once), the service started, and istiod registered it."""
        if not lab.vms or not lab.has_argocd():
            return
        version = (lab.spec.get("istio") or {}).get("version", "1.30.3")
        instances = json.loads(self.sandbox.fakectl("state", "multipass"))["instances"]
        self.assertEqual(self.package_downloads(), 1, "one download for every amd64 VM")
        for vm, spec in lab.vms.items():
            name = lab.instance(vm)
            inst = instances[name]
            files = inst["files"]
            for path in ("/etc/certs/root-cert.pem", "/var/run/secrets/tokens/istio-token",
                         "/var/lib/istio/envoy/cluster.env", "/etc/istio/config/mesh"):
                self.assertIn(path, files, f"{path} in {name}")
            rendered = os.path.join(self.sandbox.state_dir(lab.name), "vms", vm, "bootstrap", "cluster.env")
            self.assertEqual(base64.b64decode(files["/var/lib/istio/envoy/cluster.env"]["b64"]), read(rendered, "rb"))
            hosts = base64.b64decode(files["/etc/hosts"]["b64"]).decode()
            self.assertEqual(len([line for line in hosts.splitlines() if "istiod" in line]), 1, hosts)
            self.assertEqual(inst["services"].get("istio"), "active")
            self.assertEqual(inst["package_versions"].get("istio-sidecar"), version)
            installs = [c for c in calls if c["tool"] == "multipass" and verb(c) == "exec" and name in c["argv"]
                        and "dpkg" in c["argv"] and "-i" in c["argv"]]
            self.assertEqual(len(installs), 1, f"istio-sidecar installed once on {name}")
            token = base64.b64decode(files["/var/run/secrets/tokens/istio-token"]["b64"]).decode().strip()
            self.assertTrue(token)
            self.assertFalse([c for c in calls if token in " ".join(c["argv"])], "the token is never in argv")
            self.assertNotIn("/tmp/meshlab-istio/istio-token", files, "the staged token is removed")
            agent = inst.get("istio_agent") or {}
            self.assertIn("workload_entry", agent, agent)
            entries = [json.loads(line) for line in
                       self.sandbox.fakectl("objects", agent["connected"], "--kind", "WorkloadEntry", "--json").split("\n")
                       if line.strip()]
            mine = [e for e in entries if e["metadata"]["name"] == agent["workload_entry"]]
            self.assertEqual(len(mine), 1, entries)
            entry = mine[0]
            self.assertEqual(entry["spec"]["address"], inst["ipv4"][0])
            self.assertEqual(entry["spec"].get("locality"), spec.get("locality"))
            self.assertEqual(entry["metadata"]["labels"].get("meshlab.dev/vm"), vm)
            services = self.sandbox.fakectl("objects", agent["connected"], "--kind", "Service")
            for service in spec.get("services") or []:
                self.assertIn(f"/{spec.get('namespace', 'default')}/{vm}-{service['name']}", services)


def lifecycle_class(lab):
    name = "Lab_" + re.sub(r"[^A-Za-z0-9]", "_", lab)
    return type(name, (LabLifecycle,), {"LAB": lab})


for _lab in harness.lab_names():
    globals()[lifecycle_class(_lab).__name__] = lifecycle_class(_lab)


class Faults(E2ETestCase):
    """What goes wrong, on a kind lab (ci-smoke) and a multipass lab (multi-primary)."""

    def test_user_kubeconfig_that_is_not_yaml_is_refused_untouched(self):
        broken = b"apiVersion: v1\nclusters: [\n  - {name: x\n"
        with open(self.sandbox.kubeconfig, "wb") as f:
            f.write(broken)
        result = self.launch("ci-smoke", expect=1)
        self.assertRegex(result.stderr, r"meshlab: error: .*/\.kube/config: not a valid kubeconfig: ")
        self.assertEqual(read(self.sandbox.kubeconfig, "rb"), broken)
        self.assertEqual(self.sandbox.calls(), [], "nothing may run with a broken kubeconfig")

    def test_lab_locked_by_another_process_is_refused_at_once(self):
        lock = os.path.join(self.sandbox.state_dir("ci-smoke"), "lock")
        os.makedirs(os.path.dirname(lock))
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, lock], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(holder.stdout.readline().strip(), "locked")
            for command in ("launch", "delete"):
                result = self.meshlab(command, "-f", lab_file("ci-smoke"), expect=1, timeout=30)
                self.assertEqual(result.stderr.strip().splitlines()[-1],
                                 f'meshlab: error: lab "ci-smoke" is busy: meshlab (pid {holder.pid}) holds {lock}')
                self.assertLess(result.elapsed, 5)
            self.assertEqual(self.sandbox.calls(), [])
        finally:
            holder.kill()
            holder.communicate()

    def test_second_concurrent_launch_is_refused_by_the_lock(self):
        self.sandbox.prepare("ci-smoke")
        slow = dict(MESHLAB_FAKE_LATENCY="1", MESHLAB_FAKE_LATENCY_SCALE="0.05")
        first = self.sandbox.start("launch", "-f", lab_file("ci-smoke"), env=slow)
        lock = os.path.join(self.sandbox.state_dir("ci-smoke"), "lock")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (os.path.exists(lock) and read(lock).strip()):
            time.sleep(0.05)
        second = self.launch("ci-smoke", expect=1, timeout=30)
        self.assertEqual(second.stderr.strip().splitlines()[-1],
                         f'meshlab: error: lab "ci-smoke" is busy: meshlab (pid {first.pid}) holds {lock}')
        self.assertLess(second.elapsed, 5)
        deleting = self.meshlab("delete", "-f", lab_file("ci-smoke"), expect=1, timeout=30)
        self.assertIn('is busy: meshlab (pid', deleting.stderr)
        out, err = first.communicate(timeout=600)
        self.assertEqual(first.returncode, 0, err)

    def test_failing_vm_launch_others_finish_and_rerun_completes(self):
        lab = Lab("multi-primary")
        self.sandbox.prepare(lab.name)
        victim = lab.instance("kube-02")
        self.sandbox.fakectl("fail", "multipass", "launch", "--match", victim, "--times", "1", "--exit", "2",
                             "--stderr", "launch failed: Remote \"\" is unknown or unreachable.")
        result = self.launch(lab.name, expect=1)
        step = "cluster/kube-02/create"
        self.assertIn(f" ✗ step {step} failed: multipass exited with status 2", result.stderr)
        self.assertIn('launch failed: Remote "" is unknown or unreachable.', result.stderr)
        log = os.path.join(self.sandbox.state_dir(lab.name), "logs", "cluster", "kube-02", "create.log")
        self.assertIn(f"  full log: {log}", result.stderr)
        self.assertTrue(os.path.exists(log))
        self.assertIn(f'meshlab: error: launch of lab "{lab.name}" did not finish: 1 step failed', result.stderr)
        world = self.sandbox.world()["multipass_instances"]
        for other in lab.multipass_machines():
            if other != victim:
                self.assertIn(other, world, "independent machines finish")
        before = len(self.sandbox.calls())
        self.launch(lab.name)
        launched = [option(c["argv"], "--name") for c in self.sandbox.calls()[before:]
                    if c["tool"] == "multipass" and verb(c) == "launch"]
        self.assertEqual(launched, [victim], "the re-run launches only what is missing")

    def test_hanging_command_hits_the_step_time_limit(self):
        self.sandbox.prepare("ci-smoke")
        self.sandbox.fakectl("hang", "kubectl", "apply", "--seconds", "120", "--times", "1")
        result = self.launch("ci-smoke", expect=1, env={"MESHLAB_STEP_TIMEOUT": "4"}, timeout=120)
        self.assertLess(result.elapsed, 60)
        self.assertRegex(result.stderr, r" ✗ step \S+ failed: kubectl timed out after \d+s")
        hung = [c for c in self.sandbox.calls() if c["tool"] == "kubectl" and c.get("signal")]
        self.assertTrue(hung, "the hanging kubectl was stopped")
        self.assertEqual(self.sandbox.fake_processes(), [])
        self.launch("ci-smoke", timeout=300)

    def test_interrupt_stops_children_saves_journal_and_rerun_completes(self):
        self.sandbox.prepare("ci-smoke")
        slow = dict(MESHLAB_FAKE_LATENCY="1", MESHLAB_FAKE_LATENCY_SCALE="0.05")
        proc = self.sandbox.start("launch", "-f", lab_file("ci-smoke"), env=slow)
        journal = os.path.join(self.sandbox.state_dir("ci-smoke"), "journal.json")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not os.path.exists(journal):  # a step finished
            time.sleep(0.05)
        self.assertTrue(os.path.exists(journal), "no step finished within a minute")
        time.sleep(0.3)  # into the next steps' commands
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(err.strip().splitlines()[-1], 'meshlab: interrupted; run "meshlab launch" again to resume')
        self.assertEqual(self.sandbox.fake_processes(), [], "children of an interrupted launch are gone")
        done = json.loads(read(journal))["steps"]
        self.assertTrue(done)
        report = self.report("ci-smoke")
        self.assertTrue(report["interrupted"])
        self.assertFalse(report["ok"])
        before = len(self.sandbox.calls())
        self.launch("ci-smoke")
        rerun = self.sandbox.calls()[before:]
        creates = [option(c["argv"], "--name") for c in rerun if c["tool"] == "kind" and verb(c) == "create"]
        self.assertLessEqual(len(creates), 2)

    def test_changed_lab_reruns_only_what_changed(self):
        self.sandbox.prepare("ci-smoke")
        changed_lab = os.path.join(self.sandbox.tmp, "ci-smoke.yaml")
        original = read(lab_file("ci-smoke"))
        with open(changed_lab, "w") as f:
            f.write(original)
        self.meshlab("launch", "-f", changed_lab)
        self.assertIn('revision: "1.30.3"', original)
        with open(changed_lab, "w") as f:
            f.write(original.replace('revision: "1.30.3"', 'revision: "1.30.2"'))
        before = len(self.sandbox.calls())
        self.meshlab("launch", "-f", changed_lab)
        report = self.report("ci-smoke")
        ran = sorted(step["id"] for step in report["steps"] if step["status"] == "done")
        self.assertEqual(ran, ["apps/sync", "argocd/apps"], "only the apps' steps depend on an app's revision")
        changes = [c for c in self.sandbox.calls()[before:] if is_provisioning(c)]
        self.assertTrue(changes)
        # The Applications applied again, and Argo CD asked to refresh them (apps.cpp: request_refresh).
        applied = lambda c: "kind: Application" in c.get("stdin", "")
        refreshed = lambda c: verb(c) == "annotate" and "argocd.argoproj.io/refresh=hard" in c["argv"]
        self.assertTrue(all(c["tool"] == "kubectl" and (applied(c) or refreshed(c)) for c in changes),
                        [" ".join(c["argv"]) for c in changes])
        self.assertTrue(any(refreshed(c) for c in changes))

    def tool(self, *argv):
        """A fake tool run the way a person would, behind meshlab's back."""
        r = subprocess.run([os.path.join(harness.FAKES, argv[0])] + list(argv[1:]), capture_output=True, text=True,
                           env=self.sandbox.env, timeout=120)
        self.assertEqual(r.returncode, 0, f"{' '.join(argv)}: {r.stdout}{r.stderr}")
        return r.stdout

    def test_relaunch_redoes_exactly_what_is_gone(self):
        """The resume checks share one look at the world per run; whatever was removed since the last
        launch is still noticed, and only its step (and what depends on what it learned) runs again."""
        lab = Lab("multi-primary")
        self.sandbox.prepare(lab.name)
        self.launch(lab.name)
        kubeconfig = lambda cluster: os.path.join(self.sandbox.state_dir(lab.name), "kubeconfigs", cluster + ".yaml")
        kubectl = lambda cluster, *args: self.tool("kubectl", "--kubeconfig", kubeconfig(cluster), "--context",
                                                   lab.instance(cluster), *args)
        registry = lab.instance("registry-quay-io")
        vm = lab.instance("virt-01")
        cases = [
            # (what goes, how, the steps that run again, what every provisioning call names)
            ("a Secret", lambda: kubectl("kube-02", "delete", "secret", "cacerts", "-n", "istio-system"),
             ["cluster/kube-02/cacerts"], "--context kube-02 apply"),
            ("an object of a CRD", lambda: kubectl("kube-01", "delete", "gateway.networking.istio.io",
                                                   "cross-network-gateway", "-n", "istio-system"),
             ["istio/kube-01/resources"], "--context kube-01 apply"),
            ("a registry container", lambda: self.tool("docker", "rm", "-f", registry),
             ["registry/quay.io"], registry),
            # A new instance has a new address: the join, which learned the old one, runs again too.
            ("a VM", lambda: self.tool("multipass", "delete", "--purge", vm),
             ["vm/virt-01/create", "vm/virt-01/join"], (vm, "--context kube-01 create token")),
        ]
        for what, remove, rerun, target in cases:
            with self.subTest(what):
                remove()
                before = len(self.sandbox.calls())
                self.launch(lab.name)
                report = self.report(lab.name)
                ran = sorted(step["id"] for step in report["steps"] if step["status"] == "done")
                self.assertEqual(ran, rerun)
                self.assertEqual(report["totals"].get("skipped_done"), report["totals"]["steps"] - len(rerun))
                changes = [" ".join([c["tool"]] + c["argv"]) for c in self.sandbox.calls()[before:] if is_provisioning(c)]
                self.assertTrue(changes)
                targets = target if isinstance(target, tuple) else (target,)
                self.assertEqual([c for c in changes if not any(t in c for t in targets)], [])
        self.assertEqual(sorted(self.sandbox.world()["multipass_instances"]), sorted(lab.multipass_machines()))

    def test_relaunch_after_a_cluster_was_recreated_redeploys_onto_it(self):
        """A workload cluster deleted behind meshlab's back comes back empty. Argo CD still shows
        its apps Synced and Healthy from before (their status is about the old cluster), so the
        relaunch must re-register the new cluster and wait for a fresh sync, not trust that status:
        Istio and the app end up on the new cluster, and the steps after them succeed."""
        lab = Lab("ci-smoke")
        self.sandbox.prepare(lab.name)
        self.launch(lab.name)
        self.tool("kind", "delete", "cluster", "--name", lab.instance("two"))
        self.launch(lab.name)
        report = self.report(lab.name)
        ran = {step["id"] for step in report["steps"] if step["status"] == "done"}
        self.assertTrue({"cluster/two/create", "argocd/register/two", "argocd/apps", "apps/sync"} <= ran, sorted(ran))
        self.assertNotIn("cluster/one/create", ran)
        kubeconfig = os.path.join(self.sandbox.state_dir(lab.name), "kubeconfigs", "two.yaml")
        names = lambda *args: self.tool("kubectl", "--kubeconfig", kubeconfig, "--context", lab.instance("two"), "get",
                                        *args, "-o", "name").split()
        self.assertIn("deployment.apps/istiod-1-30-3", names("deployments", "-n", "istio-system"))
        self.assertIn("namespace/httpbin", names("namespaces"))
        self.assertIn("secret/cacerts", names("secrets", "-n", "istio-system"))
        # Resumed again, the lab is up: nothing is provisioned.
        before = len(self.sandbox.calls())
        self.launch(lab.name)
        self.assertEqual([" ".join(c["argv"]) for c in self.sandbox.calls()[before:] if is_provisioning(c)], [])

    def test_corrupt_tool_output_is_a_clear_error(self):
        self.sandbox.prepare("ci-smoke")
        self.sandbox.fakectl("corrupt", "kind", "get", "clusters", "--times", "1")
        result = self.launch("ci-smoke", expect=1)
        self.assertNotIn("terminate called", result.stderr)
        self.assertNotIn("what():", result.stderr)
        failed = [line for line in result.stderr.splitlines() if line.startswith(" ✗ step ")]
        self.assertTrue(failed, result.stderr)
        self.assertIn('meshlab: error: launch of lab "ci-smoke" did not finish', result.stderr)
        self.launch("ci-smoke")


def main():
    global MESHLAB
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: test_launch.py BUILD/cli/meshlab [unittest arguments]")
    MESHLAB = os.path.realpath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:])


if __name__ == "__main__":
    main()

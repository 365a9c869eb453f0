#!/usr/bin/env python3
"""Tests of meshlab's fake tools (tests/fakes/*) against the contracts they imitate.

Run: python3 tests/fakes/test_fakes.py [-v] [TestClass.test_name]   (ctest: `fakes`)
Each test gets a fresh state dir and HOME; the fakes are first on PATH.
"""

import base64
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.realpath(__file__))
sys.dont_write_bytecode = True  # nothing may write into the source tree
sys.path.insert(0, HERE)

import yaml  # noqa: E402  (python3-yaml, like the fakes)

import debpkg  # noqa: E402

REAL_KUBECTL = "/usr/bin/kubectl"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_yaml(path):
    return yaml.safe_load(read(path))

CLOUD_INIT_K3S = """#cloud-config
package_update: true
packages:
  - curl
write_files:
  - path: /etc/rancher/k3s/config.yaml
    permissions: "0600"
    content: |
      cluster-cidr: 10.52.0.0/16
      disable:
        - traefik
      node-label:
        - topology.kubernetes.io/region=milky-way
        - topology.kubernetes.io/zone=solar-system
        - topology.istio.io/subzone=kube-01
  - path: /etc/meshlab/locality
    content: "milky-way/solar-system/kube-01\\n"
runcmd:
  - curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.30.2+k3s2 sh -
"""

KIND_CONFIG = """kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: {name}
nodes:
  - role: control-plane
  - role: worker
    labels:
      topology.kubernetes.io/region: east
      topology.kubernetes.io/zone: zone1
  - role: worker
    labels:
      topology.kubernetes.io/region: east
      topology.kubernetes.io/zone: zone2
"""


REFRESH = "argocd.argoproj.io/refresh"


class FakeTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="meshlab-fakes-")
        self.state = os.path.join(self.tmp, "state")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ)
        self.env.update({"MESHLAB_FAKE_STATE": self.state, "HOME": self.home,
                         "PATH": HERE + os.pathsep + os.environ.get("PATH", ""),
                         "MESHLAB_FAKE_REGISTRY_HTTP": "0"})
        for k in ("KUBECONFIG", "MESHLAB_FAKE_LATENCY", "KIND_CLUSTER_NAME", "MESHLAB_FAKE_APP_SYNC_READS"):
            self.env.pop(k, None)

    def tearDown(self):
        self.run_tool("fakectl", "reset")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_tool(self, tool, *args, input=None, env=None, timeout=120):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run([os.path.join(HERE, tool)] + list(args), input=input, capture_output=True,
                              text=True, env=e, timeout=timeout, cwd=self.tmp)

    def ok(self, tool, *args, **kw):
        r = self.run_tool(tool, *args, **kw)
        self.assertEqual(r.returncode, 0, f"{tool} {args} failed:\n{r.stdout}\n{r.stderr}")
        return r

    def calls(self, tool=None):
        out = self.ok("fakectl", "calls", *(["--tool", tool] if tool else [])).stdout
        return [json.loads(l) for l in out.splitlines()]

    def state_of(self, domain):
        return json.loads(self.ok("fakectl", "state", domain).stdout)

    def kind_cluster(self, name="east", kubeconfig=None):
        args = ["create", "cluster", "--name", name, "--config", "-"]
        if kubeconfig:
            args += ["--kubeconfig", kubeconfig]
        return self.ok("kind", *args, input=KIND_CONFIG.format(name=name))

    def k3s_vm(self, name="kube-01"):
        self.ok("multipass", "launch", "--name", name, "--cpus", "2", "--memory", "4G", "--disk", "10G",
                "--cloud-init", "-", "24.04", input=CLOUD_INIT_K3S)
        raw = self.ok("multipass", "exec", name, "--", "sudo", "cat", "/etc/rancher/k3s/k3s.yaml").stdout
        info = json.loads(self.ok("multipass", "info", name, "--format", "json").stdout)
        ip = info["info"][name]["ipv4"][0]
        cfg = yaml.safe_load(raw)
        cfg["clusters"][0]["cluster"]["server"] = f"https://{ip}:6443"
        for section in ("clusters", "users", "contexts"):
            cfg[section][0]["name"] = name
        cfg["contexts"][0]["context"] = {"cluster": name, "user": name}
        cfg["current-context"] = name
        path = os.path.join(self.tmp, f"{name}.kubeconfig")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f)
        return path, ip


# ---------------------------------------------------------------------------------------------

class TestSetup(FakeTestCase):
    def test_state_dir_is_required(self):
        for tool in ("multipass", "kind", "kubectl", "helm", "docker"):
            r = self.run_tool(tool, "version", env={"MESHLAB_FAKE_STATE": ""})
            self.assertEqual(r.returncode, 97, tool)
            self.assertIn("MESHLAB_FAKE_STATE is not set", r.stderr)

    def test_bin_starts_the_same_fakes_with_bytecode_kept_in_the_state_dir(self):
        cases = (("kubectl", ["version", "--client"]), ("kind", ["get", "clusters"]), ("docker", ["ps", "-a"]),
                 ("multipass", ["list"]), ("helm", ["version"]), ("kind", ["get", "nodes", "--name", "nope"]),
                 ("docker", ["bogus"]))
        for tool, args in cases:
            direct = self.run_tool(tool, *args)
            started = self.run_tool(os.path.join("bin", tool), *args)
            self.assertEqual((started.returncode, started.stdout, started.stderr),
                             (direct.returncode, direct.stdout, direct.stderr), f"{tool} {args}")
        self.assertEqual([c["tool"] for c in self.calls()], [tool for tool, _ in cases for _ in (1, 2)])
        cached = [f for _, _, files in os.walk(os.path.join(self.state, "pycache")) for f in files]
        for script in ("kubectl", "fakelib."):  # the tool's own script, and a module it imports
            self.assertTrue([f for f in cached if f.startswith(script) and f.endswith(".pyc")], script)
        for _, dirs, files in os.walk(HERE):
            self.assertEqual([d for d in dirs if d == "__pycache__"], [])
            self.assertEqual([f for f in files if f.endswith(".pyc")], [])
        r = self.run_tool(os.path.join("bin", "kubectl"), "version", env={"MESHLAB_FAKE_STATE": ""})
        self.assertEqual(r.returncode, 97)

    def test_every_call_is_logged_with_stdin(self):
        self.ok("multipass", "version")
        self.run_tool("kind", "get", "clusters")
        self.run_tool("multipass", "launch", "--name", "a", "--cloud-init", "-", input="#cloud-config\n{}\n")
        calls = self.calls()
        self.assertEqual([c["tool"] for c in calls], ["multipass", "kind", "multipass"])
        self.assertEqual(calls[0]["argv"], ["version"])
        self.assertEqual(calls[2]["stdin"], "#cloud-config\n{}\n")
        self.assertEqual(len(calls[2]["stdin_sha256"]), 64)
        for c in calls:
            self.assertEqual(set(c) >= {"tool", "argv", "cwd", "exit", "time"}, True)
        self.assertEqual(len(self.calls("kind")), 1)


class TestMultipass(FakeTestCase):
    def test_launch_list_info_shapes(self):
        r = self.ok("multipass", "launch", "--name", "kube-01", "-c", "2", "-m", "4G", "-d", "10G",
                    "--cloud-init", "-", input=CLOUD_INIT_K3S)
        self.assertEqual(r.stdout.strip().splitlines()[-1], "Launched: kube-01")
        lst = json.loads(self.ok("multipass", "list", "--format", "json").stdout)
        self.assertEqual(list(lst), ["list"])
        e = lst["list"][0]
        self.assertEqual(sorted(e), ["ipv4", "name", "release", "state"])
        self.assertEqual((e["name"], e["state"], e["release"]), ("kube-01", "Running", "Ubuntu 24.04 LTS"))
        self.assertIn(ipaddress.ip_address(e["ipv4"][0]), ipaddress.ip_network("127.0.10.0/24"))
        info = json.loads(self.ok("multipass", "info", "kube-01", "--format", "json").stdout)
        self.assertEqual(info["errors"], [])
        i = info["info"]["kube-01"]
        self.assertEqual(sorted(i), ["cpu_count", "disks", "image_hash", "image_release", "ipv4", "load", "memory",
                                     "mounts", "release", "snapshot_count", "state"])
        self.assertEqual(i["cpu_count"], "2")
        self.assertIsInstance(i["memory"]["total"], int)
        self.assertIsInstance(i["disks"]["sda1"]["total"], str)
        # Qt writes empty containers on two lines, 4-space indents
        self.assertIn('"errors": [\n    ]', self.ok("multipass", "info", "kube-01", "--format", "json").stdout)
        csv = self.ok("multipass", "list", "--format", "csv").stdout.splitlines()
        self.assertEqual(csv[0], "Name,State,IPv4,IPv6,Release,AllIPv4")
        self.assertTrue(self.ok("multipass", "list").stdout.startswith("Name                    State"))
        inst = self.state_of("multipass")["instances"]["kube-01"]
        self.assertTrue(inst["user_data"].startswith("#cloud-config\n"))
        self.assertIn("pollinate", inst["user_data"])  # the daemon's merge
        self.assertEqual(inst["user_data_raw"], CLOUD_INIT_K3S)

    def test_launch_errors(self):
        self.ok("multipass", "launch", "--name", "a")
        cases = [
            (["launch", "--name", "a"], 2, 'launch failed: instance "a" already exists'),
            (["launch", "-m", "3Q"], 1, "3Q is not a valid memory size"),
            (["launch", "-m", "100M"], 2, "launch failed: Invalid arguments supplied\nInvalid memory size value supplied: 100M."),
            (["launch", "-d", "100M"], 2, "Invalid disk size value supplied: 100M."),
            (["launch", "-c", "0"], 1, "Error: invalid CPU count '0', need a positive integer value."),
            (["launch", "--name", "-bad-"], 2, "Invalid instance name supplied: -bad-"),
            (["launch", "--name", "9bad"], 2, "Invalid instance name supplied: 9bad"),
            (["launch", "--bogus"], 1, "Unknown option 'bogus'."),
            (["launch", "a:b:c"], 1, "Invalid remote and source image name supplied"),
            (["launch", "--cloud-init", "/nonexistent.yaml"], 1,
             "Could not load cloud-init configuration: bad file: /nonexistent.yaml\nPlease ensure that Multipass can read it."),
            (["launch", "--timeout", "x"], 1, "error: --timeout value has to be a positive integer"),
            (["list", "--format", "xml"], 1, "Invalid format type given."),
            (["frobnicate"], 1, ""),
        ]
        for argv, code, text in cases:
            r = self.run_tool("multipass", *argv)
            self.assertEqual(r.returncode, code, (argv, r.stderr))
            self.assertIn(text, r.stderr + r.stdout, argv)
        r = self.run_tool("multipass", "launch", "--cloud-init", "-", input="packages: [curl\n")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("Could not load cloud-init configuration: "), r.stderr)
        self.assertEqual([i["name"] for i in json.loads(self.ok("multipass", "list", "--format", "json").stdout)["list"]], ["a"])

    def test_missing_instance_texts(self):
        r = self.run_tool("multipass", "info", "nope")
        self.assertEqual((r.returncode, r.stderr), (2, 'info failed: The following errors occurred:\ninstance "nope" does not exist\n'))
        r = self.run_tool("multipass", "start", "nope")
        self.assertEqual((r.returncode, r.stderr), (2, "start failed: instance(s) missing\nInstance 'nope' does not exist.\n\n"))
        r = self.run_tool("multipass", "exec", "nope", "--", "true")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.count('instance "nope" does not exist'), 2)
        r = self.run_tool("multipass", "exec", "-n", "nope", "--", "true")
        self.assertEqual(r.stderr.count('instance "nope" does not exist'), 1)
        r = self.run_tool("multipass", "delete")
        self.assertEqual((r.returncode, r.stderr), (1, "Name argument or --all is required\n"))

    def test_lifecycle(self):
        self.ok("multipass", "launch", "--name", "a")
        self.ok("multipass", "launch", "--name", "b")
        self.ok("multipass", "stop", "a")
        states = {e["name"]: (e["state"], e["ipv4"]) for e in json.loads(self.ok("multipass", "list", "--format", "json").stdout)["list"]}
        self.assertEqual(states["a"], ("Stopped", []))
        self.assertEqual(states["b"][0], "Running")
        self.ok("multipass", "start", "a")
        self.ok("multipass", "delete", "a")
        r = self.run_tool("multipass", "exec", "a", "--", "true")
        self.assertEqual((r.returncode, r.stderr), (2, 'exec failed: The following errors occurred:\ninstance "a" is deleted\n'))
        self.ok("multipass", "delete", "a")  # deleted instances still count as existing
        self.assertEqual(json.loads(self.ok("multipass", "info", "--format", "json").stdout)["info"]["a"]["state"], "Deleted")
        r = self.run_tool("multipass", "purge", "x")
        self.assertEqual((r.returncode, r.stderr), (1, "This command takes no arguments\n"))
        self.ok("multipass", "purge")
        self.ok("multipass", "delete", "--purge", "b")
        self.assertEqual(json.loads(self.ok("multipass", "list", "--format", "json").stdout), {"list": []})
        self.assertEqual(self.run_tool("multipass", "list").stderr, "No instances found.\n")

    def test_exec_simulation(self):
        self.ok("multipass", "launch", "--name", "kube-01", "--cloud-init", "-", input=CLOUD_INIT_K3S)
        r = self.ok("multipass", "exec", "kube-01", "--", "cloud-init", "status", "--wait")
        self.assertIn("status: done", r.stdout)
        kc = yaml.safe_load(self.ok("multipass", "exec", "-n", "kube-01", "--", "sudo", "cat", "/etc/rancher/k3s/k3s.yaml").stdout)
        self.assertEqual([c["name"] for c in kc["clusters"]], ["default"])
        self.assertEqual(kc["clusters"][0]["cluster"]["server"], "https://127.0.0.1:6443")
        self.assertEqual((kc["users"][0]["name"], kc["contexts"][0]["name"], kc["current-context"]), ("default",) * 3)
        r = self.run_tool("multipass", "exec", "kube-01", "--", "cat", "/etc/rancher/k3s/k3s.yaml")
        self.assertEqual((r.returncode, r.stderr), (1, "cat: /etc/rancher/k3s/k3s.yaml: Permission denied\n"))
        self.assertEqual(self.ok("multipass", "exec", "kube-01", "--", "cat", "/etc/meshlab/locality").stdout,
                         "milky-way/solar-system/kube-01\n")
        self.assertEqual(self.run_tool("multipass", "exec", "kube-01", "--", "test", "-f", "/nope").returncode, 1)
        r = self.ok("multipass", "exec", "kube-01", "--", "istio-frobnicate", "--now")
        self.assertEqual(r.stdout, "")
        self.assertEqual(self.calls("multipass")[-1]["note"]["unsimulated"], [["istio-frobnicate", "--now"]])
        self.ok("multipass", "exec", "kube-01", "--", "sudo", "sh", "-c", "echo '127.0.20.1 istiod.istio-system.svc' >> /etc/hosts && mkdir -p /etc/certs")
        self.assertIn("istiod.istio-system.svc", self.ok("multipass", "exec", "kube-01", "--", "cat", "/etc/hosts").stdout)
        r = self.run_tool("multipass", "exec", "kube-01", "--", "sh", "-c", "exit 0; false")
        self.assertEqual(r.returncode, 1)
        r = self.run_tool("multipass", "exec", "kube-01", "--", "ls", "-l", "--bogus")
        self.assertEqual(r.returncode, 0)  # inner options after -- belong to the inner command
        r = self.run_tool("multipass", "exec", "kube-01", "ls", "-l")
        self.assertEqual(r.returncode, 1)
        self.assertIn('Options to the inner command should come after "--"', r.stderr)

    def test_transfer(self):
        self.ok("multipass", "launch", "--name", "virt-01")
        src = os.path.join(self.tmp, "cluster.env")
        with open(src, "w") as f:
            f.write("ISTIO_NAMESPACE='istio-system'\n")
        self.ok("multipass", "transfer", src, "virt-01:/tmp/")
        self.assertEqual(self.ok("multipass", "exec", "virt-01", "--", "cat", "/tmp/cluster.env").stdout,
                         "ISTIO_NAMESPACE='istio-system'\n")
        self.ok("multipass", "transfer", src, "virt-01:bootstrap/cluster.env", "--parents")
        self.assertEqual(self.run_tool("multipass", "exec", "virt-01", "--", "test", "-f", "/home/ubuntu/bootstrap/cluster.env").returncode, 0)
        r = self.run_tool("multipass", "transfer", src, "virt-01:/nodir/cluster.env")
        self.assertEqual(r.returncode, 2)
        self.assertIn("[error] [sftp] remote target does not exist", r.stderr)
        r = self.run_tool("multipass", "transfer", src, "virt-01:/etc/cluster.env")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Permission denied", r.stderr)
        self.ok("multipass", "transfer", "-", "virt-01:/tmp/token", input="tok\n")
        out = os.path.join(self.tmp, "back")
        self.ok("multipass", "transfer", "virt-01:/tmp/token", out)
        self.assertEqual(read(out), "tok\n")
        self.assertEqual(self.ok("multipass", "transfer", "virt-01:/tmp/token", "-").stdout, "tok\n")
        # `-` as the target writes the file's bytes as they are (no decoding on the way).
        blob = bytes(range(256)) + b"\xff\xfe not utf-8 \xc3\x28\n"
        binary = os.path.join(self.tmp, "blob.bin")
        with open(binary, "wb") as f:
            f.write(blob)
        self.ok("multipass", "transfer", binary, "virt-01:/tmp/blob.bin")
        for argv in (["transfer", "virt-01:/tmp/blob.bin", "-"], ["exec", "virt-01", "--", "cat", "/tmp/blob.bin"]):
            raw = subprocess.run([os.path.join(HERE, "multipass")] + argv, capture_output=True, env=self.env, cwd=self.tmp)
            self.assertEqual((raw.returncode, raw.stdout), (0, blob), argv)
        r = self.run_tool("multipass", "transfer", src)
        self.assertEqual((r.returncode, r.stderr), (1, "Not enough arguments given\n"))
        r = self.run_tool("multipass", "transfer", src, src)
        self.assertEqual(r.returncode, 1)

    def test_parallel_launches(self):
        names = [f"vm-{i}" for i in range(6)]
        results = {}

        def launch(n):
            results[n] = self.run_tool("multipass", "launch", "--name", n, "--cloud-init", "-", input=CLOUD_INIT_K3S)

        threads = [threading.Thread(target=launch, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for n in names:
            self.assertEqual(results[n].returncode, 0, results[n].stderr)
        lst = json.loads(self.ok("multipass", "list", "--format", "json").stdout)["list"]
        self.assertEqual(sorted(e["name"] for e in lst), names)
        ips = [e["ipv4"][0] for e in lst]
        self.assertEqual(len(set(ips)), len(ips))
        clusters = self.state_of("clusters")
        self.assertEqual(sorted(clusters), [f"k3s/{n}" for n in names])
        self.assertEqual(len(self.calls("multipass")), 7)

    def test_k3s_cluster_through_kubectl(self):
        path, ip = self.k3s_vm("kube-01")
        nodes = json.loads(self.ok("kubectl", "--kubeconfig", path, "--context", "kube-01", "get", "nodes", "-o", "json").stdout)
        self.assertEqual(len(nodes["items"]), 1)
        n = nodes["items"][0]
        self.assertEqual(n["metadata"]["name"], "kube-01")
        self.assertEqual(n["metadata"]["labels"]["topology.kubernetes.io/zone"], "solar-system")
        self.assertEqual(n["metadata"]["labels"]["topology.istio.io/subzone"], "kube-01")
        self.assertEqual(n["status"]["addresses"][0]["address"], ip)
        self.assertEqual(n["status"]["nodeInfo"]["kubeletVersion"], "v1.30.2+k3s2")
        # the unmodified k3s kubeconfig points at the VM's loopback: refused from the host
        raw = os.path.join(self.tmp, "raw.yaml")
        with open(raw, "w") as f:
            f.write(self.ok("multipass", "exec", "kube-01", "--", "sudo", "cat", "/etc/rancher/k3s/k3s.yaml").stdout)
        r = self.run_tool("kubectl", "--kubeconfig", raw, "get", "nodes")
        self.assertEqual(r.returncode, 1)
        self.assertIn("The connection to the server 127.0.0.1:6443 was refused", r.stderr)
        # stopped VM: its API is gone
        self.ok("multipass", "stop", "kube-01")
        r = self.run_tool("kubectl", "--kubeconfig", path, "get", "nodes")
        self.assertIn(f"The connection to the server {ip}:6443 was refused", r.stderr)
        self.ok("multipass", "delete", "--purge", "kube-01")
        self.assertEqual(self.state_of("clusters"), {})


ISTIO_VM_OBJECTS = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: workloadgroups.networking.istio.io}
spec:
  group: networking.istio.io
  scope: Namespaced
  names: {kind: WorkloadGroup, plural: workloadgroups, singular: workloadgroup}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: workloadentries.networking.istio.io}
spec:
  group: networking.istio.io
  scope: Namespaced
  names: {kind: WorkloadEntry, plural: workloadentries, singular: workloadentry}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: httpbin}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: httpbin, namespace: httpbin}
---
apiVersion: v1
kind: Service
metadata: {name: istio-eastwestgateway, namespace: istio-system}
spec:
  type: LoadBalancer
  ports: [{name: tls-istiod, port: 15012}]
---
apiVersion: v1
kind: Secret
metadata: {name: cacerts, namespace: istio-system}
stringData: {root-cert.pem: "LAB ROOT\\n"}
"""

ISTIO_VM_GROUP = """
apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: virt-01, namespace: httpbin}
spec:
  metadata:
    labels: {app: httpbin, meshlab.dev/vm: virt-01}
  template:
    serviceAccount: httpbin
    network: virt-01
    locality: milky-way/solar-system/virt-01
    ports: {httpbin: 8080}
"""

ISTIO_VM_CLUSTER_ENV = """CA_ADDR='istiod-1-30-3.istio-system.svc:15012'
ISTIO_METAJSON_LABELS='{"app":"httpbin","meshlab.dev/vm":"virt-01"}'
ISTIO_META_AUTO_REGISTER_GROUP='virt-01'
ISTIO_META_NETWORK='virt-01'
POD_NAMESPACE='httpbin'
SERVICE_ACCOUNT='httpbin'
"""


class TestVmSidecar(FakeTestCase):
    """A VM joined the way meshlab's vm/<vm>/join step does it: istiod auto-registers it."""

    def setUp(self):
        super().setUp()
        self.kubeconfig, _ = self.k3s_vm("kube-01")
        self.kubectl("apply", "-f", "-", input=ISTIO_VM_OBJECTS)
        self.kubectl("apply", "-f", "-", input=ISTIO_VM_GROUP)
        self.gateway = self.kubectl("get", "svc", "istio-eastwestgateway", "-n", "istio-system", "-o",
                                    "jsonpath={.status.loadBalancer.ingress[0].ip}").stdout
        self.ok("multipass", "launch", "--name", "virt-01")
        self.vm_ip = json.loads(self.ok("multipass", "info", "virt-01", "--format", "json").stdout)["info"]["virt-01"]["ipv4"][0]
        self.deb = os.path.join(self.tmp, "istio-sidecar-1.30.3-amd64.deb")
        with open(self.deb, "wb") as f:
            f.write(debpkg.build("istio-sidecar", "1.30.3", "amd64"))

    def kubectl(self, *args, **kw):
        return self.ok("kubectl", "--kubeconfig", self.kubeconfig, "--context", "kube-01", *args, **kw)

    def vm(self, *argv, **kw):
        return self.run_tool("multipass", "exec", "-n", "virt-01", "--", *argv, **kw)

    def bootstrap(self, token, hosts_ip=None):
        stage = "/tmp/meshlab-istio"
        self.assertEqual(self.vm("install", "-d", "-m", "0700", stage).returncode, 0)
        for name, text in (("cluster.env", ISTIO_VM_CLUSTER_ENV), ("mesh.yaml", "defaultConfig: {}\n"),
                           ("root-cert.pem", "LAB ROOT\n")):
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                f.write(text)
        self.ok("multipass", "transfer", *[os.path.join(self.tmp, n) for n in ("cluster.env", "mesh.yaml", "root-cert.pem")],
                self.deb, f"virt-01:{stage}/")
        self.ok("multipass", "transfer", "-", f"virt-01:{stage}/istio-token", input=token + "\n")
        self.ok("multipass", "transfer", "-", f"virt-01:{stage}/hosts",
                input=f"{hosts_ip or self.gateway} istiod-1-30-3.istio-system.svc\n")
        self.assertEqual(self.vm("sudo", "dpkg", "-i", f"{stage}/istio-sidecar-1.30.3-amd64.deb").returncode, 0)
        script = (f"install -D -m 0644 {stage}/root-cert.pem /etc/certs/root-cert.pem"
                  f" && install -D -m 0600 {stage}/istio-token /var/run/secrets/tokens/istio-token"
                  f" && install -D -m 0644 {stage}/cluster.env /var/lib/istio/envoy/cluster.env"
                  f" && install -D -m 0644 {stage}/mesh.yaml /etc/istio/config/mesh"
                  f" && chown -R istio-proxy /etc/certs /var/lib/istio /var/run/secrets/tokens")
        r = self.vm("sudo", "sh", "-c", script)
        self.assertEqual(r.returncode, 0, r.stderr)
        hosts = (f"grep -vF 'istiod-1-30-3.istio-system.svc' /etc/hosts > {stage}/hosts.new;"
                 f" cat {stage}/hosts >> {stage}/hosts.new && install -m 0644 {stage}/hosts.new /etc/hosts")
        r = self.vm("sudo", "sh", "-c", hosts)
        self.assertEqual(r.returncode, 0, r.stderr)

    def entries(self):
        return json.loads(self.kubectl("get", "workloadentries", "-n", "httpbin", "-o", "json").stdout)["items"]

    def test_sidecar_start_registers_a_workload_entry_and_stop_removes_it(self):
        r = self.vm("sudo", "systemctl", "start", "istio")
        self.assertEqual((r.returncode, r.stderr), (5, "Failed to start istio.service: Unit istio.service not found.\n"))
        self.assertEqual(self.vm("dpkg-query", "-W", "istio-sidecar").returncode, 1)
        token = self.kubectl("create", "token", "httpbin", "-n", "httpbin", "--audience", "istio-ca").stdout.strip()
        self.bootstrap(token)
        self.assertEqual(self.vm("dpkg-query", "-W", "istio-sidecar").stdout, "istio-sidecar\t1.30.3\n")
        self.assertEqual(self.vm("sudo", "systemctl", "enable", "istio").returncode, 0)
        self.assertEqual(self.vm("systemctl", "is-active", "--quiet", "istio").returncode, 3)
        self.assertEqual(self.vm("sudo", "systemctl", "restart", "istio").returncode, 0)
        self.assertEqual(self.vm("systemctl", "is-active", "--quiet", "istio").returncode, 0)
        entries = self.entries()
        self.assertEqual(len(entries), 1, self.state_of("multipass")["instances"]["virt-01"].get("istio_agent"))
        entry = entries[0]
        self.assertEqual(entry["metadata"]["name"], f"virt-01-{self.vm_ip}-virt-01")
        self.assertEqual(entry["metadata"]["annotations"]["istio.io/autoRegistrationGroup"], "virt-01")
        self.assertEqual(entry["metadata"]["ownerReferences"][0]["kind"], "WorkloadGroup")
        self.assertEqual(entry["spec"]["address"], self.vm_ip)
        self.assertEqual(entry["spec"]["locality"], "milky-way/solar-system/virt-01")
        self.assertEqual(entry["spec"]["ports"], {"httpbin": 8080})
        self.assertEqual(entry["metadata"]["labels"], {"app": "httpbin", "meshlab.dev/vm": "virt-01"})
        # bootstrapping again replaces the hosts line instead of adding one
        self.bootstrap(token)
        hosts = self.vm("cat", "/etc/hosts").stdout
        self.assertEqual(hosts.count("istiod-1-30-3.istio-system.svc"), 1, hosts)
        self.assertEqual(self.vm("sudo", "systemctl", "stop", "istio").returncode, 0)
        self.assertEqual(self.entries(), [])

    def test_vm_tools_refuse_what_the_real_ones_refuse(self):
        """dpkg -i needs a Debian archive of the VM's architecture; chown needs an existing user
        and file; grep and systemctl reject options and verbs they do not have."""
        stage = "/tmp/stage"
        text = os.path.join(self.tmp, "notadeb.deb")
        with open(text, "w") as f:
            f.write("Package: istio-sidecar\nVersion: 1.30.3\nArchitecture: amd64\n")
        arm = os.path.join(self.tmp, "istio-sidecar-arm64.deb")
        with open(arm, "wb") as f:
            f.write(debpkg.build("istio-sidecar", "1.30.3", "arm64"))
        self.assertEqual(self.vm("install", "-d", stage).returncode, 0)
        self.ok("multipass", "transfer", text, arm, self.deb, f"virt-01:{stage}/")
        r = self.vm("sudo", "dpkg", "-i", f"{stage}/notadeb.deb")
        self.assertEqual((r.returncode, r.stderr), (1, (
            f"dpkg-deb: error: '{stage}/notadeb.deb' is not a Debian format archive\n"
            f"dpkg: error processing archive {stage}/notadeb.deb (--install):\n"
            " dpkg-deb --control subprocess returned error exit status 2\n"
            f"Errors were encountered while processing:\n {stage}/notadeb.deb\n")))
        r = self.vm("sudo", "dpkg", "-i", f"{stage}/istio-sidecar-arm64.deb")
        self.assertEqual((r.returncode, r.stderr), (1, (
            f"dpkg: error processing archive {stage}/istio-sidecar-arm64.deb (--install):\n"
            " package architecture (arm64) does not match system (amd64)\n"
            f"Errors were encountered while processing:\n {stage}/istio-sidecar-arm64.deb\n")))
        self.assertEqual(self.vm("dpkg-query", "-W", "istio-sidecar").returncode, 1)
        r = self.vm("dpkg-query", "istio-sidecar")
        self.assertEqual((r.returncode, r.stderr), (2, "dpkg-query: error: need an action option\n\n"
                                                       "Use --help for help about querying packages.\n"))
        r = self.vm("sudo", "dpkg", f"{stage}/notadeb.deb")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("dpkg: error: need an action option\n"), r.stderr)
        # No istio-proxy account before the package's postinst made it.
        r = self.vm("sudo", "chown", "-R", "istio-proxy", stage)
        self.assertEqual((r.returncode, r.stderr), (1, "chown: invalid user: \u2018istio-proxy\u2019\n"))
        r = self.vm("sudo", "dpkg", "-i", f"{stage}/istio-sidecar-1.30.3-amd64.deb")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Setting up istio-sidecar (1.30.3) ...", r.stdout)
        self.assertEqual(self.vm("dpkg-query", "-W", "istio-sidecar").stdout, "istio-sidecar\t1.30.3\n")
        r = self.vm("sudo", "chown", "-R", "istio-proxy", stage, "/var/run/secrets/tokens")
        self.assertEqual((r.returncode, r.stderr), (1, "chown: cannot access '/var/run/secrets/tokens': No such file or directory\n"))
        self.assertEqual(self.vm("sudo", "chown", "-R", "istio-proxy:istio-proxy", stage).returncode, 0)
        r = self.vm("sudo", "chown", "istio-proxy")
        self.assertEqual((r.returncode, r.stderr), (1, "chown: missing operand after \u2018istio-proxy\u2019\n"
                                                       "Try 'chown --help' for more information.\n"))
        r = self.vm("sudo", "chown", "-Z", "root", stage)
        self.assertEqual((r.returncode, r.stderr), (1, "chown: invalid option -- 'Z'\nTry 'chown --help' for more information.\n"))
        # grep: options it has, basic regular expressions, exit 2 on errors.
        r = self.vm("grep", "-Q", "x", "/etc/hosts")
        self.assertEqual((r.returncode, r.stderr), (2, "grep: invalid option -- 'Q'\nUsage: grep [OPTION]... PATTERNS "
                                                       "[FILE]...\nTry 'grep --help' for more information.\n"))
        self.assertEqual(self.vm("grep", "--bogus", "x", "/etc/hosts").returncode, 2)
        self.assertEqual(self.vm("grep", "-q", "x", "/nope").returncode, 2)
        self.ok("multipass", "transfer", "-", "virt-01:/tmp/words", input="localhost\nlocalhost+\n")
        self.assertEqual(self.vm("grep", "-c", "host+", "/tmp/words").stdout, "1\n")  # BRE: + is literal
        self.assertEqual(self.vm("grep", "-c", "hos\\+t", "/tmp/words").stdout, "2\n")  # \+: one or more
        self.assertEqual(self.vm("grep", "-cE", "host+$", "/tmp/words").stdout, "1\n")
        # systemctl: verbs it has, units that exist, --quiet is quiet.
        r = self.vm("sudo", "systemctl", "frobnicate", "istio")
        self.assertEqual((r.returncode, r.stderr), (1, "Unknown command verb 'frobnicate'.\n"))
        r = self.vm("sudo", "systemctl", "restart")
        self.assertEqual((r.returncode, r.stderr), (1, "Too few arguments.\n"))
        r = self.vm("sudo", "systemctl", "enable", "nginx")
        self.assertEqual((r.returncode, r.stderr), (1, "Failed to enable unit: Unit file nginx.service does not exist.\n"))
        self.assertEqual(self.vm("sudo", "systemctl", "enable", "istio").returncode, 0)  # the package's unit
        r = self.vm("systemctl", "is-active", "--quiet", "istio")
        self.assertEqual((r.returncode, r.stdout), (3, ""))

    def test_a_token_istiod_does_not_accept_registers_nothing(self):
        token = self.kubectl("create", "token", "httpbin", "-n", "httpbin").stdout.strip()  # audience: the API server
        self.bootstrap(token)
        self.assertEqual(self.vm("sudo", "systemctl", "enable", "--now", "istio").returncode, 0)
        self.assertEqual(self.entries(), [])
        agent = self.state_of("multipass")["instances"]["virt-01"]["istio_agent"]
        self.assertIn("audience is not istio-ca", agent["error"])

    def test_a_hosts_entry_that_is_no_gateway_registers_nothing(self):
        token = self.kubectl("create", "token", "httpbin", "-n", "httpbin", "--audience", "istio-ca").stdout.strip()
        self.bootstrap(token, hosts_ip="127.0.20.250")
        self.assertEqual(self.vm("sudo", "systemctl", "restart", "istio").returncode, 0)
        self.assertEqual(self.entries(), [])
        self.assertIn("connection refused", self.state_of("multipass")["instances"]["virt-01"]["istio_agent"]["error"])


class TestKind(FakeTestCase):
    def test_create_merges_kubeconfig_like_kind(self):
        kc = os.path.join(self.tmp, "kc")
        with open(kc, "w") as f:
            yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "mine",
                            "clusters": [{"name": "mine", "cluster": {"server": "https://127.0.0.1:1"}}],
                            "contexts": [{"name": "mine", "context": {"cluster": "mine", "user": "mine"}}],
                            "users": [{"name": "mine", "user": {"token": "t"}}]}, f)
        r = self.kind_cluster("east", kc)
        self.assertIn('Set kubectl context to "kind-east"', r.stderr)
        self.assertEqual(r.stdout, "")
        cfg = load_yaml(kc)
        self.assertEqual(cfg["current-context"], "kind-east")
        for section in ("clusters", "contexts", "users"):
            self.assertEqual(sorted(e["name"] for e in cfg[section]), ["kind-east", "mine"])
        server = [c for c in cfg["clusters"] if c["name"] == "kind-east"][0]["cluster"]["server"]
        self.assertRegex(server, r"^https://127\.0\.0\.1:\d+$")
        self.assertEqual([c for c in cfg["contexts"] if c["name"] == "kind-east"][0]["context"],
                         {"cluster": "kind-east", "user": "kind-east"})
        if os.path.exists(REAL_KUBECTL):
            real = subprocess.run([REAL_KUBECTL, "config", "view", "--kubeconfig", kc, "-o", "json"], capture_output=True, text=True)
            self.assertEqual(real.returncode, 0, real.stderr)
        self.assertEqual(self.ok("kind", "get", "nodes", "--name", "east").stdout.split(),
                         ["east-control-plane", "east-worker", "east-worker2"])
        internal = yaml.safe_load(self.ok("kind", "get", "kubeconfig", "--name", "east", "--internal").stdout)
        self.assertEqual(internal["clusters"][0]["cluster"]["server"], "https://east-control-plane:6443")
        r = self.run_tool("kind", "create", "cluster", "--name", "east", "--kubeconfig", kc)
        self.assertEqual((r.returncode, r.stderr), (1, 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "east"\n'))
        self.ok("kind", "delete", "cluster", "--name", "east", "--kubeconfig", kc)
        cfg = load_yaml(kc)
        self.assertEqual([e["name"] for e in cfg["clusters"]], ["mine"])
        self.assertEqual(cfg["current-context"], "")
        r = self.ok("kind", "delete", "cluster", "--name", "east", "--kubeconfig", kc)  # idempotent
        self.assertIn('Deleting cluster "east" ...', r.stderr)

    def test_get_clusters_sorted_and_empty(self):
        r = self.ok("kind", "get", "clusters")
        self.assertEqual((r.stdout, r.stderr), ("", "No kind clusters found.\n"))
        self.ok("kind", "create", "cluster", "--name", "zeta", "-q")
        self.ok("kind", "create", "cluster", "--name", "alpha")
        self.assertEqual(self.ok("kind", "get", "clusters").stdout, "alpha\nzeta\n")
        self.assertEqual(load_yaml(os.path.join(self.home, ".kube", "config"))["current-context"], "kind-alpha")
        r = self.run_tool("kind", "get", "kubeconfig", "--name", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("could not locate any control plane nodes for cluster named 'nope'", r.stderr)
        r = self.run_tool("kind", "get", "clusters", "--bogus")
        self.assertEqual((r.returncode, r.stderr), (1, "ERROR: unknown flag: --bogus\n"))
        self.assertEqual(self.ok("kind", "version").stdout, "kind v0.32.0 go1.24.6 linux/amd64\n")

    def test_stopped_node_containers_like_after_a_reboot(self):
        self.kind_cluster("east")
        self.ok("docker", "stop", "east-worker")
        states = self.ok("docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=east",
                         "--format", "{{.Names}}\t{{.State}}").stdout
        self.assertEqual(sorted(states.splitlines()),
                         ["east-control-plane\trunning", "east-worker\texited", "east-worker2\trunning"])
        self.assertEqual(self.ok("kind", "get", "clusters").stdout, "east\n")  # still listed, as with real kind
        nodes = json.loads(self.ok("kubectl", "--context", "kind-east", "get", "nodes", "-o", "json").stdout)["items"]
        ready = {n["metadata"]["name"]: [c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
                 for n in nodes}
        self.assertEqual(ready, {"east-control-plane": "True", "east-worker": "False", "east-worker2": "True"})
        self.ok("docker", "stop", "east-control-plane")
        r = self.run_tool("kubectl", "--context", "kind-east", "get", "nodes")
        self.assertEqual(r.returncode, 1)
        self.assertIn("was refused", r.stderr)
        self.ok("docker", "start", "east-control-plane", "east-worker")
        nodes = json.loads(self.ok("kubectl", "--context", "kind-east", "get", "nodes", "-o", "json").stdout)["items"]
        self.assertTrue(all(c["status"] == "True" for n in nodes for c in n["status"]["conditions"]
                            if c["type"] == "Ready"))

    def test_config_errors(self):
        r = self.run_tool("kind", "create", "cluster", "--config", "-", input="kind: Cluster\napiVersion: v9\n")
        self.assertEqual((r.returncode, r.stderr), (1, "ERROR: failed to create cluster: unknown apiVersion: v9\n"))
        r = self.run_tool("kind", "create", "cluster", "--config", "-",
                          input="kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodez: []\n")
        self.assertIn("field nodez not found in type v1alpha4.Cluster", r.stderr)
        r = self.run_tool("kind", "create", "cluster", "--config", "/nope.yaml")
        self.assertIn("error reading file: open /nope.yaml: no such file or directory", r.stderr)
        r = self.run_tool("kind", "create", "cluster", "--name", "Bad_Name")
        self.assertIn("is not a valid cluster name", r.stderr)
        self.assertEqual(self.ok("kind", "get", "clusters").stdout, "")

    def test_nodes_labels_network_and_docker_view(self):
        self.kind_cluster("east")
        nodes = json.loads(self.ok("kubectl", "--context", "kind-east", "get", "nodes", "-o", "json").stdout)["items"]
        zones = {n["metadata"]["name"]: n["metadata"]["labels"].get("topology.kubernetes.io/zone") for n in nodes}
        self.assertEqual(zones, {"east-control-plane": None, "east-worker": "zone1", "east-worker2": "zone2"})
        ips = [n["status"]["addresses"][0]["address"] for n in nodes]
        for ip in ips:
            self.assertIn(ipaddress.ip_address(ip), ipaddress.ip_network("127.18.0.0/16"))
        self.assertEqual(self.ok("docker", "network", "inspect", "-f", "{{.IPAM.Config}}", "kind").stdout,
                         "[{127.18.0.0/16  127.18.0.1 map[]}]\n")
        names = self.ok("docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=east", "--format", "{{.Names}}").stdout.split()
        self.assertEqual(sorted(names), ["east-control-plane", "east-worker", "east-worker2"])
        # host-port clash with a second cluster
        cfg = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 31443\n    hostPort: 15443\n"
        self.ok("kind", "create", "cluster", "--name", "p1", "--config", "-", input=cfg)
        r = self.run_tool("kind", "create", "cluster", "--name", "p2", "--config", "-", input=cfg)
        self.assertEqual(r.returncode, 1)
        self.assertIn("port is already allocated", r.stderr)
        self.assertNotIn("p2", self.ok("kind", "get", "clusters").stdout)


class TestDocker(FakeTestCase):
    def test_registry_container_flow(self):
        argv = ["run", "-d", "--restart=always", "--name", "lab-cache-dockerio", "-p", "127.0.0.1:5001:5000",
                "-v", "lab-cache-dockerio:/var/lib/registry", "-e", "REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io", "registry:2"]
        r = self.ok("docker", *argv)
        cid = r.stdout.strip()
        self.assertRegex(cid, r"^[0-9a-f]{64}$")
        r = self.run_tool("docker", *argv)
        self.assertEqual(r.returncode, 125)
        self.assertIn(f'docker: Error response from daemon: Conflict. The container name "/lab-cache-dockerio" is already in use by container "{cid}".', r.stderr)
        self.assertIn("Run 'docker run --help' for more information", r.stderr)
        r = self.run_tool("docker", "start", "nope")
        self.assertEqual((r.returncode, r.stderr), (1, "Error response from daemon: No such container: nope\nError: failed to start containers: nope\n"))
        self.assertEqual(self.ok("docker", "start", "lab-cache-dockerio").stdout, "lab-cache-dockerio\n")
        self.assertEqual(self.ok("docker", "inspect", "-f", "{{.State.Running}}", "lab-cache-dockerio").stdout, "true\n")
        self.assertEqual(self.ok("docker", "inspect", "-f", "{{json .NetworkSettings.Networks.kind}}", "lab-cache-dockerio").stdout, "null\n")
        full = json.loads(self.ok("docker", "inspect", "lab-cache-dockerio").stdout)
        self.assertEqual(full[0]["Name"], "/lab-cache-dockerio")
        self.assertEqual(full[0]["HostConfig"]["RestartPolicy"]["Name"], "always")
        self.assertEqual(full[0]["HostConfig"]["PortBindings"]["5000/tcp"], [{"HostIp": "127.0.0.1", "HostPort": "5001"}])
        self.assertIn("REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io", full[0]["Config"]["Env"])
        r = self.run_tool("docker", "network", "connect", "kind", "lab-cache-dockerio")
        self.assertEqual((r.returncode, r.stderr), (1, "Error response from daemon: network kind not found\n"))
        self.ok("kind", "create", "cluster", "--name", "one", "-q")
        self.ok("docker", "network", "connect", "kind", "lab-cache-dockerio")
        net = json.loads(self.ok("docker", "inspect", "-f", "{{json .NetworkSettings.Networks.kind}}", "lab-cache-dockerio").stdout)
        self.assertIn(ipaddress.ip_address(net["IPAddress"]), ipaddress.ip_network("127.18.0.0/16"))
        r = self.run_tool("docker", "network", "connect", "kind", "lab-cache-dockerio")
        self.assertIn("endpoint with name lab-cache-dockerio already exists in network kind", r.stderr)
        r = self.run_tool("docker", "inspect", "nope")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "[]\n", "Error: No such object: nope\n"))
        r = self.run_tool("docker", "rm", "lab-cache-dockerio")
        self.assertEqual(r.returncode, 1)
        self.assertIn("container is running", r.stderr)
        self.ok("docker", "rm", "-f", "lab-cache-dockerio")
        self.assertEqual(self.ok("docker", "ps", "-a", "--filter", "name=lab-cache", "-q").stdout, "")
        r = self.run_tool("docker", "run", "--bogus", "x")
        self.assertEqual(r.returncode, 125)
        self.assertTrue(r.stderr.startswith("unknown flag: --bogus\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]"))
        self.assertEqual(self.run_tool("docker", "bogus").returncode, 1)

    def test_filters_the_daemon_does_not_know_fail(self):
        """The daemon validates filter keys per listing (and ps's status values): exit 1."""
        self.ok("docker", "run", "-d", "--name", "c1", "--label", "lab=x", "registry:2")
        for argv, message in ((["ps", "--filter", "x=1"], "invalid filter 'x'"),
                              (["ps", "-a", "--filter", "label=lab=x", "--filter", "cluster=one"], "invalid filter 'cluster'"),
                              (["ps", "--filter", "status=up"], "invalid filter 'status=up'"),
                              (["network", "ls", "--filter", "label=x", "--filter", "status=up"], "invalid filter 'status'"),
                              (["volume", "ls", "--filter", "network=kind"], "invalid filter 'network'")):
            r = self.run_tool("docker", *argv)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", f"Error response from daemon: {message}\n"), argv)
        r = self.run_tool("docker", "ps", "--filter", "nameonly")
        self.assertEqual(r.returncode, 125)  # the CLI's own check: KEY=VALUE
        self.assertEqual(self.ok("docker", "ps", "-a", "--filter", "label=lab=x", "--filter", "status=running",
                                 "--format", "{{.Names}}").stdout, "c1\n")

    def test_published_port_clash(self):
        self.ok("docker", "run", "-d", "--name", "a", "-p", "5001:5000", "registry:2")
        r = self.run_tool("docker", "run", "-d", "--name", "b", "-p", "127.0.0.1:5001:5000", "registry:2")
        self.assertEqual(r.returncode, 125)
        self.assertIn("Bind for 127.0.0.1:5001 failed: port is already allocated", r.stderr)
        self.assertEqual(self.ok("docker", "inspect", "-f", "{{.State.Status}}", "b").stdout, "created\n")

    def test_exec_hosts_toml_into_kind_node(self):
        self.ok("kind", "create", "cluster", "--name", "one", "-q")
        d = "/etc/containerd/certs.d/docker.io"
        self.ok("docker", "exec", "one-control-plane", "mkdir", "-p", d)
        toml = 'server = "https://registry-1.docker.io"\n[host."http://lab-cache:5000"]\n  capabilities = ["pull", "resolve"]\n'
        self.ok("docker", "exec", "-i", "one-control-plane", "cp", "/dev/stdin", f"{d}/hosts.toml", input=toml)
        self.assertEqual(self.ok("docker", "exec", "one-control-plane", "cat", f"{d}/hosts.toml").stdout, toml)
        r = self.run_tool("docker", "exec", "nope", "true")
        self.assertEqual((r.returncode, r.stderr), (1, "Error response from daemon: No such container: nope\n"))

    def test_registry_stand_in_answers_v2(self):
        import socket
        import urllib.request
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.ok("docker", "run", "-d", "--name", "cache", "-p", f"127.0.0.1:{port}:5000", "registry:2",
                env={"MESHLAB_FAKE_REGISTRY_HTTP": "1"})
        body = None
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1) as r:
                    body = r.read()
                    self.assertEqual(r.headers["Docker-Distribution-API-Version"], "registry/2.0")
                break
            except OSError:
                time.sleep(0.1)
        self.assertEqual(body, b"{}")
        self.ok("docker", "stop", "cache")
        gone = False
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
                time.sleep(0.1)
            except OSError:
                gone = True
                break
        self.assertTrue(gone)


class TestKubectl(FakeTestCase):
    def setUp(self):
        super().setUp()
        self.kind_cluster("one")
        self.k = ["--context", "kind-one"]

    def kubectl(self, *args, **kw):
        return self.run_tool("kubectl", *self.k, *args, **kw)

    def test_errors_are_kubectls(self):
        r = self.run_tool("kubectl", "--context", "nope", "get", "nodes")
        self.assertEqual((r.returncode, r.stderr), (1, "Error in configuration: context was not found for specified context: nope\n"))
        r = self.kubectl("get", "nodes", "--bogus")
        self.assertEqual((r.returncode, r.stderr), (1, "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n"))
        r = self.kubectl("get", "frobs")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: the server doesn\'t have a resource type "frobs"\n'))
        r = self.kubectl("-n", "default", "get", "secret", "nope")
        self.assertEqual((r.returncode, r.stderr), (1, 'Error from server (NotFound): secrets "nope" not found\n'))
        r = self.kubectl("get", "ns", "nope", "--ignore-not-found", "-o", "name")
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        r = self.kubectl("apply", "--force-conflicts", "-f", "-", input="")
        self.assertEqual((r.returncode, r.stderr), (1, "error: --force-conflicts only works with --server-side\n"))
        r = self.kubectl("-n", "nowhere", "apply", "-f", "-", input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn('Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found', r.stderr)
        r = self.kubectl("apply", "-f", "-", input="apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: argocd}\n")
        self.assertIn('no matches for kind "Application" in version "argoproj.io/v1alpha1"\nensure CRDs are installed first', r.stderr)
        r = self.kubectl("create", "namespace", "default")
        self.assertEqual((r.returncode, r.stderr), (1, 'Error from server (AlreadyExists): namespaces "default" already exists\n'))
        r = self.kubectl("patch", "ns", "default", "--type", "bogus", "-p", "{}")
        self.assertEqual(r.stderr, 'error: --type must be one of [json merge strategic], not "bogus"\n')
        r = self.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=nothing", "--timeout=1s")
        self.assertEqual((r.returncode, r.stderr), (1, "error: no matching resources found\n"))
        r = self.kubectl("label", "node", "one-worker", "topology.kubernetes.io/zone=other")
        self.assertEqual((r.returncode, r.stderr), (1, "error: 'topology.kubernetes.io/zone' already has a value (zone1), and --overwrite is false\n"))

    def test_mesh_probes_and_faults(self):
        """meshsim: istiod's /debug/clusterz, a sidecar's Envoy /certs, and the fakectl mesh switches."""
        self.kubectl("create", "namespace", "istio-system")
        remote = ("apiVersion: v1\nkind: Config\ncurrent-context: two\nclusters: [{name: two, cluster: {server: "
                  "'https://two-control-plane:6443'}}]\ncontexts: [{name: two, context: {cluster: two, user: two}}]\n"
                  "users: [{name: two, user: {token: not-issued}}]\n")
        manifests = [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "istio-remote-secret-two", "namespace": "istio-system",
                                                                "labels": {"istio/multiCluster": "true"}},
             "stringData": {"two": remote}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istiod", "namespace": "istio-system"},
             "spec": {"selector": {"matchLabels": {"app": "istiod"}}, "template": {
                 "metadata": {"labels": {"app": "istiod"}}, "spec": {"containers": [{"name": "discovery"}]}}}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
             "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                 "metadata": {"labels": {"app": "web"}},
                 "spec": {"containers": [{"name": "web"}, {"name": "istio-proxy"}]}}}}]
        self.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}))
        r = self.kubectl("exec", "deploy/istiod", "-n", "istio-system", "--", "pilot-discovery", "request", "GET",
                         "/debug/clusterz")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), [{"id": "two", "secretName": "istio-system/istio-remote-secret-two",
                                                 "syncStatus": "timeout"}])  # no cluster "two" answers there
        self.ok("fakectl", "mesh", "clusterz", "kind/one", "two", "synced")
        r = self.kubectl("exec", "deploy/istiod", "-n", "istio-system", "--", "pilot-discovery", "request", "GET",
                         "/debug/clusterz")
        self.assertEqual(json.loads(r.stdout)[0]["syncStatus"], "synced")
        # No istiod chart synced here: the sidecar never got a certificate.
        r = self.kubectl("exec", "deploy/web", "-c", "istio-proxy", "--", "pilot-agent", "request", "GET", "certs")
        self.assertEqual((r.returncode, json.loads(r.stdout)), (0, {"certificates": []}))
        self.ok("fakectl", "mesh", "node-not-ready", "one-worker")
        node = json.loads(self.kubectl("get", "node", "one-worker", "-o", "json").stdout)
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"][0]
        self.assertEqual(ready["status"], "False")
        self.ok("fakectl", "mesh", "node-not-ready", "one-worker", "--clear")
        node = json.loads(self.kubectl("get", "node", "one-worker", "-o", "json").stdout)
        self.assertEqual([c for c in node["status"]["conditions"] if c["type"] == "Ready"][0]["status"], "True")

    def test_exec_picks_containers_like_kubectl(self):
        """-c must name a container of the pod; without -c the default container runs the command
        (annotation, else the first, with kubectl's notice); the command comes after `--` only."""
        pod = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                   "metadata": {"labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "web"}, {"name": "istio-proxy"}]}}}}
        self.kubectl("apply", "-f", "-", input=json.dumps(pod))
        name = self.kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}").stdout
        r = self.kubectl("exec", name, "-c", "sidecar", "--", "true")
        self.assertEqual((r.returncode, r.stderr),
                         (1, f"Error from server (BadRequest): container sidecar is not valid for pod {name}\n"))
        # Without -c: the first container, not istio-proxy, so Envoy's /certs is not answered.
        r = self.kubectl("exec", name, "--", "pilot-agent", "request", "GET", "certs")
        self.assertEqual(r.stderr, 'Defaulted container "web" out of: web, istio-proxy\n')
        self.assertEqual(r.stdout, "")
        r = self.kubectl("exec", name, "-q", "--", "true")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = self.kubectl("exec", name, "-c", "istio-proxy", "--", "pilot-agent", "request", "GET", "certs")
        self.assertEqual((r.returncode, json.loads(r.stdout)), (0, {"certificates": []}))
        # The annotation names the default container.
        pod["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/default-container": "istio-proxy"}
        self.kubectl("apply", "-f", "-", input=json.dumps(pod))
        r = self.kubectl("exec", "deploy/web", "--", "pilot-agent", "request", "GET", "certs")
        self.assertEqual((r.returncode, r.stderr, json.loads(r.stdout)), (0, "", {"certificates": []}))
        # The old form without `--`.
        r = self.kubectl("exec", "deploy/web", "true")
        self.assertEqual((r.returncode, r.stderr), (1, "error: exec [POD] [COMMAND] is not supported anymore. Use exec "
                                                       "[POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples\n"))
        r = self.kubectl("exec", "deploy/web")
        self.assertEqual((r.returncode, r.stderr), (1, "error: you must specify at least one command for the container\n"))
        r = self.kubectl("exec", "--", "true")
        self.assertEqual((r.returncode, r.stderr), (1, "error: pod, type/name or --filename must be specified\n"))

    def test_label_takes_resources_then_pairs(self):
        """GetResourcesAndPairs: resources first, then KEY=VALUE / KEY- updates; parseLabels' checks."""
        r = self.kubectl("label", "--overwrite", "node", "one-worker", "a=b", "one-worker2")
        self.assertEqual((r.returncode, r.stderr), (1, "error: all resources must be specified before label changes: one-worker2\n"))
        r = self.kubectl("label", "a=b", "node", "one-worker")
        self.assertEqual((r.returncode, r.stderr), (1, "error: all resources must be specified before label changes: node\n"))
        r = self.kubectl("label", "a=b")
        self.assertEqual((r.returncode, r.stderr),
                         (1, "error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n"))
        r = self.kubectl("label", "node", "one-worker")
        self.assertEqual((r.returncode, r.stderr), (1, "error: at least one label update is required\n"))
        r = self.kubectl("label", "node", "one-worker", "a=b=c")
        self.assertEqual((r.returncode, r.stderr), (1, "error: invalid label spec: a=b=c\n"))
        r = self.kubectl("label", "node", "one-worker", "a=not valid")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith('error: invalid label value: "a=not valid": a valid label must be'), r.stderr)
        r = self.kubectl("label", "node", "one-worker", "a=b", "a-")
        self.assertEqual((r.returncode, r.stderr), (1, "error: can not both modify and remove a label in the same command\n"))
        r = self.kubectl("label", "nodes", "--all", "-l", "x=y", "a=b")
        self.assertEqual((r.returncode, r.stderr), (1, "error: cannot set --all and --selector at the same time\n"))
        # meshlab's form: flags anywhere, resource and name, then the pairs.
        r = self.kubectl("label", "--overwrite", "node", "one-worker", "topology.istio.io/subzone=s1", "a=")
        self.assertEqual((r.returncode, r.stdout), (0, "node/one-worker labeled\n"))
        r = self.kubectl("label", "node/one-worker", "a-")
        self.assertEqual((r.returncode, r.stdout), (0, "node/one-worker labeled\n"))

    def test_rollout_flags_per_subcommand(self):
        """Only `rollout status` waits: --timeout and --watch are unknown flags of restart."""
        r = self.kubectl("-n", "kube-system", "rollout", "restart", "deployment/coredns", "--timeout=60s")
        self.assertEqual((r.returncode, r.stderr), (1, "error: unknown flag: --timeout\nSee 'kubectl rollout restart --help' for usage.\n"))
        r = self.kubectl("-n", "kube-system", "rollout", "restart", "deployment/coredns", "-w")
        self.assertEqual((r.returncode, r.stderr), (1, "error: unknown shorthand flag: 'w' in -w\nSee 'kubectl rollout restart --help' for usage.\n"))
        r = self.kubectl("-n", "kube-system", "rollout", "restart")
        self.assertEqual((r.returncode, r.stderr), (1, "error: required resource not specified\n"))
        r = self.kubectl("-n", "kube-system", "rollout", "restart", "service/kube-dns")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: services "kube-dns" restarting is not supported\n'))
        r = self.kubectl("-n", "kube-system", "rollout", "restart", "deployment/coredns")
        self.assertEqual((r.returncode, r.stdout), (0, "deployment.apps/coredns restarted\n"))
        r = self.kubectl("-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=10s", "--watch=true")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_delete_names_or_selects(self):
        """A name with -l, --all with -l, names with -f: refused as by kubectl (nothing deleted)."""
        self.kubectl("-n", "default", "create", "configmap", "a", "--from-literal=k=v")
        self.kubectl("-n", "default", "label", "configmap", "a", "lab=x")
        r = self.kubectl("-n", "default", "delete", "configmap", "a", "-l", "lab=x")
        self.assertEqual((r.returncode, r.stderr), (1, "error: name cannot be provided when a selector is specified\n"))
        r = self.kubectl("-n", "default", "delete", "configmap", "--all", "-l", "lab=x")
        self.assertEqual((r.returncode, r.stderr), (1, "error: cannot set --all and --selector at the same time\n"))
        r = self.kubectl("-n", "default", "delete", "configmap", "a", "-f", "-", input="")
        self.assertEqual((r.returncode, r.stderr), (1, "error: when paths, URLs, or stdin is provided as input, you may "
                                                       "not specify a resource by arguments as well\n"))
        r = self.kubectl("-n", "default", "delete", "configmap", "-l", "lab=x", "-o", "yaml")
        self.assertEqual((r.returncode, r.stderr), (1, "error: unexpected -o output mode: yaml. We only support '-o name'\n"))
        r = self.kubectl("-n", "default", "get", "configmap", "a", "-l", "lab=x")
        self.assertEqual((r.returncode, r.stderr), (1, "error: name cannot be provided when a selector is specified\n"))
        self.assertEqual(self.kubectl("-n", "default", "get", "configmap", "a", "-o", "name").stdout, "configmap/a\n")
        r = self.kubectl("delete", "configmap", "-l", "lab=x", "--all-namespaces", "--ignore-not-found", "-o", "name")
        self.assertEqual((r.returncode, r.stdout), (0, "configmap/a\n"))

    def test_token_duration_is_checked_by_kubectl_and_the_api_server(self):
        """kubectl: whole seconds, not negative, a Go duration; the API server: 10m to 2^32 s."""
        self.kubectl("-n", "default", "create", "serviceaccount", "robot")
        invalid = 'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
        for duration, message in (
                ("1500ms", "error: --duration cannot be expressed in units less than seconds\n"),
                ("-10m", "error: --duration must be greater than or equal to 0\n"),
                ("600", 'error: invalid argument "600" for "--duration" flag: time: missing unit in duration "600"\n'
                        "See 'kubectl create token --help' for usage.\n"),
                ("10 minutes", 'error: invalid argument "10 minutes" for "--duration" flag: time: invalid duration '
                               "\"10 minutes\"\nSee 'kubectl create token --help' for usage.\n"),
                ("5m", invalid + "Invalid value: 300: may not specify a duration less than 10 minutes\n"),
                ("599s", invalid + "Invalid value: 599: may not specify a duration less than 10 minutes\n"),
                ("1200000h", invalid + "Invalid value: 4320000000: may not specify a duration larger than 2^32 seconds\n")):
            r = self.kubectl("-n", "default", "create", "token", "robot", "--duration", duration)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", message), duration)
        for duration in ("10m", "24h", "0", "1h0.5s0.5s"):
            r = self.kubectl("-n", "default", "create", "token", "robot", "--duration", duration)
            self.assertEqual((r.returncode, r.stdout.count(".")), (0, 2), (duration, r.stderr))

    def test_apply_get_delete_and_output_formats(self):
        self.assertEqual(self.kubectl("create", "namespace", "istio-system").stdout, "namespace/istio-system created\n")
        ca = os.path.join(self.tmp, "ca-cert.pem")
        with open(ca, "w") as f:
            f.write("CERT\n")
        rendered = self.ok("kubectl", "-n", "istio-system", "create", "secret", "generic", "cacerts", f"--from-file={ca}",
                           "--from-file=root-cert.pem=" + ca, "--from-literal=k=v", "--dry-run=client", "-o", "yaml").stdout
        doc = yaml.safe_load(rendered)
        self.assertEqual(sorted(doc["data"]), ["ca-cert.pem", "k", "root-cert.pem"])
        self.assertEqual(doc["metadata"], {"name": "cacerts", "namespace": "istio-system", "creationTimestamp": None})
        self.assertEqual(self.kubectl("apply", "-f", "-", input=rendered).stdout, "secret/cacerts created\n")
        self.assertEqual(self.kubectl("apply", "-f", "-", input=rendered).stdout, "secret/cacerts unchanged\n")
        self.assertEqual(self.kubectl("apply", "--server-side", "--field-manager=meshlab", "-f", "-", input=rendered).stdout,
                         "secret/cacerts serverside-applied\n")
        self.assertEqual(self.kubectl("-n", "istio-system", "get", "secret", "cacerts", "-o", "jsonpath={.data.k}").stdout, "dg==")
        self.assertEqual(self.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").stdout,
                         "one-control-plane one-worker one-worker2")
        lines = self.kubectl("get", "nodes", "-o",
                             'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.metadata.labels.topology\\.kubernetes\\.io/zone}{"\\n"}{end}').stdout
        self.assertEqual(lines, "one-control-plane\t\none-worker\tzone1\none-worker2\tzone2\n")
        self.assertEqual(self.kubectl("get", "ns", "istio-system", "-o", "name").stdout, "namespace/istio-system\n")
        lst = json.loads(self.kubectl("get", "secrets", "-A", "-o", "json").stdout)
        self.assertEqual(lst["kind"], "List")
        self.assertEqual(self.kubectl("delete", "secret", "cacerts", "-n", "istio-system").stdout, 'secret "cacerts" deleted\n')
        self.assertEqual(self.kubectl("delete", "secret", "cacerts", "-n", "istio-system", "--ignore-not-found").returncode, 0)
        r = self.kubectl("get", "pods", "-n", "istio-system")
        self.assertEqual((r.stdout, r.stderr), ("", "No resources found in istio-system namespace.\n"))
        self.assertEqual(self.kubectl("label", "--overwrite", "node", "one-worker", "topology.istio.io/subzone=s1").stdout, "node/one-worker labeled\n")
        self.assertEqual(self.kubectl("label", "--overwrite", "node/one-worker", "topology.istio.io/subzone=s1").stdout, "node/one-worker not labeled\n")
        self.assertEqual(self.kubectl("label", "node", "one-worker", "topology.istio.io/subzone-").stdout, "node/one-worker labeled\n")
        node = json.loads(self.kubectl("get", "node", "one-worker", "-o", "json").stdout)
        self.assertNotIn("topology.istio.io/subzone", node["metadata"]["labels"])
        self.assertIn("node/one-control-plane condition met", self.kubectl("wait", "--for=condition=Ready", "nodes", "--all", "--timeout=10s").stdout)
        self.assertEqual(self.kubectl("version", "--client", "-o", "json").returncode, 0)
        self.assertIn("Server Version: v1.36.1", self.kubectl("version").stdout)

    def test_big_crd_needs_server_side_apply(self):
        big = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "applicationsets.argoproj.io"},
               "spec": {"group": "argoproj.io", "scope": "Namespaced",
                        "names": {"kind": "ApplicationSet", "plural": "applicationsets", "singular": "applicationset"},
                        "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                                      "schema": {"openAPIV3Schema": {"description": "x" * 300000}}}]}}
        r = self.kubectl("apply", "-f", "-", input=json.dumps(big))
        self.assertEqual(r.returncode, 1)
        self.assertIn("metadata.annotations: Too long: must have at most 262144 bytes", r.stderr)
        self.assertEqual(self.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(big)).stdout,
                         "customresourcedefinition.apiextensions.k8s.io/applicationsets.argoproj.io serverside-applied\n")

    def test_loadbalancer_and_tokens(self):
        svc = "apiVersion: v1\nkind: Service\nmetadata: {name: istio-eastwestgateway, namespace: default}\nspec:\n  type: LoadBalancer\n  ports: [{name: tls, port: 15443}]\n"
        self.kubectl("apply", "-f", "-", input=svc)
        ip = self.kubectl("get", "svc", "istio-eastwestgateway", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}").stdout
        self.assertIn(ipaddress.ip_address(ip), ipaddress.ip_network("127.0.20.0/24"))
        self.assertIn("service/istio-eastwestgateway condition met",
                      self.kubectl("wait", "--for=jsonpath={.status.loadBalancer.ingress}", "service/istio-eastwestgateway", "--timeout=5s").stdout)
        sa = ("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: istio-reader-service-account, namespace: default}\n---\n"
              "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata:\n  name: reader-token\n"
              "  namespace: default\n  annotations: {kubernetes.io/service-account.name: istio-reader-service-account}\n")
        self.kubectl("apply", "-f", "-", input=sa)
        data = json.loads(self.kubectl("get", "secret", "reader-token", "-o", "json").stdout)["data"]
        self.assertEqual(sorted(data), ["ca.crt", "namespace", "token"])
        token = self.kubectl("create", "token", "istio-reader-service-account", "--audience", "istio-ca", "--duration", "3600s").stdout.strip()
        self.assertEqual(token.count("."), 2)
        r = self.kubectl("create", "token", "nobody")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: failed to create token: serviceaccounts "nobody" not found\n'))
        # a kubeconfig built from the SA token works; a made-up token does not
        server = load_yaml(os.path.join(self.home, ".kube", "config"))["clusters"][0]["cluster"]
        kc = os.path.join(self.tmp, "sa.kubeconfig")
        for tok, code in ((token, 0), ("made-up", 1)):
            with open(kc, "w") as f:
                yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "sa",
                                "clusters": [{"name": "c", "cluster": server}],
                                "contexts": [{"name": "sa", "context": {"cluster": "c", "user": "u"}}],
                                "users": [{"name": "u", "user": {"token": tok}}]}, f)
            r = self.run_tool("kubectl", "--kubeconfig", kc, "get", "ns", "default", "-o", "name")
            self.assertEqual(r.returncode, code, r.stderr)
        self.assertEqual(r.stderr, "error: You must be logged in to the server (Unauthorized)\n")
        with open(kc, "w") as f:
            yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "sa",
                            "clusters": [{"name": "c", "cluster": {"server": server["server"], "certificate-authority-data": "eA=="}}],
                            "contexts": [{"name": "sa", "context": {"cluster": "c", "user": "u"}}],
                            "users": [{"name": "u", "user": {"token": token}}]}, f)
        r = self.run_tool("kubectl", "--kubeconfig", kc, "get", "ns")
        self.assertIn("x509: certificate signed by unknown authority", r.stderr)
        internal = self.ok("kind", "get", "kubeconfig", "--name", "one", "--internal").stdout
        with open(kc, "w") as f:
            f.write(internal)
        r = self.run_tool("kubectl", "--kubeconfig", kc, "get", "ns")
        self.assertEqual((r.returncode, r.stderr), (1, "Unable to connect to the server: dial tcp: lookup one-control-plane: no such host\n"))

    def install_argocd(self):
        install = os.path.join(HERE, "testdata", "argocd-install-min.yaml")
        self.kubectl("create", "namespace", "argocd")
        r = self.kubectl("apply", "-n", "argocd", "--server-side", "--force-conflicts", "-f", install)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def register_cluster(self, name):
        """What argocd/register/<c> does: a ServiceAccount token on kind cluster `name` and an Argo CD
        cluster Secret for it (labelled for cell "smoke") on the current cluster."""
        k = ["--context", "kind-" + name]
        self.ok("kubectl", *k, "apply", "-f", "-", input=(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: argocd-manager, namespace: kube-system}\n---\n"
            "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata:\n  name: argocd-manager-token\n"
            "  namespace: kube-system\n  annotations: {kubernetes.io/service-account.name: argocd-manager}\n"))
        import base64
        token = base64.b64decode(self.ok("kubectl", *k, "-n", "kube-system", "get", "secret", "argocd-manager-token",
                                         "-o", "jsonpath={.data.token}").stdout).decode()
        server = yaml.safe_load(self.ok("kind", "get", "kubeconfig", "--name", name, "--internal").stdout)["clusters"][0]["cluster"]["server"]
        secret = f"""apiVersion: v1
kind: Secret
metadata:
  name: cluster-{name}
  namespace: argocd
  labels: {{argocd.argoproj.io/secret-type: cluster, meshlab.dev/cell: smoke}}
stringData:
  name: {name}
  server: {server}
  config: '{{"bearerToken": "{token}", "tlsClientConfig": {{"insecure": false, "caData": "x"}}}}'
"""
        self.assertEqual(self.kubectl("apply", "-f", "-", input=secret).returncode, 0)

    def app_statuses(self):
        out = json.loads(self.kubectl("-n", "argocd", "get", "applications", "-o", "json").stdout)
        return {a["metadata"]["name"]: ((a.get("status") or {}).get("sync", {}).get("status"),
                                        (a.get("status") or {}).get("health", {}).get("status"),
                                        REFRESH in (a["metadata"].get("annotations") or {})) for a in out["items"]}

    def test_argocd_flow(self):
        self.kind_cluster("two")
        r = self.install_argocd()
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/applications.argoproj.io serverside-applied", r.stdout)
        r = self.kubectl("wait", "--for=condition=Available", "deployment", "--all", "-n", "argocd", "--timeout=10s")
        self.assertIn("deployment.apps/argocd-server condition met", r.stdout)
        self.assertIn("successfully", self.kubectl("-n", "argocd", "rollout", "status", "statefulset/argocd-application-controller", "--timeout=10s").stdout + "successfully")
        pw = self.kubectl("-n", "argocd", "get", "secret", "argocd-initial-admin-secret", "-o", "jsonpath={.data.password}").stdout
        self.assertTrue(pw)
        k2 = ["--context", "kind-two"]
        self.register_cluster("two")
        apps = f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: httpbin-two, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: https://github.com/istio/istio, path: samples/httpbin, targetRevision: "1.30.3"}}
  destination: {{name: two, namespace: httpbin}}
  syncPolicy: {{syncOptions: [CreateNamespace=true]}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: lost, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: https://github.com/istio/istio, path: samples/httpbin}}
  destination: {{name: nowhere, namespace: httpbin}}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {{name: istio-base, namespace: argocd}}
spec:
  goTemplate: true
  generators: [{{clusters: {{selector: {{matchLabels: {{meshlab.dev/cell: smoke}}}}}}}}]
  template:
    metadata: {{name: 'istio-base-{{{{.name}}}}'}}
    spec:
      project: default
      source: {{repoURL: https://istio-release.storage.googleapis.com/charts, chart: base, targetRevision: 1.30.3}}
      destination: {{server: '{{{{.server}}}}', namespace: istio-system}}
      syncPolicy: {{syncOptions: [CreateNamespace=true]}}
"""
        self.assertEqual(self.kubectl("apply", "-f", "-", input=apps).returncode, 0)

        def statuses():
            return {name: status[:2] for name, status in self.app_statuses().items()}

        first = statuses()
        self.assertEqual(first["httpbin-two"], ("OutOfSync", "Missing"))
        self.assertEqual(first["lost"], ("Unknown", "Unknown"))
        second = statuses()
        self.assertEqual(second["httpbin-two"], ("Synced", "Healthy"))
        self.assertEqual(second["istio-base-two"], ("Synced", "Healthy"))
        msg = self.kubectl("-n", "argocd", "get", "application", "lost", "-o", "jsonpath={.status.conditions[0].message}").stdout
        self.assertIn("there are no clusters with this name: nowhere", msg)
        # the sync had effects on cluster two: namespaces and Istio CRDs
        self.assertEqual(self.ok("kubectl", *k2, "get", "ns", "httpbin", "-o", "name").stdout, "namespace/httpbin\n")
        self.assertIn("destinationrules.networking.istio.io", self.ok("kubectl", *k2, "get", "crd", "-o", "name").stdout)
        # a pinned failure is reported with its message
        self.ok("fakectl", "app-health", "httpbin-two", "--sync", "OutOfSync", "--health", "Degraded", "--message", "boom")
        self.assertEqual(statuses()["httpbin-two"], ("OutOfSync", "Degraded"))
        r = self.kubectl("wait", "--for=jsonpath={.status.health.status}=Healthy", "application/httpbin-two", "-n", "argocd", "--timeout=1s")
        self.assertEqual((r.returncode, r.stderr), (1, "error: timed out waiting for the condition on application.argoproj.io/httpbin-two\n"))

    def sync_httpbin_onto_two(self, finalizers=()):
        """Argo CD on kind-one, kind cluster two registered, Application httpbin-two synced onto it."""
        self.kind_cluster("two")
        self.install_argocd()
        self.register_cluster("two")
        app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: httpbin-two, namespace: argocd, "
               f"finalizers: {json.dumps(list(finalizers))}}}\n"
               "spec:\n  project: default\n  source: {repoURL: https://github.com/istio/istio, path: samples/httpbin}\n"
               "  destination: {name: two, namespace: httpbin}\n  syncPolicy: {syncOptions: [CreateNamespace=true]}\n")
        self.assertEqual(self.kubectl("apply", "-f", "-", input=app).returncode, 0)
        self.app_statuses()
        self.assertEqual(self.app_statuses()["httpbin-two"], ("Synced", "Healthy", False))

    def test_argocd_resources_finalizer_takes_back_what_the_app_deployed(self):
        self.sync_httpbin_onto_two(finalizers=["resources-finalizer.argocd.argoproj.io"])
        k2 = ["--context", "kind-two"]
        self.ok("kubectl", *k2, "get", "deployment", "httpbin", "-n", "httpbin")
        self.assertEqual(self.kubectl("delete", "application.argoproj.io", "httpbin-two", "-n", "argocd").returncode, 0)
        r = self.run_tool("kubectl", *k2, "get", "deployment", "httpbin", "-n", "httpbin")
        self.assertEqual((r.returncode, r.stderr), (1, 'Error from server (NotFound): deployments.apps "httpbin" not found\n'))
        # The namespace CreateNamespace=true made stays, as Argo CD leaves it.
        self.assertEqual(self.ok("kubectl", *k2, "get", "ns", "httpbin", "-o", "name").stdout, "namespace/httpbin\n")

    def test_argocd_status_of_a_recreated_cluster_is_stale_until_refreshed(self):
        """Argo CD does not notice by itself that an app's cluster came back empty: its status stays
        Synced/Healthy until a refresh is asked for; the controller takes the annotation off one
        read later, finds the app's resources missing and syncs them onto the new cluster."""
        self.sync_httpbin_onto_two()
        k2 = ["--context", "kind-two"]
        self.ok("kind", "delete", "cluster", "--name", "two")
        self.kind_cluster("two")
        self.register_cluster("two")
        self.assertEqual(self.run_tool("kubectl", *k2, "get", "ns", "httpbin").returncode, 1)
        self.assertEqual(self.app_statuses()["httpbin-two"], ("Synced", "Healthy", False), "stale, as Argo CD's")
        r = self.kubectl("annotate", "-n", "argocd", "--overwrite", "application.argoproj.io", "httpbin-two",
                         REFRESH + "=hard")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.app_statuses()["httpbin-two"], ("Synced", "Healthy", True), "not refreshed yet")
        self.assertEqual(self.app_statuses()["httpbin-two"], ("OutOfSync", "Missing", False))
        self.assertEqual(self.app_statuses()["httpbin-two"], ("Synced", "Healthy", False))
        self.assertEqual(self.ok("kubectl", *k2, "get", "ns", "httpbin", "-o", "name").stdout, "namespace/httpbin\n")

    def test_config_subcommands_on_real_files(self):
        kc = os.path.join(self.home, ".kube", "config")
        r = self.ok("kubectl", "config", "get-contexts", "-o", "name")
        self.assertEqual(r.stdout, "kind-one\n")
        self.assertEqual(self.ok("kubectl", "config", "rename-context", "kind-one", "lab-one").stdout, 'Context "kind-one" renamed to "lab-one".\n')
        self.assertEqual(self.ok("kubectl", "config", "use-context", "lab-one").stdout, 'Switched to context "lab-one".\n')
        r = self.run_tool("kubectl", "config", "use-context", "nope")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: no context exists with the name: "nope"\n'))
        flat = yaml.safe_load(self.ok("kubectl", "config", "view", "--raw", "--flatten", "--minify", "--context", "lab-one").stdout)
        self.assertEqual(flat["current-context"], "lab-one")
        self.assertNotEqual(flat["users"][0]["user"]["client-certificate-data"], "DATA+OMITTED")
        redacted = yaml.safe_load(self.ok("kubectl", "config", "view").stdout)
        self.assertEqual(redacted["users"][0]["user"]["client-certificate-data"], "DATA+OMITTED")
        self.assertEqual(self.ok("kubectl", "config", "view", "-o", "jsonpath={.contexts[0].name}").stdout, "lab-one")
        self.assertEqual(self.ok("kubectl", "get", "ns", "default", "-o", "name").stdout, "namespace/default\n")
        r = self.ok("kubectl", "config", "delete-context", "lab-one")
        self.assertEqual(r.stdout, f"deleted context lab-one from {kc}\n")
        self.assertIn('warning: this removed your active context', r.stderr)
        r = self.run_tool("kubectl", "config", "delete-context", "lab-one")
        self.assertEqual((r.returncode, r.stderr), (1, f"error: cannot delete context lab-one, not in {kc}\n"))
        self.assertEqual(self.ok("kubectl", "config", "delete-cluster", "kind-one").stdout, f"deleted cluster kind-one from {kc}\n")
        self.assertEqual(self.ok("kubectl", "config", "delete-user", "kind-one").stdout, f"deleted user kind-one from {kc}\n")
        self.assertEqual(self.ok("kubectl", "config", "set-cluster", "c", "--server=https://127.0.0.1:9").stdout, 'Cluster "c" set.\n')
        self.assertEqual(self.ok("kubectl", "config", "set-credentials", "u", "--token=t").stdout, 'User "u" set.\n')
        self.assertEqual(self.ok("kubectl", "config", "set-context", "x", "--cluster=c", "--user=u").stdout, 'Context "x" created.\n')
        if os.path.exists(REAL_KUBECTL):
            real = subprocess.run([REAL_KUBECTL, "config", "view", "--kubeconfig", kc], capture_output=True, text=True)
            self.assertEqual(real.returncode, 0, real.stderr)
        with open(kc, "w") as f:
            f.write("clusters: [oops\n")
        r = self.run_tool("kubectl", "config", "view")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith(f'error: error loading config file "{kc}": yaml: '), r.stderr)
        self.assertEqual(read(kc), "clusters: [oops\n")

    def test_kubeconfig_list_merge(self):
        a = os.path.join(self.tmp, "a")
        self.ok("fakectl", "external-cluster", "prod", "--kubeconfig", a, "--nodes", "2", "--label", "topology.kubernetes.io/region=eu")
        env = {"KUBECONFIG": a + os.pathsep + os.path.join(self.home, ".kube", "config")}
        self.assertEqual(self.ok("kubectl", "config", "get-contexts", "-o", "name", env=env).stdout, "kind-one\nprod\n")
        nodes = self.ok("kubectl", "--context", "prod", "get", "nodes", "-o", "name", env=env).stdout
        self.assertEqual(nodes, "node/prod-node-0\nnode/prod-node-1\n")
        self.ok("fakectl", "cluster-down", "external/prod")
        r = self.run_tool("kubectl", "--context", "prod", "get", "nodes", env=env)
        self.assertIn("was refused", r.stderr)
        if os.path.exists(REAL_KUBECTL):
            real = subprocess.run([REAL_KUBECTL, "config", "view", "--kubeconfig", a], capture_output=True, text=True)
            self.assertEqual(real.returncode, 0, real.stderr)


class TestHelm(FakeTestCase):
    def test_helm_flows(self):
        self.ok("kind", "create", "cluster", "--name", "one", "-q")
        self.assertEqual(self.ok("helm", "version", "--short").stdout, "v4.1.4+g05fa379\n")
        r = self.run_tool("helm", "repo", "update")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: no repositories found. You must add one before updating\n"))
        url = "https://istio-release.storage.googleapis.com/charts"
        self.assertEqual(self.ok("helm", "repo", "add", "istio", url).stdout, '"istio" has been added to your repositories\n')
        self.assertEqual(self.ok("helm", "repo", "add", "istio", url).stdout, '"istio" already exists with the same configuration, skipping\n')
        r = self.run_tool("helm", "repo", "add", "istio", "https://example.invalid")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: repository name (istio) already exists, please specify a different name\n"))
        self.assertIn("Update Complete. ⎈Happy Helming!⎈", self.ok("helm", "repo", "update").stdout)
        base = ["upgrade", "--install", "istiod", "istio/istiod", "--kube-context", "kind-one", "-n", "istio-system", "--version", "1.30.3"]
        r = self.run_tool("helm", *base)
        self.assertEqual((r.returncode, r.stderr), (1, 'Error: create: failed to create: namespaces "istio-system" not found\n'))
        r = self.ok("helm", *base, "--create-namespace", "--wait", "--timeout", "10m")
        self.assertTrue(r.stdout.startswith('Release "istiod" does not exist. Installing it now.\nNAME: istiod\n'))
        r = self.ok("helm", *base)
        self.assertTrue(r.stdout.startswith('Release "istiod" has been upgraded. Happy Helming!\n'))
        self.assertIn("REVISION: 2", r.stdout)
        rel = json.loads(self.ok("helm", "list", "-n", "istio-system", "--kube-context", "kind-one", "-o", "json").stdout)
        self.assertEqual([(x["name"], x["revision"], x["status"], x["chart"], x["app_version"]) for x in rel],
                         [("istiod", "2", "deployed", "istiod-1.30.3", "1.30.3")])
        self.assertEqual(self.ok("helm", "uninstall", "istiod", "-n", "istio-system", "--kube-context", "kind-one").stdout,
                         'release "istiod" uninstalled\n')
        r = self.run_tool("helm", "status", "istiod", "-n", "istio-system", "--kube-context", "kind-one", "-o", "json")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: release: not found\n"))
        r = self.run_tool("helm", "install", "x", "y", "--bogus")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: unknown flag: --bogus\n"))
        r = self.run_tool("helm", "list", "--kube-context", "nope")
        self.assertEqual(r.stderr, 'Error: kubernetes cluster unreachable: context "nope" does not exist\n')


class TestFaultsAndLatency(FakeTestCase):
    def test_fail_matching_launch_once(self):
        self.ok("fakectl", "fail", "multipass", "launch", "--match", "kube-02", "--times", "1", "--exit", "2",
                "--stderr", "launch failed: Remote \"\" is unknown or unreachable.")
        self.ok("multipass", "launch", "--name", "kube-01")
        r = self.run_tool("multipass", "launch", "--name", "kube-02")
        self.assertEqual((r.returncode, r.stderr), (2, 'launch failed: Remote "" is unknown or unreachable.\n'))
        self.ok("multipass", "launch", "--name", "kube-02")
        self.assertEqual(json.loads(self.ok("fakectl", "faults").stdout)["rules"], [])
        self.assertEqual(self.calls("multipass")[1]["exit"], 2)

    def test_hang_and_corrupt(self):
        self.ok("fakectl", "hang", "kubectl", "apply", "--seconds", "30")
        t0 = time.time()
        with self.assertRaises(subprocess.TimeoutExpired):
            self.run_tool("kubectl", "apply", "-f", "-", input="", timeout=1.5)
        self.assertLess(time.time() - t0, 10)
        self.ok("fakectl", "clear-faults")
        self.ok("multipass", "launch", "--name", "a")
        self.ok("fakectl", "corrupt", "multipass", "list", "--times", "1")
        with self.assertRaises(ValueError):
            json.loads(self.ok("multipass", "list", "--format", "json").stdout)
        json.loads(self.ok("multipass", "list", "--format", "json").stdout)
        self.ok("fakectl", "fail", "kubectl", "apply", "--stdin-match", "kind: Secret", "--stderr", "boom")
        self.ok("kind", "create", "cluster", "--name", "one", "-q")
        self.assertEqual(self.run_tool("kubectl", "apply", "-f", "-", input="apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n").stderr, "boom\n")
        self.assertEqual(self.run_tool("kubectl", "apply", "-f", "-", input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s, namespace: default}\n").returncode, 0)

    def test_latency_model(self):
        env = {"MESHLAB_FAKE_LATENCY": "1", "MESHLAB_FAKE_LATENCY_SCALE": "0.02"}
        t0 = time.time()
        self.ok("multipass", "launch", "--name", "slow", env=env)
        self.assertGreaterEqual(time.time() - t0, 60 * 0.02)
        r = self.run_tool("multipass", "launch", "--name", "slower", "--timeout", "1",
                          env={"MESHLAB_FAKE_LATENCY": "1", "MESHLAB_FAKE_LATENCY_SCALE": "0.1"})
        self.assertEqual((r.returncode, r.stderr), (5, "Timed out waiting for instance launch.\n"))
        # the daemon goes on launching: the instance shows up as Starting, then Running
        lst = {e["name"]: e["state"] for e in json.loads(self.ok("multipass", "list", "--format", "json").stdout)["list"]}
        self.assertEqual(lst["slower"], "Starting")


class TestFakectl(FakeTestCase):
    def test_world_is_empty_after_teardown(self):
        self.kind_cluster("east")
        self.ok("multipass", "launch", "--name", "vm")
        self.ok("docker", "run", "-d", "--name", "cache", "-v", "cache:/var/lib/registry", "registry:2")
        world = json.loads(self.ok("fakectl", "world").stdout)
        self.assertEqual(world["kind_clusters"], ["east"])
        self.assertEqual(world["api_clusters"], ["kind/east"])
        self.assertEqual(world["multipass_instances"], {"vm": "Running"})
        self.ok("kind", "delete", "cluster", "--name", "east")
        self.ok("multipass", "delete", "--purge", "vm")
        self.ok("docker", "rm", "-f", "cache")
        self.ok("docker", "volume", "rm", "cache")
        world = json.loads(self.ok("fakectl", "world").stdout)
        self.assertEqual(world, {"multipass_instances": {}, "kind_clusters": [], "containers": {}, "networks": ["kind"],
                                 "volumes": [], "api_clusters": [], "helm_releases": []})
        self.assertEqual(json.loads(self.ok("fakectl", "state", "counters").stdout)["ips"].get("vm"), {})

MESH_KIND = """kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: {name}
nodes:
""" 

MESH_APPS = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod, namespace: istio-system, labels: {{app: istiod, istio.io/rev: default}}}}
spec:
  selector: {{matchLabels: {{app: istiod}}}}
  template: {{metadata: {{labels: {{app: istiod}}}}, spec: {{containers: [{{name: discovery, image: docker.io/istio/pilot}}]}}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: sample, labels: {{istio-injection: enabled}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: helloworld, namespace: sample}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: helloworld}}}}
  template:
    metadata: {{labels: {{app: helloworld, version: v1}}}}
    spec: {{containers: [{{name: helloworld, image: docker.io/istio/examples-helloworld-v1}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: helloworld, namespace: sample}}
spec: {{selector: {{app: helloworld}}, ports: [{{name: http, port: 5000}}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: sleep, namespace: sample}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: sleep}}}}
  template:
    metadata: {{labels: {{app: sleep}}}}
    spec: {{containers: [{{name: sleep, image: curlimages/curl}}]}}
"""


class TestMesh(FakeTestCase):
    """meshnet.py: curl in pods and VMs answered by the fake mesh (cross-cluster, locality, VMs, drains)."""

    URL = "http://helloworld.sample.svc.cluster.local:5000/hello"

    def setUp(self):
        super().setUp()
        zones = {"east": ["east/zone1", "east/zone2"], "west": ["west/zone3"]}
        for name, localities in zones.items():
            config = MESH_KIND.format(name=name)
            # As in labs/kind-locality.yaml: with several zones, a worker per zone (kind's control
            # plane keeps its NoSchedule taint then); with one, a lone control plane runs everything.
            nodes = [("control-plane", loc) for loc in localities] if len(localities) == 1 else \
                [("control-plane", None)] + [("worker", loc) for loc in localities]
            for role, loc in nodes:
                config += f"  - role: {role}\n"
                if loc:
                    region, zone = loc.split("/")
                    config += (f"    labels:\n      topology.kubernetes.io/region: {region}\n"
                               f"      topology.kubernetes.io/zone: {zone}\n")
            self.ok("kind", "create", "cluster", "--name", name, "--config", "-", input=config)
            self.ok("helm", "repo", "add", "istio", "https://istio-release.storage.googleapis.com/charts")
            self.ok("helm", "upgrade", "--install", "istio-base", "istio/base", "--kube-context", f"kind-{name}",
                    "-n", "istio-system", "--create-namespace")
            self.ok("kubectl", "--context", f"kind-{name}", "apply", "-f", "-",
                    input=MESH_APPS.format(replicas=len(localities)))

    def join(self, cluster, peer):
        """A remote secret in `cluster` for `peer`, as istioctl create-remote-secret makes it."""
        server = yaml.safe_load(self.ok("kind", "get", "kubeconfig", "--name", peer, "--internal").stdout)["clusters"][0]["cluster"]["server"]
        config = yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": [{"name": peer, "cluster": {"server": server}}],
                                 "users": [{"name": peer, "user": {"token": "t"}}],
                                 "contexts": [{"name": peer, "context": {"cluster": peer, "user": peer}}], "current-context": peer})
        secret = {"apiVersion": "v1", "kind": "Secret",
                  "metadata": {"name": f"istio-remote-secret-{peer}", "namespace": "istio-system",
                               "labels": {"istio/multiCluster": "true"}}, "stringData": {peer: config}}
        self.ok("kubectl", "--context", f"kind-{cluster}", "apply", "-f", "-", input=json.dumps(secret))

    def pods(self, cluster, selector):
        out = self.ok("kubectl", "--context", f"kind-{cluster}", "get", "pods", "-n", "sample", "-l", selector, "-o", "json").stdout
        return json.loads(out)["items"]

    def curl(self, n, url=None, cluster="east", container="sleep"):
        pod = self.pods(cluster, "app=sleep")[0]["metadata"]["name"]
        r = self.run_tool("kubectl", "--context", f"kind-{cluster}", "exec", "-n", "sample", pod, "-c", container, "--",
                          "curl", "-sS", "-m", "5", "-w", r"\n#meshlab-status %{http_code}\n", *([url or self.URL] * n))
        return r, [line.rsplit(" ", 1)[1] for line in r.stdout.splitlines() if line.startswith("Hello version")]

    def by_cluster(self):
        return {c: [p["metadata"]["name"] for p in self.pods(c, "app=helloworld")] for c in ("east", "west")}

    def drain(self, cluster, pod):
        return self.ok("kubectl", "--context", f"kind-{cluster}", "exec", "-n", "sample", pod, "-c", "istio-proxy", "--",
                       "curl", "-sS", "-X", "POST", "http://127.0.0.1:15000/drain_listeners?inboundonly")

    def test_sidecars_are_injected_in_labelled_namespaces(self):
        pod = self.pods("east", "app=sleep")[0]
        self.assertEqual([c["name"] for c in pod["spec"]["containers"]], ["sleep", "istio-proxy"])
        self.assertEqual(pod["metadata"]["labels"]["security.istio.io/tlsMode"], "istio")
        self.ok("kubectl", "--context", "kind-east", "apply", "-f", "-", input=(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\n"
            "spec: {replicas: 1, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: x}]}}}\n"))
        web = json.loads(self.ok("kubectl", "--context", "kind-east", "get", "pods", "-n", "default", "-o", "json").stdout)["items"]
        self.assertEqual([c["name"] for c in web[0]["spec"]["containers"]], ["web"])

    def test_injection_needs_the_revisions_istiod(self):
        """No istiod of the namespace's revision, no webhook: pods start without a sidecar, and
        stay so when istiod comes later; pods created after it get one."""
        kubectl = ["kubectl", "--context", "kind-east"]

        def web(name, ns):
            return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                               "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                                   "metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": "x"}]}}}})

        def containers(ns, app):
            out = self.ok(*kubectl, "get", "pods", "-n", ns, "-l", f"app={app}", "-o", "json").stdout
            return [[c["name"] for c in p["spec"]["containers"]] for p in json.loads(out)["items"]]

        self.ok(*kubectl, "apply", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata: {name: rev, labels: "
                "{istio.io/rev: 1-30-3}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: optout, labels: "
                "{istio-injection: disabled, istio.io/rev: default}}\n")
        self.ok(*kubectl, "apply", "-f", "-", input=web("early", "rev") + "\n---\n" + web("optout", "optout"))
        self.assertEqual(containers("rev", "early"), [["early"]])  # only the default revision's istiod runs
        self.assertEqual(containers("optout", "optout"), [["optout"]])  # istio-injection=disabled wins over istio.io/rev
        self.ok(*kubectl, "apply", "-f", "-", input=(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod-1-30-3, namespace: istio-system, "
            "labels: {app: istiod, istio.io/rev: 1-30-3}}\nspec: {selector: {matchLabels: {app: istiod}}, template: "
            "{metadata: {labels: {app: istiod}}, spec: {containers: [{name: discovery, image: x}]}}}\n"))
        self.ok(*kubectl, "apply", "-f", "-", input=web("late", "rev"))
        self.assertEqual(containers("rev", "early"), [["early"]])
        self.assertEqual(containers("rev", "late"), [["late", "istio-proxy"]])
        # The default revision's istiod gone: a new pod in an istio-injection=enabled namespace has no sidecar.
        self.ok(*kubectl, "-n", "istio-system", "delete", "deployment", "istiod")
        self.ok(*kubectl, "-n", "sample", "delete", "pod", "-l", "app=sleep")
        self.assertEqual(containers("sample", "sleep"), [["sleep"]])

    def test_requests_spread_over_the_clusters_of_the_mesh(self):
        pods = self.by_cluster()
        r, answers = self.curl(6)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(set(answers), set(pods["east"]))  # no remote secret yet: own cluster only
        self.assertEqual(r.stdout.count("#meshlab-status 200\n"), 6)
        self.join("east", "west")
        _, answers = self.curl(6)
        self.assertEqual(set(answers), set(pods["east"] + pods["west"]))
        self.ok("fakectl", "mesh-fault", "local-only")
        _, answers = self.curl(6)
        self.assertEqual(set(answers), set(pods["east"]))

    def test_unknown_service_does_not_resolve(self):
        r, _ = self.curl(1, url="http://nope.sample.svc.cluster.local:5000/")
        self.assertEqual(r.returncode, 6)
        self.assertIn("curl: (6) Could not resolve host: nope.sample.svc.cluster.local", r.stderr)
        self.assertTrue(r.stdout.endswith("#meshlab-status 000\n"))

    def test_failover_follows_drains_and_recovers_when_pods_are_recreated(self):
        self.join("east", "west")
        self.ok("kubectl", "--context", "kind-east", "apply", "-f", "-", input=json.dumps({
            "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "helloworld", "namespace": "sample"},
            "spec": {"host": "helloworld.sample.svc.cluster.local", "trafficPolicy": {
                "loadBalancer": {"localityLbSetting": {"enabled": True, "failover": [{"from": "east", "to": "west"}]}},
                "outlierDetection": {"consecutive5xxErrors": 1, "interval": "1s", "baseEjectionTime": "1m"}}}}))
        pods = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in self.pods("east", "app=helloworld")}
        zone1 = next(n for n, node in pods.items() if node == "east-worker")  # the zone1 worker
        zone2 = next(n for n in pods if n != zone1)
        west = self.by_cluster()["west"]
        self.assertEqual(set(self.curl(6)[1]), {zone1})  # sleep runs in east/zone1
        self.assertEqual(self.drain("east", zone1).stdout, "OK\n")
        self.assertEqual(set(self.curl(6)[1]), {zone2})  # same region next
        self.drain("east", zone2)
        self.assertEqual(set(self.curl(6)[1]), set(west))  # then the failover region
        self.ok("fakectl", "mesh-fault", "no-failover")
        self.assertEqual(set(self.curl(6)[1]), {zone1})
        self.ok("fakectl", "mesh-fault", "no-failover", "--clear")
        self.ok("kubectl", "--context", "kind-east", "delete", "pod", "-n", "sample", zone1, zone2)
        self.ok("kubectl", "--context", "kind-east", "wait", "--for=condition=Ready", "pod", "-n", "sample",
                "-l", "app=helloworld", "--timeout=60s")
        self.assertEqual(set(self.curl(6)[1]), {zone1})  # recreated pods are not drained

    def test_drain_needs_the_proxy_container_and_post(self):
        pod = self.pods("east", "app=helloworld")[0]["metadata"]["name"]
        r = self.run_tool("kubectl", "--context", "kind-east", "exec", "-n", "sample", pod, "-c", "helloworld", "--",
                          "curl", "-sS", "-X", "POST", "http://127.0.0.1:15000/drain_listeners")
        self.assertEqual(r.returncode, 7)
        r = self.ok("kubectl", "--context", "kind-east", "exec", "-n", "sample", pod, "-c", "istio-proxy", "--",
                    "curl", "-sS", "-w", "%{http_code}", "http://127.0.0.1:15000/drain_listeners")
        self.assertTrue(r.stdout.endswith("405"))

    def test_distribute_follows_the_weights(self):
        self.join("east", "west")
        self.ok("kubectl", "--context", "kind-east", "apply", "-f", "-", input=json.dumps({
            "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "helloworld", "namespace": "sample"},
            "spec": {"host": "helloworld.sample.svc.cluster.local", "trafficPolicy": {"loadBalancer": {"localityLbSetting": {
                "enabled": True, "distribute": [{"from": "east/zone1/*", "to": {"east/zone1/*": 20, "west/zone3/*": 80}}]}}}}}))
        west = set(self.by_cluster()["west"])
        _, answers = self.curl(100)
        self.assertEqual(sum(1 for a in answers if a in west), 80)
        self.ok("fakectl", "mesh-fault", "even-split")
        _, answers = self.curl(100)
        self.assertIn(sum(1 for a in answers if a in west), (33, 34))  # 3 endpoints, round robin

    def test_vm_and_mesh_reach_each_other_once_the_vm_joined(self):
        self.ok("multipass", "launch", "--name", "virt-01", "24.04")
        ip = json.loads(self.ok("multipass", "info", "virt-01", "--format", "json").stdout)["info"]["virt-01"]["ipv4"][0]
        out_args = ["exec", "-n", "virt-01", "--", "curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", self.URL]
        r = self.run_tool("multipass", *out_args)
        self.assertEqual((r.returncode, r.stdout), (6, "000"))  # not joined: the mesh's names do not resolve
        self.ok("kubectl", "--context", "kind-east", "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry",
             "metadata": {"name": f"httpbin-{ip}", "namespace": "sample"},
             "spec": {"address": ip, "labels": {"app": "httpbin", "vm": "virt-01"}, "locality": "east/zone1/virt-01"}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "virt-01-httpbin", "namespace": "sample"},
             "spec": {"selector": {"vm": "virt-01"}, "ports": [{"name": "http", "port": 8080}]}}]}))
        r = self.ok("multipass", *out_args)
        self.assertEqual(r.stdout, "200")
        vm_url = "http://virt-01-httpbin.sample.svc.cluster.local:8080/"
        r, _ = self.curl(1, url=vm_url)
        self.assertIn("<title>httpbin-", r.stdout)
        self.assertTrue(r.stdout.endswith("#meshlab-status 200\n"))
        self.ok("fakectl", "mesh-fault", "vm-unreachable")
        r = self.run_tool("multipass", *out_args)
        self.assertEqual((r.returncode, r.stdout), (28, "000"))
        r, _ = self.curl(1, url=vm_url)
        self.assertTrue(r.stdout.endswith("#meshlab-status 503\n"))


class TestIngressTls(FakeTestCase):
    """ingress_tls.py: HTTPS on the fake ingress gateway's address, certificate by SNI from the cluster's tls secrets."""

    HOST = "httpbin.blau.demo.lab"

    def make_ca(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)  # noqa: E731
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-subj", f"/CN={name}", "-days", "2",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-addext", "basicConstraints=critical,CA:TRUE")
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls.key",
            "-out", "tls.csr", "-subj", f"/CN={self.HOST}")
        with open(os.path.join(d, "ext"), "w") as f:
            f.write(f"subjectAltName=DNS:{self.HOST}\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                    "authorityKeyIdentifier=keyid\n")
        run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt",
            "-days", "1", "-extfile", "ext")
        return d

    def secret(self, d):
        def b64(name):
            with open(os.path.join(d, name), "rb") as f:
                return base64.b64encode(f.read()).decode()
        self.ok("kubectl", "--context", "kind-one", "apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": self.HOST.replace(".", "-") + "-tls", "namespace": "istio-system"},
            "data": {"tls.crt": b64("tls.crt"), "tls.key": b64("tls.key")}}))

    def get(self, url, cafile, host):
        u = urllib.parse.urlsplit(url)
        ctx = ssl.create_default_context(cafile=cafile)
        with socket.create_connection((u.hostname, u.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                return tls.recv(4096).decode()

    def test_serves_the_hosts_certificate_on_the_gateway_address(self):
        self.ok("kind", "create", "cluster", "--name", "one", "-q")
        self.ok("kubectl", "--context", "kind-one", "apply", "-f", "-", input=(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n---\n"
            "apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\n"
            "spec: {type: LoadBalancer, selector: {istio: ingressgateway}, ports: [{name: http2, port: 80}]}\n"))
        lab_ca, other_ca = self.make_ca("lab"), self.make_ca("other")
        self.secret(lab_ca)
        kubeconfig = os.path.join(self.home, ".kube", "config")
        gateway_tmp = os.path.join(self.tmp, "gateway-tmp")  # where it may stage the chain and key
        os.makedirs(gateway_tmp)
        proc = subprocess.Popen([os.path.join(HERE, "ingress_tls.py"), "--kubeconfig", kubeconfig, "--context", "kind-one",
                                 "--exit-on-stdin-eof"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=dict(self.env, TMPDIR=gateway_tmp))
        try:
            url = proc.stdout.readline().strip()
            u = urllib.parse.urlsplit(url)
            self.assertTrue(u.hostname.startswith("127.") and u.hostname != "127.0.0.1", url)
            svc = json.loads(self.ok("kubectl", "--context", "kind-one", "get", "service", "istio-ingressgateway",
                                     "-n", "istio-system", "-o", "json").stdout)
            self.assertEqual(svc["status"]["loadBalancer"]["ingress"][0]["ip"], u.hostname)
            self.assertIn({"name": "https", "port": u.port, "protocol": "TCP", "targetPort": 8443}, svc["spec"]["ports"])
            answer = self.get(url, os.path.join(lab_ca, "ca.crt"), self.HOST)
            self.assertTrue(answer.startswith("HTTP/1.1 200"), answer)
            self.assertEqual(os.listdir(gateway_tmp), [], "the host's key was left on disk")
            with self.assertRaises(ssl.SSLCertVerificationError):
                self.get(url, os.path.join(other_ca, "ca.crt"), self.HOST)
            with self.assertRaises(ssl.SSLError):
                self.get(url, os.path.join(lab_ca, "ca.crt"), "echo.blau.demo.lab")  # no secret for that host
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)
            proc.stdout.close()


    def test_refuses_to_listen_beyond_loopback(self):
        """The fake cluster only hands out 127.x addresses, but should a Service ever carry
        another one, the stand-in refuses it instead of binding a real interface."""
        import ingress_tls  # noqa: E402  (tests/fakes)
        self.assertEqual(ingress_tls.loopback_only("127.0.20.3", "service x"), "127.0.20.3")
        self.assertEqual(ingress_tls.loopback_only("::1", "service x"), "::1")
        for address in ("10.1.2.3", "0.0.0.0", "172.18.255.200", "localhost", "gw.example"):
            with self.assertRaises(SystemExit) as caught:
                ingress_tls.loopback_only(address, "service istio-system/istio-ingressgateway")
            self.assertEqual(str(caught.exception), (
                f"ingress_tls.py: refusing to listen on '{address}' (the LoadBalancer address of service "
                "istio-system/istio-ingressgateway): the meshlab fakes only use loopback addresses (127.0.0.0/8)"))


class TestAddresses(FakeTestCase):
    def test_every_address_is_loopback(self):
        self.k3s_vm("kube-01")
        self.kind_cluster("east")
        self.ok("docker", "run", "-d", "--name", "cache", "--network", "kind", "-p", "127.0.0.1:5001:5000", "registry:2")
        self.ok("kubectl", "--context", "kind-east", "apply", "-f", "-", input=(
            "apiVersion: v1\nkind: Service\nmetadata: {name: gw, namespace: default}\nspec: {type: LoadBalancer, ports: [{port: 80}]}\n"
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\n"
            "spec: {replicas: 2, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: x}]}}}\n"))
        self.ok("fakectl", "external-cluster", "ext", "--kubeconfig", os.path.join(self.tmp, "ext"))
        addrs = self.ok("fakectl", "addresses").stdout.split()
        self.assertGreater(len(addrs), 10)
        loopback = ipaddress.ip_network("127.0.0.0/8")
        for a in addrs:
            self.assertIn(ipaddress.ip_address(a), loopback, a)


if __name__ == "__main__":
    unittest.main()

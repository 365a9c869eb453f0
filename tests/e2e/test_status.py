#!/usr/bin/env python3
"""End to end: `meshlab status` through a lab's life, kind clusters coming back after their node
containers stopped, and `meshlab delete` taking back what launch installed on an external
cluster — against the fakes of tests/fakes (see harness.py).

Run: python3 tests/e2e/test_status.py BUILD/cli/meshlab [-v] [TestClass[.test_name]]
(ctest: e2e-status).
"""

import hashlib
import json
import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import harness  # noqa: E402
from harness import FAKES, HERE, lab_file, read, verb  # noqa: E402

MESHLAB = None  # set from argv in main
EXTERNAL_LAB = os.path.join(HERE, "data", "external.yaml")


class Case(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.sandbox = harness.Sandbox(MESHLAB)

    def tearDown(self):
        self.sandbox.close()

    def meshlab(self, *args, expect=0):
        result = self.sandbox.run(*args)
        if expect is not None:
            self.assertEqual(result.returncode, expect, f"meshlab {' '.join(args)}: {result!r}")
        return result

    def tool(self, *argv):
        """A fake tool run the way a person would (docker stop, multipass stop)."""
        r = subprocess.run([os.path.join(FAKES, argv[0])] + list(argv[1:]), capture_output=True, text=True,
                           env=self.sandbox.env, timeout=120)
        self.assertEqual(r.returncode, 0, f"{' '.join(argv)}: {r.stdout}{r.stderr}")
        return r.stdout

    def status(self, path):
        result = self.meshlab("status", "-f", path, "--output", "json")
        self.assertLess(result.elapsed, 20.0, "status is one quick round of calls")
        return json.loads(result.stdout)

    def machine(self, report, name):
        return next(m for m in report["machines"] if m["name"] == name)


class StatusLifecycle(Case):
    def test_kind_lab_absent_up_stopped_started_deleted(self):
        path = lab_file("ci-smoke")
        self.sandbox.prepare("ci-smoke")
        before = self.status(path)
        self.assertEqual([m["name"] for m in before["machines"]], ["one", "two"])
        for m in before["machines"]:
            self.assertEqual(m["state"], "absent")
            self.assertIsNone(m["nodes"])
            self.assertTrue(m["reasons"]["nodes"].startswith("not launched"), m)
            self.assertEqual(m["context"], "ci-smoke-" + m["name"])
        table = self.meshlab("status", "-f", path)
        self.assertIn("NAME", table.stdout.splitlines()[0])
        self.assertIn("unknown (-):", table.stdout)

        self.meshlab("launch", "-f", path)
        up = self.status(path)
        for m in up["machines"]:
            self.assertEqual(m["state"], "running", m)
            self.assertEqual(m["nodes"]["ready"], m["nodes"]["total"], m)
            self.assertGreater(m["nodes"]["total"], 0)
            self.assertTrue(m["address"].startswith("https://127.0.0.1:"), m)
            self.assertEqual(m["apps"]["synced"], m["apps"]["total"], m)
            self.assertEqual(m["apps"]["healthy"], m["apps"]["total"], m)
            self.assertGreater(m["apps"]["total"], 0, m)
            self.assertNotIn("state", m["reasons"])
            self.assertIn("istio", m)

        # A host reboot, as kind sees it: the node containers stop, the cluster stays listed.
        self.tool("docker", "stop", "ci-smoke-one-control-plane")
        stopped = self.status(path)
        one = self.machine(stopped, "one")
        self.assertEqual(one["state"], "stopped")
        self.assertIsNone(one["nodes"])
        self.assertIn("nodes", one["reasons"])
        self.assertEqual(self.machine(stopped, "two")["state"], "running")

        mark = len(self.sandbox.calls())
        self.meshlab("launch", "-f", path)
        again = self.sandbox.calls()[mark:]
        starts = [c["argv"] for c in again if c["tool"] == "docker" and verb(c) == "start"]
        self.assertEqual(starts, [["start", "ci-smoke-one-control-plane"]])
        self.assertEqual([c for c in again if c["tool"] == "kind" and verb(c) in ("create", "delete")], [])
        self.assertEqual(self.machine(self.status(path), "one")["state"], "running")

        self.meshlab("delete", "-f", path)
        after = self.status(path)
        for m in after["machines"]:
            self.assertEqual(m["state"], "absent")
            self.assertIsNone(m["apps"])

    def test_multipass_vm_stopped(self):
        path = lab_file("multi-primary")
        self.sandbox.prepare("multi-primary")
        self.meshlab("launch", "-f", path)
        up = self.status(path)
        vm = self.machine(up, "virt-01")
        self.assertEqual((vm["type"], vm["state"]), ("vm", "Running"))
        self.assertTrue(vm["address"].startswith("127.0.10."))
        for registry in up["registries"]:
            self.assertEqual(registry["state"], "running", registry)

        self.tool("multipass", "stop", "virt-01")
        stopped = self.status(path)
        vm = self.machine(stopped, "virt-01")
        self.assertEqual(vm["state"], "Stopped")
        self.assertIsNone(vm["address"])
        self.assertEqual(self.machine(stopped, "kube-01")["state"], "Running")
        table = self.meshlab("status", "-f", path).stdout
        self.assertRegex(table, r"virt-01\s+vm\s+multipass\s+Stopped\s+-")


class ExternalDelete(Case):
    def prepare_argocd(self, lab):
        """The Argo CD manifest in meshlab's download cache, as Sandbox.prepare does for labs/."""
        body = read(os.path.join(FAKES, "testdata", "argocd-install-min.yaml"), "rb")
        cache = os.path.join(self.sandbox.state_dir(lab), "cache")
        os.makedirs(cache, exist_ok=True)
        path = os.path.join(cache, "argocd-v3.5.1-install.yaml")
        with open(path, "wb") as f:
            f.write(body)
        url = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml"
        with open(path + ".sha256", "w") as f:
            f.write(f"{hashlib.sha256(body).hexdigest()}  {url}\n")

    def objects(self):
        lines = self.sandbox.fakectl("objects", "external/home", "--json").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def labelled(self, lab):
        return sorted(f"{o['kind']}/{o['metadata']['name']}" for o in self.objects()
                      if (o["metadata"].get("labels") or {}).get("meshlab.dev/lab") == lab)

    def kubectl(self, *args, stdin=None):
        r = subprocess.run([os.path.join(FAKES, "kubectl"), "--kubeconfig", self.user_kubeconfig,
                            "--context", "home-admin"] + list(args), input=stdin, capture_output=True, text=True,
                           env=self.sandbox.env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_delete_takes_back_what_launch_installed(self):
        self.user_kubeconfig = os.path.join(self.sandbox.home, "external.kubeconfig")
        self.sandbox.fakectl("external-cluster", "home", "--kubeconfig", self.user_kubeconfig,
                             "--context", "home-admin", "--nodes", "2")
        # What was there before: another lab's labelled secret and a plain one must survive.
        self.kubectl("apply", "-f", "-", stdin="""apiVersion: v1
kind: Secret
metadata: {name: other-lab, namespace: default, labels: {meshlab.dev/lab: other}}
---
apiVersion: v1
kind: Secret
metadata: {name: mine, namespace: default}
""")
        others_before = sorted(f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
                               for o in self.objects()
                               if (o["metadata"].get("labels") or {}).get("meshlab.dev/lab") != "ext-e2e")
        self.prepare_argocd("ext-e2e")
        self.meshlab("launch", "-f", EXTERNAL_LAB)
        installed = self.labelled("ext-e2e")
        for expected in ("Secret/cacerts", "Secret/cluster-ext-home", "Secret/cluster-ext-lab",
                         "Secret/istio-remote-secret-lab", "ServiceAccount/argocd-manager",
                         "ServiceAccount/istio-reader-service-account", "ClusterRole/argocd-manager-role",
                         "ClusterRoleBinding/meshlab-istio-reader", "Namespace/istio-system"):
            self.assertIn(expected, installed)
        status = self.status(EXTERNAL_LAB)
        self.assertEqual(self.machine(status, "home")["state"], "reachable")

        self.assertIn("lab-istiod", self.kubectl("get", "applications.argoproj.io", "-n", "argocd", "-o", "name"))
        deployed = lambda: self.kubectl("get", "deployments", "-n", "istio-system", "-o", "name").split() + \
            self.kubectl("get", "deployments", "-n", "httpbin", "-o", "name").split()
        self.assertEqual(sorted(deployed()), ["deployment.apps/httpbin", "deployment.apps/istiod-1-30-3"])
        result = self.meshlab("delete", "-f", EXTERNAL_LAB)
        self.assertIn("removed secret/cacerts on external cluster home", result.stderr)
        self.assertEqual(self.labelled("ext-e2e"), [])
        # Argo CD stays on home, but not the lab's Applications (nor, through their finalizer, what they deployed).
        self.assertEqual(self.kubectl("get", "applications.argoproj.io", "-n", "argocd", "-o", "name"), "")
        self.assertEqual(deployed(), [])
        self.assertEqual(self.kubectl("get", "pods", "-n", "httpbin", "-o", "name"), "")
        others_after = sorted(f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
                              for o in self.objects()
                              if (o["metadata"].get("labels") or {}).get("meshlab.dev/lab") != "ext-e2e")
        for obj in others_before:
            self.assertIn(obj, others_after)
        self.assertIn("Secret/default/other-lab", others_after)
        self.assertIn("Secret/default/mine", others_after)
        self.assertIn("external/home", self.sandbox.world()["api_clusters"])  # never deleted
        self.assertEqual(self.sandbox.world()["kind_clusters"], [])

        self.meshlab("delete", "-f", EXTERNAL_LAB)  # idempotent

    def test_unreachable_external_cluster_fails_delete_naming_it(self):
        self.user_kubeconfig = os.path.join(self.sandbox.home, "external.kubeconfig")
        self.sandbox.fakectl("external-cluster", "home", "--kubeconfig", self.user_kubeconfig,
                             "--context", "home-admin")
        self.sandbox.fakectl("cluster-down", "external/home")
        result = self.meshlab("delete", "-f", EXTERNAL_LAB, expect=1)
        self.assertIn("external cluster home", result.stderr)
        self.assertIn("is not completely deleted", result.stderr)
        status = self.status(EXTERNAL_LAB)
        home = self.machine(status, "home")
        self.assertEqual(home["state"], "unreachable")
        self.assertIn("nodes", home["reasons"])


def main():
    global MESHLAB
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: test_status.py BUILD/cli/meshlab [unittest arguments]")
    MESHLAB = os.path.realpath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:])


if __name__ == "__main__":
    main()

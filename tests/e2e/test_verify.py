#!/usr/bin/env python3
"""End to end: `meshlab launch` then `meshlab verify` against the fakes of tests/fakes.

Every check of 1–5 passes on a freshly launched lab, and each fault injected through the
fakes (fakectl mesh …, fakectl app-health, kubectl on the fake clusters) makes the right check
fail with the right evidence and exit status 1; the --junit file is parsed and checked against
the shape Jenkins and GitLab read. One launch per lab (class), faults undone after each test.

Run: python3 tests/e2e/test_verify.py BUILD/cli/meshlab [-v] [TestClass[.test_name]]
(ctest: e2e-verify).
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import harness  # noqa: E402
from harness import lab_file  # noqa: E402

import yaml  # noqa: E402

MESHLAB = None  # set from argv in main


def check_junit(test, path):
    """Parses the JUnit file and checks the structure CI tools rely on; returns {(classname, name): testcase}."""
    root = ET.parse(path).getroot()
    test.assertEqual(root.tag, "testsuites")
    suites = root.findall("testsuite")
    test.assertEqual(len(suites), 1)
    suite = suites[0]
    test.assertEqual(suite.get("name"), "meshlab verify")
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    for element in (root, suite):
        test.assertEqual(int(element.get("tests")), len(cases))
        test.assertEqual(int(element.get("failures")), len(failures))
        test.assertEqual(int(element.get("skipped")), len(skipped))
        test.assertEqual(int(element.get("errors")), 0)
        test.assertGreaterEqual(float(element.get("time")), 0.0)
    for case in cases:
        test.assertTrue(case.get("classname") and case.get("name"), case.attrib)
        test.assertGreaterEqual(float(case.get("time")), 0.0)
    for case in failures:
        test.assertTrue(case.find("failure").get("message"))
        test.assertIn("$ ", case.find("failure").text)  # the evidence: commands and their lines
    return {(c.get("classname"), c.get("name")): c for c in cases}


class VerifyLab(unittest.TestCase):
    """One launched lab shared by the tests of a subclass."""
    maxDiff = None
    LAB = None

    @classmethod
    def setUpClass(cls):
        if cls.LAB is None:
            raise unittest.SkipTest("the shared base of the lab classes")
        cls.sandbox = harness.Sandbox(MESHLAB)
        cls.sandbox.prepare(cls.LAB)
        r = cls.sandbox.run("launch", "-f", lab_file(cls.LAB), timeout=900)
        if r.returncode != 0:
            cls.sandbox.close()
            raise AssertionError(f"launch of {cls.LAB} failed: {r!r}")
        cls.state = cls.sandbox.state_dir(cls.LAB)

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def test_zzz_status_then_delete(self):
        """The end of the lab's life (runs last): status reports it, delete removes all of it."""
        r = self.sandbox.run("status", "-f", lab_file(self.LAB), "--output", "json")
        self.assertEqual(r.returncode, 0, repr(r))
        machines = json.loads(r.stdout)["machines"]
        self.assertTrue(machines)
        for m in machines:  # every cluster up (a test may have stopped a VM on purpose)
            if m["type"] == "cluster":
                self.assertIn(m["state"].lower(), ("running", "reachable"), m)
        r = self.sandbox.run("delete", "-f", lab_file(self.LAB), "--registries", timeout=600)
        self.assertEqual(r.returncode, 0, repr(r))
        world = self.sandbox.world()
        self.assertEqual(world["multipass_instances"], {})
        self.assertEqual(world["kind_clusters"], [])
        self.assertFalse(world["containers"])

    def verify(self, *args, expect):
        junit = os.path.join(self.sandbox.tmp, "junit.xml")
        if os.path.exists(junit):
            os.remove(junit)
        r = self.sandbox.run("verify", "-f", lab_file(self.LAB), "--junit", junit, *args)
        self.assertEqual(r.returncode, expect, repr(r))
        self.assertTrue(os.path.exists(junit), "the JUnit file is written whatever the outcome")
        return r, check_junit(self, junit)

    def kubectl(self, cluster, *args, stdin=None, check=True):
        prefix = (yaml.safe_load(harness.read(lab_file(self.LAB))) or {}).get("prefix", self.LAB)
        context = f"{prefix}-{cluster}" if prefix else cluster
        argv = ["kubectl", "--kubeconfig", os.path.join(self.state, "kubeconfigs", cluster + ".yaml"),
                "--context", context] + list(args)
        r = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=self.sandbox.env, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed: {r.stderr}")
        return r.stdout

    def assert_line(self, text, *parts):
        """Some line of `text` holds every one of `parts`, in order."""
        for line in text.splitlines():
            pos = 0
            for part in parts:
                pos = line.find(part, pos)
                if pos < 0:
                    break
                pos += len(part)
            else:
                return
        self.fail(f"no line with {parts!r} in:\n{text}")


class CiSmoke(VerifyLab):
    LAB = "ci-smoke"

    def test_all_checks_pass_on_a_fresh_lab(self):
        r, cases = self.verify(expect=0)
        for check, subject in [("nodes", "cluster/one"), ("nodes", "cluster/two"), ("cacerts", "cluster/one"),
                               ("cacerts", "cluster/two/workloads"), ("istiod", "cluster/one"), ("istiod", "cluster/two"),
                               ("argocd-apps", "app/two-httpbin")]:
            self.assert_line(r.stdout, "pass", check, subject)
            self.assertIsNone(cases[(check, subject)].find("failure"))
        self.assert_line(r.stdout, "skip", "eastwest", "cell/smoke", "single-network cell")
        self.assertIsNotNone(cases[("eastwest", "cell/smoke")].find("skipped"))
        self.assert_line(r.stdout, "istiod-1-30-3 Available and synced with one")
        self.assertNotIn("FAIL", r.stdout)
        log = harness.read(os.path.join(self.state, "logs", "verify.log"))
        self.assertIn("pilot-discovery request GET /debug/clusterz", log)
        self.assertIn("get secret cacerts -n istio-system -o json", log)
        self.assertNotIn("PRIVATE KEY", log)  # the cacerts Secret's output is redacted
        self.assertNotIn("LS0tLS1CRUdJTi", log)  # nor its base64 ("-----BEGIN")

    def test_json_output_and_check_selection(self):
        r = self.sandbox.run("verify", "-f", lab_file(self.LAB), "--output", "json", "--check", "nodes",
                             "--check", "argocd-apps")
        self.assertEqual(r.returncode, 0, repr(r))
        doc = json.loads(r.stdout)
        self.assertEqual([c["id"] for c in doc["checks"]], ["nodes", "argocd-apps"])
        self.assertEqual(doc["totals"]["failed"], 0)
        self.assertEqual(doc["totals"]["results"], 2 + 6)
        self.assertTrue(doc["passed"])
        nodes = doc["checks"][0]["results"][0]
        self.assertIn("get nodes -o json", nodes["evidence"][0]["command"])
        r = self.sandbox.run("verify", "-f", lab_file(self.LAB), "--check", "nodez")
        self.assertEqual(r.returncode, 2, repr(r))
        self.assertIn('unknown check "nodez"; known checks: nodes, cacerts', r.stderr)

    def test_node_not_ready(self):
        self.sandbox.fakectl("mesh", "node-not-ready", "ci-smoke-two-control-plane")
        try:
            r, cases = self.verify("--check", "nodes", expect=1)
        finally:
            self.sandbox.fakectl("mesh", "node-not-ready", "ci-smoke-two-control-plane", "--clear")
        self.assert_line(r.stdout, "FAIL", "nodes", "cluster/two", "ci-smoke-two-control-plane: not Ready")
        self.assert_line(r.stdout, "$ kubectl --kubeconfig", "--context ci-smoke-two get nodes -o json")
        self.assert_line(r.stdout, "ci-smoke-two-control-plane Ready=False region=ci zone=two")
        self.assert_line(r.stdout, "pass", "nodes", "cluster/one")
        failure = cases[("nodes", "cluster/two")].find("failure")
        self.assertEqual(failure.get("message"), "ci-smoke-two-control-plane: not Ready")
        self.assertIn("Ready=False", failure.text)
        self.assertIn("1 of 2 checks failed: nodes cluster/two", r.stderr)

    def test_missing_locality_label(self):
        self.kubectl("one", "label", "node", "ci-smoke-one-control-plane", "topology.kubernetes.io/zone-")
        try:
            r, _ = self.verify("--check", "nodes", expect=1)
        finally:
            self.kubectl("one", "label", "node", "ci-smoke-one-control-plane", "topology.kubernetes.io/zone=one")
        self.assert_line(r.stdout, "FAIL", "nodes", "cluster/one",
                         'ci-smoke-one-control-plane: no topology.kubernetes.io/zone label (want "one")')

    def test_cacerts_from_another_root(self):
        original = self.kubectl("two", "get", "secret", "cacerts", "-n", "istio-system", "-o", "json")
        self.kubectl("two", "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=json.dumps(foreign_cacerts()))
        try:
            r, cases = self.verify("--check", "cacerts", expect=1)
        finally:
            restored = json.loads(original)
            for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
                restored["metadata"].pop(key, None)
            self.kubectl("two", "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=json.dumps(restored))
        self.assert_line(r.stdout, "FAIL", "cacerts", "cluster/two", "cacerts does not chain to the lab root")
        self.assert_line(r.stdout, "chain against", "root-cert.pem:")
        self.assert_line(r.stdout, "pass", "cacerts", "cluster/one")
        self.assertIn("does not chain", cases[("cacerts", "cluster/two")].find("failure").get("message"))
        self.assertNotIn("BEGIN", r.stdout + r.stderr, "no key or certificate is printed")

    def test_workload_certificate_from_another_trust_domain(self):
        self.sandbox.fakectl("mesh", "trust-domain", "kind/ci-smoke-two", "evil.local")
        try:
            r, _ = self.verify("--check", "cacerts", expect=1)
        finally:
            self.sandbox.fakectl("mesh", "trust-domain", "kind/ci-smoke-two", "--clear")
        self.assert_line(r.stdout, "FAIL", "cacerts", "cluster/two/workloads", "has identity spiffe://evil.local/ns/httpbin/sa/httpbin; "
                         "expected one under spiffe://cluster.local/")
        self.assert_line(r.stdout, "pilot-agent request GET certs")
        self.assert_line(r.stdout, "URI SAN spiffe://evil.local/ns/httpbin/sa/httpbin")

    def test_missing_remote_secret(self):
        original = self.kubectl("two", "get", "secret", "istio-remote-secret-one", "-n", "istio-system", "-o", "json")
        self.kubectl("two", "delete", "secret", "istio-remote-secret-one", "-n", "istio-system")
        try:
            r, _ = self.verify("--check", "istiod", expect=1)
        finally:
            restored = json.loads(original)
            for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
                restored["metadata"].pop(key, None)
            self.kubectl("two", "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=json.dumps(restored))
        self.assert_line(r.stdout, "FAIL", "istiod", "cluster/two", "no remote secret for one, istiod does not list one")
        self.assert_line(r.stdout, "pilot-discovery request GET /debug/clusterz")
        self.assert_line(r.stdout, "pass", "istiod", "cluster/one")

    def test_remote_cluster_not_synced(self):
        self.sandbox.fakectl("mesh", "clusterz", "kind/ci-smoke-one", "two", "timeout")
        try:
            r, _ = self.verify("--check", "istiod", expect=1)
        finally:
            self.sandbox.fakectl("mesh", "clusterz", "kind/ci-smoke-one", "two", "--clear")
        self.assert_line(r.stdout, "FAIL", "istiod", "cluster/one", "two is timeout, not synced")
        self.assert_line(r.stdout, "two istio-system/istio-remote-secret-two timeout")

    def test_degraded_application(self):
        self.sandbox.fakectl("app-health", "two-httpbin", "--sync", "OutOfSync", "--health", "Degraded", "--message",
                             "Deployment httpbin exceeded its progress deadline")
        try:
            r, cases = self.verify("--check", "argocd-apps", expect=1)
        finally:
            self.sandbox.fakectl("app-health", "two-httpbin", "--clear")
        self.assert_line(r.stdout, "FAIL", "argocd-apps", "app/two-httpbin",
                         "OutOfSync and Degraded: Deployment httpbin exceeded its progress deadline")
        self.assert_line(r.stdout, "two-httpbin sync=OutOfSync health=Degraded")
        self.assert_line(r.stdout, "pass", "argocd-apps", "app/one-httpbin")
        self.assertEqual(sum(1 for c in cases.values() if c.find("failure") is not None), 1)

    def test_lab_not_launched_is_a_clear_error(self):
        r = self.sandbox.run("verify", "-f", lab_file("kind-locality"))
        self.assertEqual(r.returncode, 1, repr(r))
        self.assertIn('meshlab: error: lab "kind-locality" is not launched', r.stderr)
        self.assertIn('run "meshlab launch -f', r.stderr)


class KindLocality(VerifyLab):
    """A multi-network cell: east-west gateways and kind nodes with their own localities."""
    LAB = "kind-locality"

    def test_gateways_and_node_localities(self):
        r, cases = self.verify(expect=0)
        self.assert_line(r.stdout, "pass", "eastwest", "cluster/east", "istio-eastwestgateway at 127.")
        self.assert_line(r.stdout, "pass", "eastwest", "cluster/west", "istio-eastwestgateway at 127.")
        self.assert_line(r.stdout, "pass", "nodes", "cluster/east")
        self.assertIsNone(cases[("eastwest", "cluster/west")].find("failure"))

    def test_zz_gateway_without_service(self):
        self.kubectl("west", "delete", "service", "istio-eastwestgateway", "-n", "istio-system")
        r, _ = self.verify("--check", "eastwest", expect=1)
        self.assert_line(r.stdout, "FAIL", "eastwest", "cluster/west", "not found")
        self.assert_line(r.stdout, "pass", "eastwest", "cluster/east")


class MultiPrimary(VerifyLab):
    """k3s clusters in multipass VMs, a multi-network cell, and the VM virt-01."""
    LAB = "multi-primary"

    def test_all_pass_then_a_stopped_vm_fails(self):
        r, cases = self.verify(expect=0)
        self.assert_line(r.stdout, "pass", "nodes", "vm/virt-01", "virt-01 Running at 127.0.10.")
        self.assert_line(r.stdout, "pass", "nodes", "cluster/kube-01", "with locality labels at milky-way/solar-system/kube-01")
        self.assert_line(r.stdout, "pass", "eastwest", "cluster/kube-02")
        self.assert_line(r.stdout, "pass", "istiod", "cluster/kube-01", "synced with kube-02")
        self.assertIsNone(cases[("nodes", "vm/virt-01")].find("failure"))
        stop = subprocess.run(["multipass", "stop", "virt-01"], capture_output=True, text=True, env=self.sandbox.env,
                              timeout=120)
        self.assertEqual(stop.returncode, 0, stop.stderr)
        r, cases = self.verify("--check", "nodes", expect=1)
        self.assert_line(r.stdout, "FAIL", "nodes", "vm/virt-01", "virt-01 is Stopped, not Running")
        self.assert_line(r.stdout, "$ multipass info --format json")
        self.assert_line(r.stdout, "virt-01 state=Stopped ipv4=-")
        self.assertIn("Stopped", cases[("nodes", "vm/virt-01")].find("failure").get("message"))


class Stamps(VerifyLab):
    """A management cluster outside the mesh and cell pasta with its own trust domain, and
    TLS ingress hosts (a loopback HTTPS gateway per workload cluster stands in for Envoy)."""
    LAB = "stamps"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gateways = []
        try:
            for cluster in ("pasta-1", "pasta-2"):
                proc = subprocess.Popen(
                    [os.path.join(harness.FAKES, "ingress_tls.py"),
                     "--kubeconfig", os.path.join(cls.state, "kubeconfigs", cluster + ".yaml"),
                     "--context", f"stamps-{cluster}", "--exit-on-stdin-eof"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=cls.sandbox.env, text=True)
                cls.gateways.append(proc)
                if not proc.stdout.readline().startswith("https://"):  # serving once it prints its URL
                    raise AssertionError(f"the fake ingress gateway of {cluster} did not start")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for proc in cls.gateways:
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            proc.stdout.close()
        super().tearDownClass()

    def test_all_pass_with_the_cells_trust_domain(self):
        r, cases = self.verify(expect=0)
        self.assert_line(r.stdout, "pass", "cacerts", "cluster/pasta-1/workloads", "spiffe://pasta.local/")
        self.assert_line(r.stdout, "pass", "nodes", "cluster/kube-00")
        self.assertNotIn(("istiod", "cluster/kube-00"), cases)  # not in a cell: no istiod to check
        # Checks 1-5 all apply here (a multi-network cell, Argo CD, a VM): none is skipped.
        core = ("nodes", "cacerts", "istiod", "eastwest", "argocd-apps")
        self.assertFalse([line for line in r.stdout.splitlines()
                          if line.startswith("FAIL") or (line.startswith("skip") and line.split()[1] in core)], r.stdout)
        for host in ("httpbin.blau.demo.lab", "echo.verd.demo.lab"):
            for cluster in ("pasta-1", "pasta-2"):
                self.assert_line(r.stdout, "pass", "tls-ingress", f"host/{host}@{cluster}")


def foreign_cacerts():
    """A cacerts Secret from a throwaway root (openssl CLI), as someone else's CA would make it."""
    with tempfile.TemporaryDirectory() as d:
        def openssl(*args):
            subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root-key.pem",
                "-out", "root-cert.pem", "-subj", "/O=elsewhere/CN=Other Root", "-days", "30",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca-key.pem",
                "-out", "ca.csr", "-subj", "/O=elsewhere/CN=Other Intermediate")
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
        openssl("x509", "-req", "-in", "ca.csr", "-CA", "root-cert.pem", "-CAkey", "root-key.pem", "-CAcreateserial",
                "-out", "ca-cert.pem", "-days", "30", "-extfile", "ext.cnf")
        files = {}
        for name in ("ca-cert.pem", "ca-key.pem", "root-cert.pem"):
            with open(os.path.join(d, name), "rb") as f:
                files[name] = f.read()
        files["cert-chain.pem"] = files["ca-cert.pem"] + files["root-cert.pem"]
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "cacerts", "namespace": "istio-system"},
            "data": {k: base64.b64encode(v).decode() for k, v in files.items()}}


def main():
    global MESHLAB
    if len(sys.argv) < 2:
        sys.exit("usage: test_verify.py MESHLAB [unittest args]")
    MESHLAB = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:])


if __name__ == "__main__":
    main()

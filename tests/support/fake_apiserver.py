#!/usr/bin/env python3
"""A Kubernetes API server that only answers discovery, for kubectl's client dry-run.

`kubectl create --dry-run=client --validate=false -f FILE` still asks the server which
kinds exist (to map apiVersion/kind to a resource), so tests point it at this: a
python3 http.server bound to 127.0.0.1 on an ephemeral port, serving static discovery
JSON for exactly the kinds meshlab renders. Anything else is a 404, so a manifest with
an unknown apiVersion or kind fails like it would against a real cluster that lacks
the CRD.

Prints "PORT <n>" on stdout once listening; exits when stdin reaches EOF (the test
closes it, or dies), so it never outlives the test that started it.
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# group/version -> [(kind, plural, namespaced)]; the core group is "".
KINDS = {
    ("", "v1"): [
        ("Namespace", "namespaces", False),
        ("ConfigMap", "configmaps", True),
        ("Secret", "secrets", True),
        ("ServiceAccount", "serviceaccounts", True),
        ("Service", "services", True),
    ],
    ("networking.istio.io", "v1"): [
        ("Gateway", "gateways", True),
        ("VirtualService", "virtualservices", True),
        ("DestinationRule", "destinationrules", True),
        ("ServiceEntry", "serviceentries", True),
        ("WorkloadGroup", "workloadgroups", True),
        ("WorkloadEntry", "workloadentries", True),
    ],
    ("argoproj.io", "v1alpha1"): [
        ("Application", "applications", True),
        ("AppProject", "appprojects", True),
        ("ApplicationSet", "applicationsets", True),
    ],
}

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def resource_list(group, version):
    gv = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": [
            {
                "name": plural,
                "singularName": kind.lower(),
                "namespaced": namespaced,
                "kind": kind,
                "verbs": VERBS,
            }
            for kind, plural, namespaced in KINDS[(group, version)]
        ],
    }


def group_list():
    groups = {}
    for group, version in KINDS:
        if group:
            groups.setdefault(group, []).append(version)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": group,
                "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
                "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
            }
            for group, versions in sorted(groups.items())
        ],
    }


def route(path):
    path = path.split("?", 1)[0].rstrip("/")
    if path == "/version":
        return {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if path == "/api/v1":
        return resource_list("", "v1")
    if path == "/apis":
        return group_list()
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "apis" and (parts[2], parts[3]) in KINDS:
        return resource_list(parts[2], parts[3])
    return None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = route(self.path)
        status = 200
        if body is None:
            status = 404
            body = {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "reason": "NotFound", "code": 404, "message": f"the server could not find {self.path}"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output clean
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    sys.stdin.read()  # until EOF
    os._exit(0)  # at once: nothing to flush, and shutdown() would wait for the poll loop


if __name__ == "__main__":
    main()

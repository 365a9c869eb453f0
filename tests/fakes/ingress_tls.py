#!/usr/bin/env python3
"""Loopback stand-in for a fake cluster's Istio ingress gateway, for `meshlab verify`'s
tls-ingress check: HTTPS on the `istio-ingressgateway` Service's LoadBalancer address
(127.x.y.z, from the fake kubectl) and an ephemeral port, which it writes into the Service as
the port named `https` (real gateways listen on 443; tests may not bind it).

The certificate is chosen by SNI, as the gateway's SDS does for a Gateway's `credentialName`:
Secret `<host with . → ->-tls` (type kubernetes.io/tls: tls.crt = chain, tls.key) in the
gateway namespace, read through the sibling fake kubectl at each new host. A host without a
secret fails the handshake (the real gateway has no filter chain for it). Every request is
answered 200 with a short body naming the host.

The first line on stdout is "https://ADDRESS:PORT", flushed. It stops on SIGTERM/SIGINT, and
with --exit-on-stdin-eof when its stdin closes.

usage: ingress_tls.py --kubeconfig FILE --context CTX [--namespace istio-system]
                      [--service istio-ingressgateway] [--exit-on-stdin-eof]
"""

import argparse
import base64
import http.server
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True  # nothing may write into the source tree

import serve  # noqa: E402  (tests/fakes, next to this file)

HERE = os.path.dirname(os.path.realpath(__file__))


def loopback_only(address, what):
    """`address` when it is a loopback IP (127.0.0.0/8, ::1); otherwise exit with a clear
    message: tests and fakes never listen on, or reach, any other address."""
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"ingress_tls.py: refusing to listen on {address!r} (the LoadBalancer address of {what}): "
                 "the meshlab fakes only use loopback addresses (127.0.0.0/8)")
    return address


class Gateway:
    def __init__(self, opts):
        self.opts = opts
        self.contexts = {}
        self.lock = threading.Lock()

    def kubectl(self, *args, input=None):
        argv = [os.path.join(HERE, "kubectl"), "--kubeconfig", self.opts.kubeconfig, "--context", self.opts.context]
        done = subprocess.run(argv + list(args), input=input, capture_output=True, text=True, timeout=30, check=False,
                              stdin=None if input is not None else subprocess.DEVNULL)
        return done.returncode, done.stdout, done.stderr

    def address(self):
        code, out, err = self.kubectl("get", "service", self.opts.service, "-n", self.opts.namespace, "-o", "json")
        if code:
            sys.exit(f"ingress_tls.py: {err.strip()}")
        ingress = ((json.loads(out).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if not ingress or not ingress[0].get("ip"):
            sys.exit(f"ingress_tls.py: service {self.opts.namespace}/{self.opts.service} has no LoadBalancer address")
        return loopback_only(ingress[0]["ip"], f"service {self.opts.namespace}/{self.opts.service}")

    def publish_port(self, port):
        """The Service's port named https becomes `port` (added when missing)."""
        _, out, _ = self.kubectl("get", "service", self.opts.service, "-n", self.opts.namespace, "-o", "json")
        ports = [p for p in ((json.loads(out).get("spec") or {}).get("ports") or []) if p.get("name") != "https"]
        ports.append({"name": "https", "port": port, "protocol": "TCP", "targetPort": 8443})
        code, _, err = self.kubectl("patch", "service", self.opts.service, "-n", self.opts.namespace, "--type", "merge",
                                    "-p", json.dumps({"spec": {"ports": ports}}))
        if code:
            sys.exit(f"ingress_tls.py: cannot publish port {port}: {err.strip()}")

    def context_for(self, host):
        with self.lock:
            if host in self.contexts:
                return self.contexts[host]
        name = host.replace(".", "-") + "-tls"
        code, out, _ = self.kubectl("get", "secret", name, "-n", self.opts.namespace, "-o", "json")
        if code:
            return None
        data = json.loads(out).get("data") or {}
        if "tls.crt" not in data or "tls.key" not in data:
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # ssl only loads a chain from files; they live only as long as the load, so no key
        # is left behind in /tmp however the gateway ends.
        with tempfile.TemporaryDirectory(prefix="meshlab-ingress-") as tmp:
            cert = os.path.join(tmp, "tls.crt")
            key = os.path.join(tmp, "tls.key")
            with open(cert, "wb") as f:
                f.write(base64.b64decode(data["tls.crt"]))
            with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                f.write(base64.b64decode(data["tls.key"]))
            ctx.load_cert_chain(cert, key)
        with self.lock:
            self.contexts[host] = ctx
        return ctx

    def sni(self, sslobj, name, _ctx):
        ctx = self.context_for(name) if name else None
        if ctx is None:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        sslobj.context = ctx
        return None


def make_handler():
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = f"ingress: {self.headers.get('Host', '')}\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description="Loopback TLS ingress gateway for a fake cluster")
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--context", required=True)
    parser.add_argument("--namespace", default="istio-system")
    parser.add_argument("--service", default="istio-ingressgateway")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    opts = parser.parse_args()

    gateway = Gateway(opts)
    address = gateway.address()
    server = http.server.ThreadingHTTPServer((address, 0), make_handler())
    server.daemon_threads = True
    base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    base.sni_callback = gateway.sni
    server.socket = base.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=True)
    port = server.server_address[1]
    gateway.publish_port(port)
    sys.stdout.write(f"https://{address}:{port}\n")
    sys.stdout.flush()

    serve.serve_until_stopped(server, opts.exit_on_stdin_eof)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Loopback stand-in for the Argo CD API server and for the install-manifest download.

Plain HTTP on 127.0.0.1 and an ephemeral port (Argo CD serves HTTPS with a self-signed
certificate; meshlab's check accepts either, so the fake needs no certificate). Shapes follow
../../../shared/contracts/argocd.md ("REST API a tool can poll"):

  POST /api/v1/session {"username", "password"}  -> 200 {"token": "<JWT-shaped>"} for admin and
                                                    the right password, else 401 (gRPC-gateway error)
  GET  /api/v1/session/userinfo                  -> {"loggedIn", "username", "iss"} (Bearer token)
  GET  /api/v1/applications                      -> {"metadata": {}, "items": [...]} (Bearer token)
  GET  <anything ending in install.yaml>         -> the manifest file (--manifest)

The admin password is --password, or read at each login from the fake cluster's
argocd-initial-admin-secret through the sibling fake kubectl (--kubeconfig/--context), so it is
right even when Argo CD was installed after the server started. Applications come from the same
fake cluster (`kubectl get applications -n argocd -o json`), or --applications FILE, else none.

The first line on stdout is the base URL ("http://127.0.0.1:PORT"), flushed, so a test reads it
and then talks to the server. The server stops on SIGTERM/SIGINT, and with --exit-on-stdin-eof
when its stdin closes (the test that started it ended). With --log FILE it appends one JSON line
per request: method, path, status, and for a login the username (never the password).

usage: argocd_api.py [--password PW | --kubeconfig FILE --context CTX] [--manifest FILE]
                     [--applications FILE] [--log FILE] [--exit-on-stdin-eof]
"""

import argparse
import base64
import http.server
import json
import os
import secrets
import subprocess
import sys
import threading

sys.dont_write_bytecode = True  # nothing may write into the source tree

import serve  # noqa: E402  (tests/fakes, next to this file)

HERE = os.path.dirname(os.path.realpath(__file__))
ARGOCD_NAMESPACE = "argocd"


def grpc_error(code, message):
    """The JSON body grpc-gateway writes for an error (code 16 = Unauthenticated, 5 = NotFound)."""
    return {"error": message, "code": code, "message": message}


class Api:
    def __init__(self, opts):
        self.opts = opts
        self.tokens = set()
        self.lock = threading.Lock()

    def kubectl(self, *args):
        """The fake kubectl next to this file (never a real one): (exit code, stdout)."""
        argv = [os.path.join(HERE, "kubectl"), "--kubeconfig", self.opts.kubeconfig, "--context", self.opts.context]
        done = subprocess.run(argv + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=30, check=False)
        return done.returncode, done.stdout

    def admin_password(self):
        if self.opts.password is not None:
            return self.opts.password
        if not self.opts.kubeconfig:
            return None
        code, out = self.kubectl("get", "secret", "argocd-initial-admin-secret", "-n", ARGOCD_NAMESPACE,
                                 "-o", "jsonpath={.data.password}")
        if code != 0 or not out.strip():
            return None
        return base64.b64decode(out.strip()).decode()

    def applications(self):
        if self.opts.applications:
            with open(self.opts.applications, encoding="utf-8") as f:
                return json.load(f).get("items", [])
        if self.opts.kubeconfig:
            code, out = self.kubectl("get", "applications", "-n", ARGOCD_NAMESPACE, "-o", "json")
            if code == 0 and out.strip():
                return json.loads(out).get("items", [])
        return []

    def login(self, body):
        """(status, answer) for POST /api/v1/session."""
        try:
            creds = json.loads(body or b"{}")
        except ValueError:
            return 400, grpc_error(3, "invalid character in request body")
        password = self.admin_password()
        if creds.get("username") != "admin" or password is None or creds.get("password") != password:
            return 401, grpc_error(16, "Invalid username or password")
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        claims = base64.urlsafe_b64encode(json.dumps({"iss": "argocd", "sub": "admin:login"}).encode()).decode()
        token = f"{header}.{claims.rstrip('=')}.{secrets.token_hex(16)}"
        with self.lock:
            self.tokens.add(token)
        return 200, {"token": token}

    def authorized(self, headers):
        auth = headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        if token is None:
            for part in headers.get("Cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == "argocd.token":
                    token = value
        with self.lock:
            return token in self.tokens


def make_handler(api):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, code, body, content_type="application/json", extra=None):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self._log(code, extra)  # before answering: a client that got its answer finds the line
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _log(self, code, extra):
            if not api.opts.log:
                return
            entry = {"method": self.command, "path": self.path, "status": code}
            entry.update(extra or {})
            with api.lock, open(api.opts.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

        def do_GET(self):  # noqa: N802 (http.server naming)
            path = self.path.split("?")[0]
            if path.endswith("install.yaml"):
                if not api.opts.manifest:
                    return self._send(404, b"404: Not Found", "text/plain")
                with open(api.opts.manifest, "rb") as f:
                    return self._send(200, f.read(), "text/plain; charset=utf-8")
            if path in ("/api/v1/applications", "/api/v1/session/userinfo"):
                if not api.authorized(self.headers):
                    return self._send(401, grpc_error(16, "no session information"))
                if path == "/api/v1/applications":
                    return self._send(200, {"metadata": {}, "items": api.applications()})
                return self._send(200, {"loggedIn": True, "username": "admin", "iss": "argocd"})
            return self._send(404, grpc_error(5, "Not Found"))

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.split("?")[0] != "/api/v1/session":
                return self._send(404, grpc_error(5, "Not Found"))
            code, answer = api.login(body)
            try:
                user = json.loads(body or b"{}").get("username")
            except ValueError:
                user = None
            return self._send(code, answer, extra={"username": user})

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description="Loopback Argo CD API and install-manifest server for tests")
    parser.add_argument("--password")
    parser.add_argument("--kubeconfig")
    parser.add_argument("--context")
    parser.add_argument("--manifest", default=os.path.join(HERE, "testdata", "argocd-install-min.yaml"))
    parser.add_argument("--applications")
    parser.add_argument("--log")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    opts = parser.parse_args()
    if opts.kubeconfig and not opts.context:
        parser.error("--kubeconfig needs --context")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(Api(opts)))
    server.daemon_threads = True
    sys.stdout.write(f"http://127.0.0.1:{server.server_address[1]}\n")
    sys.stdout.flush()

    serve.serve_until_stopped(server, opts.exit_on_stdin_eof)


if __name__ == "__main__":
    main()

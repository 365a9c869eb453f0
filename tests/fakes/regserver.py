"""Loopback stand-in for a `registry:2` container's HTTP API (started by the docker fake).

Answers GET /v2/ with 200 `{}` and Docker-Distribution-API-Version, /v2/_catalog with an empty
list, anything else with the registry's NAME_UNKNOWN error. Binds only a 127.x address. Exits by
itself when its container is no longer running in the fakes' state or the state dir is gone.

usage: regserver.py STATE_DIR CONTAINER_NAME CONTAINER_ID HOST PORT
"""

import http.server
import json
import os
import sys
import threading
import time


def container_running(state_dir, name, cid, grace):
    """False once the container is gone or stopped (absent counts as running during `grace`:
    the fake that started us commits its state after spawning us)."""
    try:
        with open(os.path.join(state_dir, "state", "docker.json"), encoding="utf-8") as f:
            c = json.load(f).get("containers", {}).get(name)
    except (OSError, ValueError):
        return os.path.isdir(state_dir)
    if c is None:
        return grace
    return c.get("id") == cid and c.get("state") == "running"


class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server naming)
        path = self.path.split("?")[0]
        if path in ("/v2", "/v2/"):
            self._send(200, {})
        elif path == "/v2/_catalog":
            self._send(200, {"repositories": []})
        else:
            name = path[len("/v2/"):].rsplit("/", 2)[0] if path.startswith("/v2/") else path
            self._send(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry",
                                         "detail": {"name": name}}]})

    def do_HEAD(self):  # noqa: N802
        self.do_GET()

    def log_message(self, *args):
        pass


def main():
    state_dir, name, cid, host, port = sys.argv[1:6]
    if not host.startswith("127."):
        sys.exit(2)
    try:
        server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    except OSError:
        sys.exit(1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.time()
    while os.path.isdir(state_dir) and container_running(state_dir, name, cid, time.time() - started < 5):
        time.sleep(0.5)
    server.shutdown()


if __name__ == "__main__":
    main()

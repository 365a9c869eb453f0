"""How kubectl and helm fakes reach a fake cluster: kubeconfig → context → server URL →
registered cluster, with the checks a real API server connection would make (reachable, CA
trusted, credentials accepted)."""

import base64

import fakelib
import kubeconfig as kc
import kubeworld as kw


class ConnectError(Exception):
    """Why a connection failed. `kind` is config|refused|nohost|tls|unauthorized."""

    def __init__(self, kind, message, server=""):
        super().__init__(message)
        self.kind = kind
        self.server = server

    def kubectl_text(self):
        return str(self)

    def helm_text(self):
        if self.kind in ("refused", "nohost"):
            _, host, port = kw.parse_server(self.server or "http://localhost:8080")
            why = "connect: connection refused" if self.kind == "refused" else f"lookup {host}: no such host"
            return f'Error: kubernetes cluster unreachable: Get "{self.server or "http://localhost:8080"}/version": dial tcp {host}:{port}: {why}'
        if self.kind == "unauthorized":
            return "Error: kubernetes cluster unreachable: the server has asked for the client to provide credentials"
        if self.kind == "tls":
            return (f'Error: kubernetes cluster unreachable: Get "{self.server}/version": tls: failed to verify '
                    "certificate: x509: certificate signed by unknown authority")
        text = str(self)
        if "context was not found for specified context: " in text:
            return f'Error: kubernetes cluster unreachable: context "{text.rsplit(": ", 1)[1]}" does not exist'
        return "Error: " + text[len("error: "):] if text.startswith("error: ") else "Error: " + text


class Conn:
    def __init__(self, st, key, namespace, context, server):
        self.st = st
        self.key = key
        self.cluster = kw.Cluster(st, key)
        self.namespace = namespace
        self.context = context
        self.server = server


def _file_b64(path):
    try:
        with open(path, "rb") as f:
            return base64.b64encode(f.read()).decode()
    except OSError:
        return None


def resolve_context(o):
    """(server URL, cluster entry, user entry, namespace, context name); `o` holds kubectl-style
    option names: kubeconfig, context, cluster, user, server, namespace."""
    try:
        cfg, _ = kc.merged(kc.env_paths(o.get("kubeconfig")))
    except kc.KubeconfigError as e:
        raise ConnectError("config", f"error: {e}")
    name = o.get("context") or cfg.get("current-context")
    ctx = kc.find(cfg, "contexts", name) if name else None
    if o.get("context") and ctx is None:
        raise ConnectError("config", f"Error in configuration: context was not found for specified context: {o['context']}")
    c = (ctx or {}).get("context") or {}
    cluster = kc.find(cfg, "clusters", o.get("cluster") or c.get("cluster"))
    user = kc.find(cfg, "users", o.get("user") or c.get("user"))
    server = o.get("server") or ((cluster or {}).get("cluster") or {}).get("server") or ""
    ns = o.get("namespace") or c.get("namespace") or "default"
    return server, (cluster or {}).get("cluster") or {}, (user or {}).get("user") or {}, ns, name


def connect(st, o):
    server, cl, us, ns, ctx_name = resolve_context(o)
    if not server:
        raise ConnectError("refused", "The connection to the server localhost:8080 was refused - did you specify "
                                      "the right host or port?", "http://localhost:8080")
    key, err = kw.resolve_server(st, server)
    if err:
        raise ConnectError("nohost" if "no such host" in err else "refused", err, server)
    if not kw.cluster_alive(st, key):
        _, host, port = kw.parse_server(server)
        raise ConnectError("refused", f"The connection to the server {host}:{port} was refused - did you specify "
                                      "the right host or port?", server)
    meta = kw.cluster_meta(st, key)
    if fakelib.config_value(st, "auth_check", True):
        insecure = o.get("insecure-skip-tls-verify") or cl.get("insecure-skip-tls-verify")
        ca_file = o.get("certificate-authority") or cl.get("certificate-authority")
        ca = cl.get("certificate-authority-data") if not o.get("certificate-authority") else None
        if ca is None and ca_file:
            ca = _file_b64(ca_file)
        if not insecure and ca != meta["ca_data"]:
            raise ConnectError("tls", "Unable to connect to the server: tls: failed to verify certificate: x509: "
                                      "certificate signed by unknown authority", server)
        token = o.get("token") or us.get("token")
        if us.get("tokenFile") and not token:
            try:
                with open(us["tokenFile"], encoding="utf-8") as f:
                    token = f.read().strip()
            except OSError:
                token = None
        cert = us.get("client-certificate-data") or (_file_b64(us["client-certificate"]) if us.get("client-certificate") else None)
        c = kw.Cluster(st, key)
        ok = (cert is not None and cert == meta["admin_cert_data"]) or \
             (token is not None and token in c.data.get("tokens", [])) or bool(us.get("exec")) or bool(us.get("auth-provider"))
        if not ok:
            raise ConnectError("unauthorized", "error: You must be logged in to the server (Unauthorized)", server)
    return Conn(st, key, ns, ctx_name, server)

"""Containers, networks and volumes of the fake docker engine (shared by docker and kind).

Networks hand out 127.x addresses only: the default `bridge` is 127.17.0.0/16 and kind's
`kind` network is 127.18.0.0/16. A container started from a `registry:*` image with a
published port gets a tiny loopback HTTP server (regserver.py) answering the registry's /v2/
probes, unless $MESHLAB_FAKE_REGISTRY_HTTP=0.
"""

import json
import os
import signal
import subprocess
import sys
import time

import fakelib
from gotemplate import GoMap, GoStruct

HERE = os.path.dirname(os.path.realpath(__file__))
KIND_SUBNET = ("127.18.0.0/16", "127.18.0.1")
BRIDGE_SUBNET = ("127.17.0.0/16", "127.17.0.1")
KIND_IPV6 = ("fc00:f853:ccd:e793::/64", "fc00:f853:ccd:e793::1")


def world(st):
    d = st.get("docker")
    d.setdefault("containers", {})
    d.setdefault("networks", {})
    d.setdefault("volumes", {})
    d.setdefault("images", [])
    nets = d["networks"]
    if "bridge" not in nets:
        nets["bridge"] = new_network("bridge", "bridge", BRIDGE_SUBNET[0], BRIDGE_SUBNET[1],
                                     {"com.docker.network.bridge.default_bridge": "true",
                                      "com.docker.network.bridge.enable_icc": "true",
                                      "com.docker.network.bridge.enable_ip_masquerade": "true",
                                      "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                                      "com.docker.network.bridge.name": "docker0",
                                      "com.docker.network.driver.mtu": "1500"})
        nets["host"] = new_network("host", "host", None, None, {})
        nets["none"] = new_network("none", "null", None, None, {})
    return d


def new_network(name, driver, subnet, gateway, options, labels=None, ipv6=None):
    return {"name": name, "id": fakelib.random_hex(64), "driver": driver,
            "created": fakelib.now_iso().replace("Z", ".000000000Z"),
            "subnet": subnet, "gateway": gateway, "ipv6": ipv6, "options": dict(options),
            "labels": dict(labels or {}), "endpoints": {}}


def ensure_kind_network(st):
    d = world(st)
    if "kind" not in d["networks"]:
        ipv6 = KIND_IPV6 if fakelib.config_value(st, "kind_network_ipv6", False) else None
        d["networks"]["kind"] = new_network("kind", "bridge", KIND_SUBNET[0], KIND_SUBNET[1],
                                            {"com.docker.network.bridge.enable_ip_masquerade": "true",
                                             "com.docker.network.driver.mtu": "1500"}, ipv6=ipv6)
    return d["networks"]["kind"]


def _ip_int(ip):
    a = [int(x) for x in ip.split(".")]
    return (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]


def _int_ip(n):
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def alloc_ip(net):
    base, bits = net["subnet"].split("/")
    start = _ip_int(base)
    size = 1 << (32 - int(bits))
    used = {e["ip"] for e in net["endpoints"].values()} | {net["gateway"]}
    for n in range(start + 1, start + size - 1):
        ip = _int_ip(n)
        if ip not in used:
            return ip
    raise RuntimeError(f"network {net['name']} has no free address")


def connect(d, netname, cname, aliases=(), ip=None):
    net = d["networks"][netname]
    c = d["containers"][cname]
    if net["subnet"] is None:
        net["endpoints"][cname] = {"ip": "", "mac": "", "endpoint": fakelib.random_hex(64), "aliases": list(aliases)}
    else:
        ip = ip or alloc_ip(net)
        mac = "02:42:" + ":".join(f"{int(x):02x}" for x in ip.split("."))
        net["endpoints"][cname] = {"ip": ip, "mac": mac, "endpoint": fakelib.random_hex(64), "aliases": list(aliases)}
    if netname not in c["networks"]:
        c["networks"].append(netname)


def disconnect(d, netname, cname):
    d["networks"][netname]["endpoints"].pop(cname, None)
    c = d["containers"].get(cname)
    if c and netname in c["networks"]:
        c["networks"].remove(netname)


def published(c):
    return [p for p in c.get("ports", []) if p.get("host_port")]


def port_conflict(d, ports, exclude=None):
    """The (ip, port, proto) of `ports` already bound by a running container, or None."""
    for p in ports:
        if not p.get("host_port"):
            continue
        for name, other in d["containers"].items():
            if name == exclude or other["state"] != "running":
                continue
            for q in published(other):
                if q["host_port"] == p["host_port"] and q["proto"] == p["proto"] and (
                        q["host_ip"] in ("", "0.0.0.0") or p["host_ip"] in ("", "0.0.0.0") or q["host_ip"] == p["host_ip"]):
                    return p
    return None


def create_container(d, name, image, *, labels=None, env=None, ports=None, binds=None, network=None,
                     cmd=None, entrypoint=None, hostname=None, restart="no", privileged=False,
                     aliases=(), volumes_from_image=()):
    cid = fakelib.random_hex(64)
    c = {"id": cid, "name": name, "image": image, "image_id": "sha256:" + fakelib.random_hex(64),
         "created": time.time(), "state": "created", "exit_code": 0, "started_at": None,
         "finished_at": None, "restart": restart, "env": list(env or []), "labels": dict(labels or {}),
         "ports": list(ports or []), "binds": list(binds or []), "networks": [], "cmd": list(cmd or []),
         "entrypoint": list(entrypoint or []), "hostname": hostname or cid[:12], "privileged": privileged,
         "network_mode": network or "bridge", "files": {}, "dirs": [], "restart_count": 0}
    d["containers"][name] = c
    for b in c["binds"]:
        src = b.split(":")[0]
        if src and not src.startswith("/") and src not in d["volumes"]:
            d["volumes"][src] = {"name": src, "created": fakelib.now_iso(), "labels": {}}
    for v in volumes_from_image:
        if not any(b.split(":")[1:2] == [v] for b in c["binds"]):
            anon = fakelib.random_hex(64)
            d["volumes"][anon] = {"name": anon, "created": fakelib.now_iso(), "labels": {}, "anonymous": True}
            c["binds"].append(f"{anon}:{v}")
    connect(d, network or "bridge", name, aliases)
    return c


def start_container(st, d, c):
    c["state"] = "running"
    c["started_at"] = time.time()
    c["finished_at"] = None
    maybe_start_registry_server(st, c)


def stop_container(d, c, code=0):
    if c["state"] == "running":
        c["state"] = "exited"
        c["exit_code"] = code
        c["finished_at"] = time.time()
    stop_registry_server(c)


def remove_container(d, name):
    c = d["containers"].pop(name, None)
    if c is None:
        return None
    stop_registry_server(c)
    for net in d["networks"].values():
        net["endpoints"].pop(name, None)
    for b in c["binds"]:
        src = b.split(":")[0]
        if d["volumes"].get(src, {}).get("anonymous"):
            d["volumes"].pop(src, None)
    return c


def find(d, ref):
    """Container by name (with or without '/') or id prefix."""
    ref = ref.lstrip("/")
    if ref in d["containers"]:
        return d["containers"][ref]
    hits = [c for c in d["containers"].values() if c["id"].startswith(ref)] if len(ref) >= 1 else []
    return hits[0] if len(hits) == 1 else None


def find_network(d, ref):
    if ref in d["networks"]:
        return d["networks"][ref]
    hits = [n for n in d["networks"].values() if n["id"].startswith(ref)]
    return hits[0] if len(hits) == 1 else None


# ---------------------------------------------------------------- the registry stand-in

def maybe_start_registry_server(st, c):
    if os.environ.get("MESHLAB_FAKE_REGISTRY_HTTP", "1") in ("0", "false", "no"):
        return
    if not c["image"].split("/")[-1].startswith("registry"):
        return
    for p in published(c):
        if p["container_port"] != "5000" or p["proto"] != "tcp":
            continue
        host = p["host_ip"] if fakelib.is_loopback(p["host_ip"]) else "127.0.0.1"
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "regserver.py"), fakelib.state_dir(),
                                 c["name"], c["id"], host, p["host_port"]],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
        c.setdefault("server_pids", []).append(proc.pid)


def stop_registry_server(c):
    for pid in c.pop("server_pids", []) or []:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass


# ---------------------------------------------------------------- inspect views

def _iso(t):
    if not t:
        return "0001-01-01T00:00:00Z"
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e9):09d}Z"


def port_key(p):
    return f"{p['container_port']}/{p['proto']}"


def inspect_container(d, c):
    ports = GoMap()
    bindings = GoMap()
    for p in c.get("ports", []):
        k = port_key(p)
        if p.get("host_port"):
            bindings.setdefault(k, []).append({"HostIp": p["host_ip"], "HostPort": p["host_port"]})
            if c["state"] == "running":
                ips = [p["host_ip"] or "0.0.0.0"] + (["::"] if not p["host_ip"] or p["host_ip"] == "0.0.0.0" else [])
                ports.setdefault(k, []).extend({"HostIp": ip, "HostPort": p["host_port"]} for ip in ips)
        else:
            ports.setdefault(k, None)
    networks = GoMap()
    for netname in c["networks"]:
        net = d["networks"].get(netname)
        if not net:
            continue
        ep = net["endpoints"].get(c["name"], {})
        running = c["state"] == "running"
        prefix = int(net["subnet"].split("/")[1]) if net["subnet"] else 0
        networks[netname] = {
            "IPAMConfig": None, "Links": None, "Aliases": ep.get("aliases") or None,
            "MacAddress": ep.get("mac", "") if running else "", "DriverOpts": None, "GwPriority": 0,
            "NetworkID": net["id"], "EndpointID": ep.get("endpoint", "") if running else "",
            "Gateway": (net["gateway"] or "") if running else "",
            "IPAddress": ep.get("ip", "") if running else "", "IPPrefixLen": prefix if running else 0,
            "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "DNSNames": ([c["name"], c["id"][:12]] + list(ep.get("aliases") or [])) if netname != "bridge" else None,
        }
    state = c["state"]
    bridge = networks.get("bridge") or {}
    return {
        "Id": c["id"],
        "Created": _iso(c["created"]),
        "Path": (c.get("entrypoint") or c.get("cmd") or ["/entrypoint.sh"])[0],
        "Args": ((c.get("entrypoint") or [])[1:] + c.get("cmd", [])) if c.get("entrypoint") else c.get("cmd", [])[1:],
        "State": {"Status": state, "Running": state == "running", "Paused": False, "Restarting": False,
                  "OOMKilled": False, "Dead": False, "Pid": (10000 + int(c["id"][:4], 16) % 50000) if state == "running" else 0,
                  "ExitCode": c.get("exit_code", 0), "Error": "", "StartedAt": _iso(c.get("started_at")),
                  "FinishedAt": _iso(c.get("finished_at"))},
        "Image": c["image_id"],
        "ResolvConfPath": f"/var/lib/docker/containers/{c['id']}/resolv.conf",
        "HostnamePath": f"/var/lib/docker/containers/{c['id']}/hostname",
        "HostsPath": f"/var/lib/docker/containers/{c['id']}/hosts",
        "LogPath": f"/var/lib/docker/containers/{c['id']}/{c['id']}-json.log",
        "Name": "/" + c["name"],
        "RestartCount": c.get("restart_count", 0),
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "" if c.get("privileged") else "docker-default",
        "ExecIDs": None,
        "HostConfig": {
            "Binds": [b for b in c["binds"] if not d["volumes"].get(b.split(":")[0], {}).get("anonymous")] or None,
            "NetworkMode": c["network_mode"],
            "PortBindings": bindings,
            "RestartPolicy": {"Name": c.get("restart", "no") or "no", "MaximumRetryCount": 0},
            "AutoRemove": bool(c.get("auto_remove")),
            "Privileged": bool(c.get("privileged")),
        },
        "Mounts": [{"Type": "volume" if not b.startswith("/") else "bind", "Name": b.split(":")[0] if not b.startswith("/") else "",
                    "Source": b.split(":")[0] if b.startswith("/") else f"/var/lib/docker/volumes/{b.split(':')[0]}/_data",
                    "Destination": b.split(":")[1] if ":" in b else b, "Driver": "local" if not b.startswith("/") else "",
                    "Mode": b.split(":")[2] if b.count(":") > 1 else "z", "RW": not b.endswith(":ro"),
                    "Propagation": "" if not b.startswith("/") else "rprivate"} for b in c["binds"]],
        "Config": {
            "Hostname": c["hostname"], "Domainname": "", "User": "", "AttachStdin": False,
            "AttachStdout": False, "AttachStderr": False,
            "ExposedPorts": GoMap({port_key(p): {} for p in c.get("ports", [])}) or None,
            "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": c["env"] or None,
            "Cmd": c["cmd"] or None, "Image": c["image"], "Volumes": None, "WorkingDir": "",
            "Entrypoint": c.get("entrypoint") or None, "OnBuild": None, "Labels": GoMap(c["labels"]),
        },
        "NetworkSettings": {
            "Bridge": "", "SandboxID": c["id"][::-1] if state == "running" else "",
            "SandboxKey": f"/var/run/docker/netns/{c['id'][:12]}" if state == "running" else "",
            "Ports": ports, "HairpinMode": False, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None,
            "EndpointID": bridge.get("EndpointID", ""), "Gateway": bridge.get("Gateway", ""),
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": bridge.get("IPAddress", ""),
            "IPPrefixLen": bridge.get("IPPrefixLen", 0), "IPv6Gateway": "", "MacAddress": bridge.get("MacAddress", ""),
            "Networks": networks,
        },
    }


def inspect_network(d, net):
    configs = []
    if net["subnet"]:
        configs.append(GoStruct([("Subnet", net["subnet"]), ("IPRange", ""), ("Gateway", net["gateway"]),
                                 ("AuxiliaryAddresses", GoMap())], omitempty=("IPRange", "AuxiliaryAddresses")))
    if net.get("ipv6"):
        configs.append(GoStruct([("Subnet", net["ipv6"][0]), ("IPRange", ""), ("Gateway", net["ipv6"][1]),
                                 ("AuxiliaryAddresses", GoMap())], omitempty=("IPRange", "AuxiliaryAddresses")))
    containers = GoMap()
    for cname, ep in net["endpoints"].items():
        c = d["containers"].get(cname)
        if not c or c["state"] != "running":
            continue
        prefix = net["subnet"].split("/")[1] if net["subnet"] else ""
        containers[c["id"]] = {"Name": cname, "EndpointID": ep["endpoint"], "MacAddress": ep["mac"],
                               "IPv4Address": f"{ep['ip']}/{prefix}" if ep["ip"] else "", "IPv6Address": ""}
    return {
        "Name": net["name"], "Id": net["id"], "Created": net["created"],
        "Scope": "local", "Driver": net["driver"], "EnableIPv4": True, "EnableIPv6": bool(net.get("ipv6")),
        "IPAM": {"Driver": "default", "Options": GoMap() if net["name"] != "bridge" else None, "Config": configs},
        "Internal": False, "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""},
        "ConfigOnly": False, "Containers": containers, "Options": GoMap(net["options"]),
        "Labels": GoMap(net["labels"]),
    }


def human_duration(seconds):
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s < 60:
        return f"{s} seconds" if s > 1 else "1 second"
    m = s // 60
    if m == 1:
        return "About a minute"
    if m < 60:
        return f"{m} minutes"
    h = m // 60
    if h == 1:
        return "About an hour"
    if h < 48:
        return f"{h} hours"
    return f"{h // 24} days"


def ports_text(c):
    parts = []
    for p in c.get("ports", []):
        if p.get("host_port") and c["state"] == "running":
            ip = p["host_ip"] or "0.0.0.0"
            parts.append(f"{ip}:{p['host_port']}->{p['container_port']}/{p['proto']}")
            if ip == "0.0.0.0":
                parts.append(f"[::]:{p['host_port']}->{p['container_port']}/{p['proto']}")
        elif not p.get("host_port"):
            parts.append(f"{p['container_port']}/{p['proto']}")
    return ", ".join(parts)


def ps_row(d, c, no_trunc=False):
    now = time.time()
    if c["state"] == "running":
        status = f"Up {human_duration(now - (c.get('started_at') or now))}"
    elif c["state"] == "exited":
        status = f"Exited ({c.get('exit_code', 0)}) {human_duration(now - (c.get('finished_at') or now))} ago"
    else:
        status = "Created"
    command = " ".join((c.get("entrypoint") or []) + (c.get("cmd") or [])) or "/entrypoint.sh"
    labels = ",".join(f"{k}={v}" for k, v in sorted(c["labels"].items()))
    return {
        "Command": json.dumps(command if no_trunc else (command[:19] + "…" if len(command) > 20 else command), ensure_ascii=False),
        "CreatedAt": time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(c["created"])),
        "ID": c["id"] if no_trunc else c["id"][:12],
        "Image": c["image"],
        "Labels": labels,
        "LocalVolumes": str(sum(1 for b in c["binds"] if not b.startswith("/"))),
        "Mounts": ",".join(b.split(":")[0][:15] for b in c["binds"]),
        "Names": c["name"],
        "Networks": ",".join(c["networks"]),
        "Ports": ports_text(c),
        "RunningFor": human_duration(now - c["created"]) + " ago",
        "Size": "0B",
        "State": c["state"],
        "Status": status,
        "Label": lambda key: c["labels"].get(key, ""),
    }


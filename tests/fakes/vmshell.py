"""Commands inside a fake multipass instance (`multipass exec NAME -- …`).

An instance has a tiny file system (files with owner and mode, known directories) filled by
cloud-init's write_files, by `multipass transfer` and by the commands below. The command runs
as user `ubuntu`; `sudo` makes it root. `sh -c` / `bash -c` scripts are split into simple
commands joined by `&&`, `||`, `;`, `|` with `>`, `>>` and `<` redirections.

To teach the fake a new command, add a function to HANDLERS: it gets (ctx, args, stdin bytes)
and returns (exit code, stdout bytes, stderr bytes). Unknown commands succeed with no output and
are listed in the call log's note (`unsimulated`).
"""

import base64
import json
import posixpath
import re
import shlex

STANDARD_DIRS = [
    "/", "/bin", "/boot", "/dev", "/etc", "/etc/default", "/etc/systemd", "/etc/systemd/system",
    "/home", "/home/ubuntu", "/opt", "/root", "/run", "/srv", "/tmp", "/usr", "/usr/bin",
    "/usr/local", "/usr/local/bin", "/usr/share", "/var", "/var/lib", "/var/log", "/var/tmp",
    "/var/lib/cloud", "/var/lib/cloud/instance", "/etc/rancher", "/etc/apt", "/etc/ssl",
    "/etc/ssl/certs", "/usr/local/share", "/usr/local/share/ca-certificates",
]

USER_HOME = "/home/ubuntu"


class Ctx:
    def __init__(self, inst, root=False, cwd=USER_HOME, st=None):
        self.inst = inst
        self.root = root
        self.cwd = cwd
        self.st = st  # the fakes' State, when a command may reach beyond the instance (vmmesh)
        self.unsimulated = []
        inst.setdefault("files", {})
        inst.setdefault("dirs", [])
        inst.setdefault("services", {})
        inst.setdefault("packages", [])

    # ---- file system
    def abspath(self, p):
        return posixpath.normpath(posixpath.join(self.cwd, p))

    def is_dir(self, p):
        p = self.abspath(p)
        if p in STANDARD_DIRS or p in self.inst["dirs"]:
            return True
        prefix = p.rstrip("/") + "/"
        return any(f.startswith(prefix) for f in self.inst["files"])

    def is_file(self, p):
        return self.abspath(p) in self.inst["files"]

    def read(self, p):
        """(bytes, None) or (None, error reason)."""
        p = self.abspath(p)
        f = self.inst["files"].get(p)
        if f is None:
            return None, "Is a directory" if self.is_dir(p) else "No such file or directory"
        if not self.root and f.get("owner", "root:root").split(":")[0] != "ubuntu":
            mode = int(f.get("mode", "0644"), 8)
            if not mode & 0o004:
                return None, "Permission denied"
        return base64.b64decode(f["b64"]), None

    def may_write(self, p):
        p = self.abspath(p)
        if self.root:
            return True
        f = self.inst["files"].get(p)
        if f is not None:
            return f.get("owner", "root:root").split(":")[0] == "ubuntu"
        d = posixpath.dirname(p)
        return d == USER_HOME or d.startswith(USER_HOME + "/") or d == "/tmp" or d.startswith("/tmp/") \
            or d in self.inst.get("user_dirs", [])

    def write(self, p, data, append=False, mode=None, owner=None):
        """None on success, else an error reason."""
        p = self.abspath(p)
        if self.is_dir(p) and p not in self.inst["files"]:
            return "Is a directory"
        if not self.is_dir(posixpath.dirname(p)):
            return "No such file or directory"
        if not self.may_write(p):
            return "Permission denied"
        old = self.inst["files"].get(p)
        if append and old:
            data = base64.b64decode(old["b64"]) + data
        default_owner = "root:root" if self.root else "ubuntu:ubuntu"
        self.inst["files"][p] = {
            "b64": base64.b64encode(data).decode(),
            "owner": owner or (old or {}).get("owner", default_owner),
            "mode": mode or (old or {}).get("mode", "0644" if self.root else "0664"),
        }
        return None

    def mkdir(self, p, parents=False):
        p = self.abspath(p)
        if self.is_dir(p):
            return None if parents else "File exists"
        parent = posixpath.dirname(p)
        if not self.is_dir(parent):
            if not parents:
                return "No such file or directory"
            err = self.mkdir(parent, parents=True)
            if err:
                return err
        if not self.root and not (parent == USER_HOME or parent.startswith(USER_HOME + "/") or
                                  parent.startswith("/tmp") or parent in self.inst.get("user_dirs", [])):
            return "Permission denied"
        self.inst["dirs"].append(p)
        if not self.root:
            self.inst.setdefault("user_dirs", []).append(p)
        return None


def _err(text, code=1):
    return code, b"", (text + "\n").encode()


# ---------------------------------------------------------------- handlers

def h_cloud_init(ctx, args, stdin):
    if not args or args[0] != "status":
        return 0, b"", b""
    status = ctx.inst.get("cloud_init_status", "done")
    if "--format" in args and args[args.index("--format") + 1:][:1] == ["json"]:
        out = json.dumps({"status": status, "extended_status": status, "errors": [],
                          "boot_status_code": "enabled-by-generator", "detail": "DataSourceNoCloud"}, indent=1)
        return (0 if status == "done" else 1), (out + "\n").encode(), b""
    wait = "--wait" in args or "-w" in args
    text = ("\n" if wait else "") + f"status: {status}\n"
    return {"done": 0, "error": 1, "degraded": 2}.get(status, 1), text.encode(), b""


def h_cat(ctx, args, stdin):
    files = [a for a in args if not a.startswith("-") or a == "-"]
    if not files:
        return 0, stdin, b""
    out, err, code = b"", b"", 0
    for f in files:
        if f == "-":
            out += stdin
            continue
        data, why = ctx.read(f)
        if data is None:
            err += f"cat: {f}: {why}\n".encode()
            code = 1
        else:
            out += data
    return code, out, err


def h_test(ctx, args, stdin):
    if args and args[-1] == "]":
        args = args[:-1]
    neg = False
    if args and args[0] == "!":
        neg, args = True, args[1:]
    if len(args) == 2:
        op, p = args
        if op == "-f":
            ok = ctx.is_file(p)
        elif op == "-d":
            ok = ctx.is_dir(p)
        elif op == "-e":
            ok = ctx.is_file(p) or ctx.is_dir(p)
        elif op == "-s":
            ok = bool(ctx.is_file(p) and base64.b64decode(ctx.inst["files"][ctx.abspath(p)]["b64"]))
        elif op == "-r":
            ok = ctx.read(p)[0] is not None
        elif op == "-n":
            ok = bool(p)
        elif op == "-z":
            ok = not p
        else:
            ok = False
    elif len(args) == 3 and args[1] in ("=", "==", "!="):
        ok = (args[0] == args[2]) == (args[1] != "!=")
    elif len(args) == 1:
        ok = bool(args[0])
    else:
        ok = False
    return (0 if ok != neg else 1), b"", b""


def h_mkdir(ctx, args, stdin):
    parents = any(a in ("-p", "--parents") for a in args)
    mode = None
    paths = []
    it = iter(args)
    for a in it:
        if a in ("-m", "--mode"):
            mode = next(it, None)
        elif a.startswith("-"):
            continue
        else:
            paths.append(a)
    for p in paths:
        why = ctx.mkdir(p, parents)
        if why:
            return _err(f"mkdir: cannot create directory '{p}': {why}")
    return 0, b"", b""


def h_tee(ctx, args, stdin):
    append = any(a in ("-a", "--append") for a in args)
    for p in [a for a in args if not a.startswith("-")]:
        why = ctx.write(p, stdin, append=append)
        if why:
            return 1, stdin, f"tee: {p}: {why}\n".encode()
    return 0, stdin, b""


def h_cp(ctx, args, stdin):
    paths = [a for a in args if not a.startswith("-")]
    if len(paths) != 2:
        return _err("cp: missing file operand")
    src, dst = paths
    if src == "/dev/stdin":
        data = stdin
    else:
        data, why = ctx.read(src)
        if data is None:
            return _err(f"cp: cannot stat '{src}': {why}" if why != "Permission denied"
                        else f"cp: cannot open '{src}' for reading: Permission denied")
    if ctx.is_dir(dst):
        dst = posixpath.join(dst, posixpath.basename(src))
    why = ctx.write(dst, data)
    if why:
        return _err(f"cp: cannot create regular file '{dst}': {why}")
    return 0, b"", b""


def h_mv(ctx, args, stdin):
    code, out, err = h_cp(ctx, args, stdin)
    if code == 0:
        src = [a for a in args if not a.startswith("-")][0]
        ctx.inst["files"].pop(ctx.abspath(src), None)
    return code, out, err.replace(b"cp:", b"mv:")


def h_install(ctx, args, stdin):
    mode, owner, group, make_dirs = None, None, None, False
    paths = []
    it = iter(args)
    for a in it:
        if a in ("-m", "--mode"):
            mode = next(it, None)
        elif a in ("-o", "--owner"):
            owner = next(it, None)
        elif a in ("-g", "--group"):
            group = next(it, None)
        elif a == "-D":
            make_dirs = True
        elif a == "-d":
            for p in list(it):
                ctx.mkdir(p, parents=True)
            return 0, b"", b""
        elif not a.startswith("-"):
            paths.append(a)
    if len(paths) != 2:
        return _err("install: missing destination file operand")
    src, dst = paths
    data, why = (stdin, None) if src == "/dev/stdin" else ctx.read(src)
    if data is None:
        return _err(f"install: cannot stat '{src}': {why}")
    if make_dirs:
        ctx.mkdir(posixpath.dirname(ctx.abspath(dst)), parents=True)
    if ctx.is_dir(dst):
        dst = posixpath.join(dst, posixpath.basename(src))
    why = ctx.write(dst, data, mode=("0" + mode.lstrip("0")) if mode else "0755",
                    owner=f"{owner or 'root'}:{group or owner or 'root'}" if ctx.root else None)
    if why:
        return _err(f"install: cannot create regular file '{dst}': {why}")
    return 0, b"", b""


def h_rm(ctx, args, stdin):
    force = any(a.startswith("-") and "f" in a for a in args)
    for p in [a for a in args if not a.startswith("-")]:
        ap = ctx.abspath(p)
        if ap in ctx.inst["files"]:
            if not ctx.may_write(ap):
                return _err(f"rm: cannot remove '{p}': Permission denied")
            del ctx.inst["files"][ap]
        elif ctx.is_dir(ap) and any(a.startswith("-") and "r" in a.lower() for a in args):
            for f in [f for f in ctx.inst["files"] if f.startswith(ap.rstrip("/") + "/")]:
                del ctx.inst["files"][f]
            if ap in ctx.inst["dirs"]:
                ctx.inst["dirs"].remove(ap)
        elif not force:
            return _err(f"rm: cannot remove '{p}': No such file or directory")
    return 0, b"", b""


def h_chmod(ctx, args, stdin):
    paths = [a for a in args if not a.startswith("-")]
    if len(paths) < 2:
        return _err("chmod: missing operand")
    mode = paths[0]
    for p in paths[1:]:
        f = ctx.inst["files"].get(ctx.abspath(p))
        if f is None:
            if ctx.is_dir(p):
                continue
            return _err(f"chmod: cannot access '{p}': No such file or directory")
        if not ctx.root and f.get("owner", "").split(":")[0] != "ubuntu":
            return _err(f"chmod: changing permissions of '{p}': Operation not permitted")
        if mode.isdigit():
            f["mode"] = "0" + mode.lstrip("0").rjust(3, "0")
        else:
            m = int(f.get("mode", "0644"), 8)
            who, op, perm = mode[:-2] if len(mode) > 2 else "a", mode[-2], mode[-1]
            bits = {"r": 4, "w": 2, "x": 1}.get(perm, 0)
            mask = sum({"u": bits << 6, "g": bits << 3, "o": bits, "a": bits * 0o111}.get(w, 0) for w in (who or "a"))
            m = m | mask if op == "+" else m & ~mask
            f["mode"] = "0" + oct(m)[2:].rjust(3, "0")
    return 0, b"", b""


def h_chown(ctx, args, stdin):
    paths = [a for a in args if not a.startswith("-")]
    if len(paths) < 2:
        return _err("chown: missing operand")
    if not ctx.root:
        return _err(f"chown: changing ownership of '{paths[1]}': Operation not permitted")
    owner = paths[0] if ":" in paths[0] else f"{paths[0]}:{paths[0]}"
    for p in paths[1:]:
        f = ctx.inst["files"].get(ctx.abspath(p))
        if f is not None:
            f["owner"] = owner
    return 0, b"", b""


def h_touch(ctx, args, stdin):
    for p in [a for a in args if not a.startswith("-")]:
        if not ctx.is_file(p):
            why = ctx.write(p, b"")
            if why:
                return _err(f"touch: cannot touch '{p}': {why}")
    return 0, b"", b""


def h_ls(ctx, args, stdin):
    paths = [a for a in args if not a.startswith("-")] or ["."]
    out = []
    for p in paths:
        ap = ctx.abspath(p)
        if ctx.is_file(ap):
            out.append(p)
            continue
        if not ctx.is_dir(ap):
            return _err(f"ls: cannot access '{p}': No such file or directory", 2)
        prefix = ap.rstrip("/") + "/"
        names = {f[len(prefix):].split("/")[0] for f in list(ctx.inst["files"]) + ctx.inst["dirs"]
                 if f.startswith(prefix)}
        out.extend(sorted(names))
    return 0, ("\n".join(out) + ("\n" if out else "")).encode(), b""


def h_echo(ctx, args, stdin):
    nl = True
    if args and args[0] == "-n":
        nl, args = False, args[1:]
    return 0, (" ".join(args) + ("\n" if nl else "")).encode(), b""


def h_hostname(ctx, args, stdin):
    if "-I" in args or "-i" in args:
        return 0, (" ".join(ctx.inst.get("ipv4", [])) + " \n").encode(), b""
    return 0, (ctx.inst["name"] + "\n").encode(), b""


def h_uname(ctx, args, stdin):
    if "-m" in args:
        return 0, b"x86_64\n", b""
    if "-a" in args:
        return 0, f"Linux {ctx.inst['name']} 6.8.0-fake-generic #1 SMP x86_64 x86_64 x86_64 GNU/Linux\n".encode(), b""
    return 0, b"Linux\n", b""


def _control_fields(data):
    """Package/Version/Architecture of a fake .deb: the tests serve a control-file-like text."""
    fields = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key in ("Package", "Version", "Architecture"):
            fields[key] = value.strip()
    return fields


def h_dpkg(ctx, args, stdin):
    if "--print-architecture" in args:
        return 0, b"amd64\n", b""
    if "-i" in args or "--install" in args:
        if not ctx.root:
            return _err("dpkg: error: requested operation requires superuser privilege", 2)
        for p in [a for a in args if not a.startswith("-")]:
            if not ctx.is_file(p):
                return _err(f"dpkg: error: cannot access archive '{p}': No such file or directory", 2)
            data, _ = ctx.read(p)
            fields = _control_fields(data)
            name = fields.get("Package") or posixpath.basename(p)
            ctx.inst["packages"].append(name)
            ctx.inst.setdefault("package_versions", {})[name] = fields.get("Version", "0")
            for path, content in PACKAGE_FILES.get(name, {}).items():
                ctx.mkdir(posixpath.dirname(path), parents=True)
                ctx.write(path, content, mode="0644")
        return 0, b"", b""
    return 0, b"", b""


def h_dpkg_query(ctx, args, stdin):
    names = [a for a in args if not a.startswith("-")]
    if "-W" not in args and "--show" not in args:
        return 0, b"", b""
    versions = ctx.inst.get("package_versions", {})
    out, code, err = b"", 0, b""
    for n in names:
        if n in versions:
            out += f"{n}\t{versions[n]}\n".encode()
        else:
            err += f"dpkg-query: no packages found matching {n}\n".encode()
            code = 1
    return code, out, err


def h_grep(ctx, args, stdin):
    """grep [-v] [-F] [-q] [-x] PATTERN [FILE...]: fixed strings with -F, else Python regexes."""
    flags, rest = set(), []
    for a in args:
        if a.startswith("-") and len(a) > 1 and not rest:
            flags.update(a[1:])
        else:
            rest.append(a)
    if not rest:
        return _err("Usage: grep [OPTION]... PATTERNS [FILE]...", 2)
    pattern, files = rest[0], rest[1:]
    texts, err, missing = [], b"", False
    for f in files or ["-"]:
        if f == "-":
            texts.append(stdin)
            continue
        data, why = ctx.read(f)
        if data is None:
            err += f"grep: {f}: {why}\n".encode()
            missing = True
            continue
        texts.append(data)

    def hit(line):
        if "F" in flags:
            found = line == pattern if "x" in flags else pattern in line
        else:
            found = bool(re.fullmatch(pattern, line) if "x" in flags else re.search(pattern, line))
        return found != ("v" in flags)

    out = []
    for data in texts:
        out.extend(line for line in data.decode("utf-8", "replace").splitlines() if hit(line))
    if missing and not out:
        return 2, b"", err
    code = 0 if out else 1
    if "q" in flags:
        return code, b"", err
    return code, ("\n".join(out) + ("\n" if out else "")).encode(), err


def h_apt(ctx, args, stdin):
    if "install" in args:
        if not ctx.root:
            return _err("E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)", 100)
        ctx.inst["packages"].extend(a for a in args[args.index("install") + 1:] if not a.startswith("-"))
    return 0, b"", b""


def h_systemctl(ctx, args, stdin):
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return 0, b"", b""
    verb, units = words[0], words[1:]
    services = ctx.inst["services"]
    if verb in ("start", "restart", "enable", "stop", "disable", "reload") and not ctx.root:
        return _err("Failed to " + verb + " " + " ".join(units) + ": Interactive authentication required.", 1)
    for u in units:
        u = u[:-8] if u.endswith(".service") else u
        if verb in ("start", "restart", "reload", "enable", "stop", "disable") and u in PACKAGE_UNITS \
                and PACKAGE_UNITS[u] not in ctx.inst.get("package_versions", {}):
            if verb in ("enable", "disable"):
                return 1, b"", f"Failed to {verb} unit: Unit file {u}.service does not exist.\n".encode()
            return 5, b"", f"Failed to {verb} {u}.service: Unit {u}.service not found.\n".encode()
        was = services.get(u)
        if verb in ("start", "restart", "reload"):
            services[u] = "active"
        elif verb in ("stop",) or (verb == "disable" and "--now" in args):
            services[u] = "inactive"
        elif verb == "enable" and "--now" in args:
            services[u] = "active"
        if u in SERVICE_HOOKS and ctx.st is not None:
            if services.get(u) == "active" and (was != "active" or verb == "restart"):
                SERVICE_HOOKS[u][0](ctx)
            elif services.get(u) != "active" and was == "active":
                SERVICE_HOOKS[u][1](ctx)
    if verb == "is-active":
        states = [services.get(u[:-8] if u.endswith(".service") else u, "inactive") for u in units]
        return (0 if all(s == "active" for s in states) else 3), ("\n".join(states) + "\n").encode(), b""
    if verb == "status":
        u = units[0] if units else ""
        state = services.get(u, "inactive")
        return (0 if state == "active" else 3), f"● {u}.service\n     Active: {state}\n".encode(), b""
    return 0, b"", b""


def h_curl(ctx, args, stdin):
    """curl as meshlab's checks use it: -s -S -m N -o FILE -w FMT -X METHOD, several URLs.
    Requests go to `ctx.net(url, method)` (set by the fake that runs the command); a URL it does
    not model, or no `ctx.net`, leaves the command unsimulated."""
    net = getattr(ctx, "net", None)
    method, write, output, urls = "GET", None, None, []
    silent = show_errors = False
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-X", "--request", "-m", "--max-time", "-o", "--output", "-w", "--write-out", "-H", "--header",
                 "--connect-timeout", "--cacert", "--resolve") and i + 1 < len(args):
            value = args[i + 1]
            if a in ("-X", "--request"):
                method = value
            elif a in ("-o", "--output"):
                output = value
            elif a in ("-w", "--write-out"):
                write = value
            i += 2
            continue
        if a.startswith("--"):
            silent = silent or a == "--silent"
            show_errors = show_errors or a == "--show-error"
        elif a.startswith("-") and len(a) > 1:
            silent = silent or "s" in a[1:]
            show_errors = show_errors or "S" in a[1:]
        else:
            urls.append(a)
        i += 1
    if not urls:
        return 2, b"", b"curl: no URL specified!\n"
    answers = [net(u, method) if net else None for u in urls]
    if any(a is None for a in answers):
        ctx.unsimulated.append(["curl"] + list(args))
        return 0, b"", b""
    out, err, code = b"", b"", 0
    for answer in answers:
        if answer[0] is None:
            _, code, message = answer
            status = 0
            if show_errors or not silent:
                err += f"curl: ({code}) {message}\n".encode()
        else:
            status, body = answer
            if output is None:
                out += body.encode()
        if write is not None:
            text = write.replace("%{http_code}", f"{status:03d}").replace("\\n", "\n").replace("\\t", "\t")
            out += text.encode()
    return code, out, err


def h_true(ctx, args, stdin):
    return 0, b"", b""


def h_false(ctx, args, stdin):
    return 1, b"", b""


# Files a package puts on disk when `dpkg -i` installs it, and the units it provides.
PACKAGE_FILES = {
    "istio-sidecar": {
        "/lib/systemd/system/istio.service": b"[Unit]\nDescription=istio-sidecar: The Istio sidecar\n"
                                             b"[Service]\nExecStart=/usr/local/bin/istio-start.sh\n",
        "/usr/local/bin/istio-start.sh": b"#!/bin/bash\n",
    },
}
PACKAGE_UNITS = {"istio": "istio-sidecar"}

# unit -> (on becoming active / restarted, on stopping): effects beyond the instance, filled
# in by modules that need the world (vmmesh: the sidecar's auto-registration with istiod).
SERVICE_HOOKS = {}

HANDLERS = {
    "cloud-init": h_cloud_init,
    "dpkg-query": h_dpkg_query,
    "grep": h_grep,
    "cat": h_cat,
    "test": h_test,
    "[": h_test,
    "mkdir": h_mkdir,
    "tee": h_tee,
    "cp": h_cp,
    "mv": h_mv,
    "install": h_install,
    "rm": h_rm,
    "chmod": h_chmod,
    "chown": h_chown,
    "touch": h_touch,
    "ls": h_ls,
    "echo": h_echo,
    "hostname": h_hostname,
    "uname": h_uname,
    "dpkg": h_dpkg,
    "apt-get": h_apt,
    "apt": h_apt,
    "systemctl": h_systemctl,
    "curl": h_curl,
    "true": h_true,
    "false": h_false,
    ":": h_true,
    "cd": h_true,
    "export": h_true,
    "set": h_true,
}


# ---------------------------------------------------------------- running argv and scripts

def wants_stdin(argv):
    """Whether a command reads its stdin (the fakes read stdin only then, so an idle inherited
    stdin never blocks them): tee, cp/install from /dev/stdin, cat without files, a shell fed
    a script on stdin, `cat >` in a script, or a `-` argument."""
    words = list(argv)
    while words and words[0] in ("sudo", "env") or (words and "=" in words[0] and not words[0].startswith("-")):
        words.pop(0)
        while words and words[0].startswith("-"):
            words.pop(0)
    if not words:
        return False
    prog = posixpath.basename(words[0])
    text = " ".join(words)
    if prog in ("sh", "bash", "dash") and not any(w.startswith("-") and "c" in w for w in words[1:2]):
        return True
    if prog == "cat" and not [w for w in words[1:] if not w.startswith("-")]:
        return True
    return prog == "tee" or "/dev/stdin" in text or "cat >" in text or "tee " in text or "-" in words[1:]

def run_argv(ctx, argv, stdin):
    """Run one command (after `--` in multipass exec). Returns (code, out bytes, err bytes)."""
    argv = list(argv)
    was_root = ctx.root
    try:
        while argv and argv[0] in ("sudo", "env", "nohup", "command"):
            word = argv.pop(0)
            if word == "sudo":
                ctx.root = True
                while argv and argv[0].startswith("-"):
                    flag = argv.pop(0)
                    if flag in ("-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U") and argv:
                        user = argv.pop(0)
                        if flag == "-u" and user != "root":
                            ctx.root = False
                    if flag == "--":
                        break
            else:
                while argv and ("=" in argv[0] or argv[0].startswith("-")):
                    argv.pop(0)
        if not argv:
            return 0, b"", b""
        prog = posixpath.basename(argv[0])
        if prog in ("sh", "bash", "dash") and len(argv) >= 3 and argv[1] in ("-c", "-ec", "-xc", "-euc", "-eu"):
            return run_script(ctx, argv[2], stdin)
        if prog in ("sh", "bash", "dash") and all(a.startswith("-") for a in argv[1:]):
            return run_script(ctx, stdin.decode("utf-8", "replace"), b"")
        handler = HANDLERS.get(prog)
        if handler is None:
            ctx.unsimulated.append(argv)
            return 0, b"", b""
        return handler(ctx, argv[1:], stdin)
    finally:
        ctx.root = was_root


def _tokens(script):
    lex = shlex.shlex(script, posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


def run_script(ctx, script, stdin):
    """A shell script of simple commands joined by && || ; | with > >> < redirections."""
    try:
        tokens = _tokens(script.replace("\n", " ; "))
    except ValueError as e:
        return 2, b"", f"sh: 1: Syntax error: {e}\n".encode()
    # split into pipelines separated by ; && ||
    out_all, err_all = b"", b""
    code = 0
    connector = ";"
    i = 0
    while i <= len(tokens):
        j = i
        while j < len(tokens) and tokens[j] not in (";", "&&", "||"):
            j += 1
        segment = tokens[i:j]
        run_it = connector == ";" or (connector == "&&" and code == 0) or (connector == "||" and code != 0)
        if segment and run_it:
            code, out, err = _run_pipeline(ctx, segment, stdin)
            stdin = b""
            out_all += out
            err_all += err
        if j >= len(tokens):
            break
        connector = tokens[j]
        i = j + 1
    return code, out_all, err_all


def _run_pipeline(ctx, tokens, stdin):
    stages = [[]]
    for t in tokens:
        if t == "|":
            stages.append([])
        else:
            stages[-1].append(t)
    data = stdin
    code, err_all = 0, b""
    for k, stage in enumerate(stages):
        argv, redirs = [], []
        n = 0
        while n < len(stage):
            t = stage[n]
            nxt = stage[n + 1] if n + 1 < len(stage) else None
            if t.isdigit() and nxt in (">", ">>", "<") and n + 2 < len(stage):
                target = stage[n + 2]
                if target == "&":  # 2>&1
                    n += 4
                    continue
                if t == "1":
                    redirs.append((nxt, target))
                n += 3
                continue
            if t in (">", ">>", "<"):
                redirs.append((t, nxt or ""))
                n += 2
                continue
            argv.append(t)
            n += 1
        for op, target in redirs:
            if op == "<":
                if target == "/dev/null":
                    data = b""
                else:
                    got, why = ctx.read(target)
                    if got is None:
                        return 1, b"", f"sh: 1: cannot open {target}: {why}\n".encode()
                    data = got
        code, out, err = run_argv(ctx, argv, data)
        err_all += err
        for op, target in redirs:
            if op in (">", ">>"):
                if target == "/dev/null":
                    out = b""
                    continue
                why = ctx.write(target, out, append=(op == ">>"))
                if why:
                    return 2, b"", err_all + f"sh: 1: cannot create {target}: {why}\n".encode()
                out = b""
        data = out
    return code, data, err_all

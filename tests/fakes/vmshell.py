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

import debpkg

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


# Accounts of the Ubuntu cloud image (besides `ubuntu`); packages add theirs (PACKAGE_USERS).
BASE_USERS = {"root", "daemon", "bin", "sys", "sync", "man", "nobody", "systemd-network", "systemd-resolve",
              "messagebus", "syslog", "ubuntu"}
BASE_GROUPS = BASE_USERS | {"adm", "sudo", "users", "staff", "lxd", "netdev"}


def _users(ctx):
    return BASE_USERS | set(ctx.inst.get("users", []))


def _try_help(tool, text, code=1):
    return _err(f"{tool}: {text}\nTry '{tool} --help' for more information.", code)


def h_chown(ctx, args, stdin):
    """chown [-R] [-h] [-v] OWNER[:[GROUP]] FILE...: the owner and group must exist, every file
    must exist (coreutils goes on with the others and exits 1)."""
    opts, paths = set(), []
    for a in args:
        if a.startswith("--") and not paths:
            name = a[2:]
            if name not in ("recursive", "verbose", "changes", "silent", "quiet", "no-dereference", "dereference"):
                return _try_help("chown", f"unrecognized option '{a}'")
            opts.add({"recursive": "R", "no-dereference": "h"}.get(name, name))
        elif a.startswith("-") and len(a) > 1 and not paths:
            for ch in a[1:]:
                if ch not in "RhvcfHLP":
                    return _try_help("chown", f"invalid option -- '{ch}'")
                opts.add(ch)
        else:
            paths.append(a)
    if not paths:
        return _try_help("chown", "missing operand")
    spec, files = paths[0], paths[1:]
    if not files:
        return _try_help("chown", f"missing operand after ‘{spec}’")
    user, colon, group = spec.partition(":")
    if user and user not in _users(ctx):
        return _err(f"chown: invalid user: ‘{spec}’")
    if colon and group and group not in BASE_GROUPS | set(ctx.inst.get("users", [])):
        return _err(f"chown: invalid group: ‘{spec}’")
    if not ctx.root:
        return _err(f"chown: changing ownership of '{files[0]}': Operation not permitted")
    code, err = 0, b""
    for p in files:
        ap = ctx.abspath(p)
        if not ctx.is_file(ap) and not ctx.is_dir(ap):
            code, err = 1, err + f"chown: cannot access '{p}': No such file or directory\n".encode()
            continue
        targets = [ap]
        if "R" in opts and ctx.is_dir(ap):
            prefix = ap.rstrip("/") + "/"
            targets += [f for f in ctx.inst["files"] if f.startswith(prefix)]
        for t in targets:
            f = ctx.inst["files"].get(t)
            if f is not None:
                old_user, _, old_group = f.get("owner", "root:root").partition(":")
                f["owner"] = f"{user or old_user}:{group or (user if colon else old_group)}"
    return code, b"", err


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


DPKG_HELP = ("\nType dpkg --help for help about installing and deinstalling packages [*];\n"
             "Use 'apt' or 'aptitude' for user-friendly package management;\n"
             "Type dpkg -Dhelp for a list of dpkg debug flag values;\n"
             "Type dpkg --force-help for a list of forcing options;\n"
             "Type dpkg-deb --help for help about manipulating *.deb files;\n\n"
             "Options marked [*] produce a lot of output - pipe it through 'less' or 'more' !")
ARCHITECTURE = "amd64"


def h_dpkg(ctx, args, stdin):
    """dpkg --print-architecture, dpkg -i ARCHIVE...: an archive must be a Debian package (an
    ar archive with debian-binary and control.tar, see debpkg) for this machine's
    architecture; texts and exit codes as dpkg 1.22 prints them."""
    if "--print-architecture" in args:
        return 0, f"{ARCHITECTURE}\n".encode(), b""
    if "-i" not in args and "--install" not in args:
        return _err("dpkg: error: need an action option" + DPKG_HELP, 2)
    archives = [a for a in args if not a.startswith("-")]
    if not archives:
        return _err("dpkg: error: --install needs at least one package archive file argument" + DPKG_HELP, 2)
    if not ctx.root:
        return _err("dpkg: error: requested operation requires superuser privilege", 2)
    out, err, failed = b"", b"", []
    for p in archives:
        if not ctx.is_file(p):
            return _err(f"dpkg: error: cannot access archive '{p}': No such file or directory", 2)
        data, why = ctx.read(p)
        try:
            fields = debpkg.control_fields(data or b"")
        except debpkg.NotADeb:
            err += (f"dpkg-deb: error: '{p}' is not a Debian format archive\n"
                    f"dpkg: error processing archive {p} (--install):\n"
                    " dpkg-deb --control subprocess returned error exit status 2\n").encode()
            failed.append(p)
            continue
        arch = fields.get("Architecture", "")
        if arch not in (ARCHITECTURE, "all"):
            err += (f"dpkg: error processing archive {p} (--install):\n"
                    f" package architecture ({arch}) does not match system ({ARCHITECTURE})\n").encode()
            failed.append(p)
            continue
        name, version = fields["Package"], fields.get("Version", "")
        fresh = name not in ctx.inst.get("package_versions", {})
        if fresh:
            out += f"Selecting previously unselected package {name}.\n".encode()
        out += (f"Preparing to unpack {p} ...\nUnpacking {name} ({version}) ...\n"
                f"Setting up {name} ({version}) ...\n").encode()
        if name not in ctx.inst["packages"]:
            ctx.inst["packages"].append(name)
        ctx.inst.setdefault("package_versions", {})[name] = version
        for user in PACKAGE_USERS.get(name, []):
            if user not in ctx.inst.setdefault("users", []):
                ctx.inst["users"].append(user)
        for path, content in PACKAGE_FILES.get(name, {}).items():
            ctx.mkdir(posixpath.dirname(path), parents=True)
            ctx.write(path, content, mode="0644")
    if failed:
        err += ("Errors were encountered while processing:\n" + "".join(f" {p}\n" for p in failed)).encode()
        return 1, out, err
    return 0, out, err


def h_dpkg_query(ctx, args, stdin):
    """dpkg-query -W|--show [PACKAGE...]: "<package>\t<version>" per installed package."""
    if "-W" not in args and "--show" not in args:
        return _err("dpkg-query: error: need an action option\n\nUse --help for help about querying packages.", 2)
    for a in args:
        if a.startswith("-") and a not in ("-W", "--show"):
            return _err(f"dpkg-query: error: unknown option {a}\n\nUse --help for help about querying packages.", 2)
    names = [a for a in args if not a.startswith("-")]
    versions = ctx.inst.get("package_versions", {})
    out, code, err = b"", 0, b""
    for n in names or sorted(versions):
        if n in versions:
            out += f"{n}\t{versions[n]}\n".encode()
        else:
            err += f"dpkg-query: no packages found matching {n}\n".encode()
            code = 1
    return code, out, err


GREP_USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information."
GREP_SHORT = "vFqxEGicnshHwlLozZ"
GREP_LONG = {"invert-match": "v", "fixed-strings": "F", "quiet": "q", "silent": "q", "line-regexp": "x",
             "extended-regexp": "E", "basic-regexp": "G", "ignore-case": "i", "count": "c", "line-number": "n",
             "no-messages": "s", "no-filename": "h", "with-filename": "H", "word-regexp": "w",
             "files-with-matches": "l", "files-without-match": "L", "only-matching": "o"}


def _bre_to_python(pattern):
    """A POSIX basic regular expression as a Python one: in a BRE `+ ? | ( ) { }` are literal
    unless escaped (GNU extensions), the other way round from Python."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "+?|(){}" else "\\" + nxt)
            i += 2
            continue
        out.append("\\" + ch if ch in "+?|(){}" else ch)
        i += 1
    return "".join(out)


def h_grep(ctx, args, stdin):
    """grep [-vFqxEicnshHw] [-e PATTERN] PATTERN [FILE...] as GNU grep: fixed strings with -F,
    basic regular expressions by default, extended ones with -E; exit 0 (lines selected),
    1 (none), 2 (an error: bad option, unreadable file — unless a line was selected with -q)."""
    flags, patterns, rest = set(), [], []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i + 1:])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a[2:].partition("=")
            if name == "regexp":
                if not eq:
                    i += 1
                    if i >= len(args):
                        return _err(f"grep: option '--regexp' requires an argument\n{GREP_USAGE}", 2)
                    value = args[i]
                patterns.append(value)
            elif name in GREP_LONG and not eq:
                flags.add(GREP_LONG[name])
            else:
                return _err(f"grep: unrecognized option '{a}'\n{GREP_USAGE}", 2)
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch == "e":
                    value = a[j + 1:]
                    if not value:
                        i += 1
                        if i >= len(args):
                            return _err(f"grep: option requires an argument -- 'e'\n{GREP_USAGE}", 2)
                        value = args[i]
                    patterns.append(value)
                    break
                if ch not in GREP_SHORT:
                    return _err(f"grep: invalid option -- '{ch}'\n{GREP_USAGE}", 2)
                flags.add(ch)
                j += 1
        else:
            rest.append(a)
        i += 1
    if not patterns:
        if not rest:
            return _err(GREP_USAGE, 2)
        patterns, rest = [rest[0]], rest[1:]
    files = rest
    texts, err, missing = [], b"", False
    for f in files or ["-"]:
        if f == "-":
            texts.append(stdin)
            continue
        data, why = ctx.read(f)
        if data is None:
            if "s" not in flags:
                err += f"grep: {f}: {why}\n".encode()
            missing = True
            continue
        texts.append(data)
    try:
        if "F" in flags:
            regexes = None
        else:
            rx = [p if "E" in flags else _bre_to_python(p) for p in patterns]
            regexes = [re.compile(r, re.IGNORECASE if "i" in flags else 0) for r in rx]
    except re.error as e:
        return _err(f"grep: {e}", 2)

    def hit(line):
        if regexes is None:
            cmp_line = line.lower() if "i" in flags else line
            subs = [p.lower() if "i" in flags else p for p in patterns]
            found = any(cmp_line == p if "x" in flags else p in cmp_line for p in subs)
        else:
            found = any(r.fullmatch(line) if "x" in flags else r.search(line) for r in regexes)
        return found != ("v" in flags)

    out = []
    for data in texts:
        out.extend(line for line in data.decode("utf-8", "replace").splitlines() if hit(line))
    code = 0 if out else 1
    if "q" in flags:
        return (0 if out else (2 if missing else 1)), b"", err
    if missing:
        code = 2
    if "c" in flags:
        return code, f"{len(out)}\n".encode(), err
    return code, ("\n".join(out) + ("\n" if out else "")).encode(), err


def h_apt(ctx, args, stdin):
    if "install" in args:
        if not ctx.root:
            return _err("E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)", 100)
        ctx.inst["packages"].extend(a for a in args[args.index("install") + 1:] if not a.startswith("-"))
    return 0, b"", b""


UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
# Units of the Ubuntu cloud image that have no file in the fake file system.
BASE_UNITS = {"ssh", "cron", "rsyslog", "snapd", "multipathd", "systemd-resolved", "systemd-networkd",
              "systemd-journald", "systemd-timesyncd", "cloud-init", "cloud-final", "cloud-config", "k3s", "k3s-agent"}
SYSTEMCTL_VERBS = {"start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable",
                   "is-active", "is-enabled", "is-failed", "status", "show", "cat", "daemon-reload", "list-units",
                   "list-unit-files", "mask", "unmask", "kill", "reset-failed"}
NEEDS_UNIT = {"start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable",
              "is-active", "is-enabled", "is-failed", "cat", "mask", "unmask", "kill"}
CHANGES = {"start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable",
           "daemon-reload", "mask", "unmask", "kill", "reset-failed"}


def _unit_name(u):
    return u[:-8] if u.endswith(".service") else u


def unit_exists(ctx, u):
    """Whether systemd knows unit `u`: a unit file in the instance (written by cloud-init or a
    package), or a unit of the base image."""
    u = _unit_name(u)
    return u in BASE_UNITS or any(ctx.is_file(f"{d}/{u}.service") for d in UNIT_DIRS)


def h_systemctl(ctx, args, stdin):
    """systemctl VERB [UNIT...] for the verbs meshlab uses (start/stop/restart/enable/disable
    [--now], is-active [--quiet], status, daemon-reload): a unit must have a unit file, changes
    need root; texts and exit codes as systemd 255 prints them."""
    words = [a for a in args if not a.startswith("-")]
    quiet = "--quiet" in args or "-q" in args
    if not words:
        return 0, b"", b""  # list-units; nothing to show
    verb, units = words[0], words[1:]
    if verb not in SYSTEMCTL_VERBS:
        return _err(f"Unknown command verb '{verb}'.")
    if verb in NEEDS_UNIT and not units:
        return _err("Too few arguments.")
    services = ctx.inst["services"]
    if verb in CHANGES and not ctx.root:
        return _err("Failed to " + verb + " " + " ".join(units) + ": Interactive authentication required.", 1)
    if verb in ("start", "restart", "reload", "try-restart", "reload-or-restart", "stop", "enable", "disable", "kill"):
        for u in units:
            if not unit_exists(ctx, u):
                if verb in ("enable", "disable"):
                    return 1, b"", f"Failed to {verb} unit: Unit file {_unit_name(u)}.service does not exist.\n".encode()
                return 5, b"", f"Failed to {verb} {_unit_name(u)}.service: Unit {_unit_name(u)}.service not found.\n".encode()
    for u in units:
        u = _unit_name(u)
        was = services.get(u)
        if verb in ("start", "restart", "reload", "reload-or-restart"):
            services[u] = "active"
        elif verb in ("stop", "kill") or (verb == "disable" and "--now" in args):
            services[u] = "inactive"
        elif verb == "enable" and "--now" in args:
            services[u] = "active"
        if u in SERVICE_HOOKS and ctx.st is not None:
            if services.get(u) == "active" and (was != "active" or verb == "restart"):
                SERVICE_HOOKS[u][0](ctx)
            elif services.get(u) != "active" and was == "active":
                SERVICE_HOOKS[u][1](ctx)
    if verb == "is-active":
        states = [services.get(_unit_name(u), "inactive") for u in units]
        return (0 if any(s == "active" for s in states) else 3), \
            (b"" if quiet else ("\n".join(states) + "\n").encode()), b""
    if verb == "status":
        u = _unit_name(units[0]) if units else ""
        if units and not unit_exists(ctx, u):
            return 4, b"", f"Unit {u}.service could not be found.\n".encode()
        state = services.get(u, "inactive")
        return (0 if state == "active" else 3), f"\u25cf {u}.service\n     Active: {state}\n".encode(), b""
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
# Accounts a package's maintainer scripts create (istio-sidecar's postinst adds istio-proxy).
PACKAGE_USERS = {"istio-sidecar": ["istio-proxy"]}

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

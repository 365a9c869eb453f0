"""Debian binary packages (.deb) as dpkg reads them: an `ar` archive holding `debian-binary`,
`control.tar.*` (with `./control`) and `data.tar.*` (deb(5)).

The fakes' dpkg reads the control fields with `control_fields`; tests and the end-to-end
harness build small packages with `build` (the istio-sidecar package a VM installs).
Compressions: none, gzip and xz (Python's tarfile; dpkg-deb also writes zstd, which the
fakes do not read).
"""

import io
import tarfile
import time

AR_MAGIC = b"!<arch>\n"


class NotADeb(ValueError):
    """The bytes are not a Debian format archive (dpkg-deb's words)."""


def _ar_members(data):
    """[(name, bytes)] of an ar archive; NotADeb when `data` is none."""
    if not data.startswith(AR_MAGIC):
        raise NotADeb("not an ar archive")
    members, pos = [], len(AR_MAGIC)
    while pos < len(data):
        header = data[pos:pos + 60]
        if len(header) < 60 or header[58:60] != b"`\n":
            raise NotADeb("corrupt ar member header")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError as e:
            raise NotADeb("corrupt ar member size") from e
        body = data[pos + 60:pos + 60 + size]
        if len(body) < size:
            raise NotADeb("truncated ar member")
        members.append((name, body))
        pos += 60 + size + (size % 2)
    return members


def control_fields(data):
    """The fields of `./control` in a .deb ({"Package": …, "Version": …, …}); NotADeb when
    `data` is not a Debian format archive."""
    members = _ar_members(data)
    if not members or members[0][0] != "debian-binary" or not members[0][1].startswith(b"2."):
        raise NotADeb("no debian-binary member first")
    control = next((body for name, body in members if name.startswith("control.tar")), None)
    if control is None:
        raise NotADeb("no control.tar member")
    try:
        with tarfile.open(fileobj=io.BytesIO(control), mode="r:*") as tar:
            member = next((m for m in tar.getmembers() if m.name.lstrip("./") == "control"), None)
            text = tar.extractfile(member).read().decode("utf-8", "replace") if member else ""
    except (tarfile.TarError, EOFError, OSError) as e:
        raise NotADeb(f"unreadable control member: {e}") from e
    fields, key = {}, None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
        else:
            key = None
    if not fields.get("Package"):
        raise NotADeb("control file without Package")
    return fields


def _tar_gz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo("./" + path.lstrip("/"))
            info.size = len(content)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _ar(members):
    out = bytearray(AR_MAGIC)
    for name, body in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(body):<10}".encode("ascii") + b"`\n"
        out += header + body + (b"\n" if len(body) % 2 else b"")
    return bytes(out)


def build(package, version, architecture="amd64", files=None):
    """A minimal .deb of `package` `version` for `architecture`, holding `files` ({path: bytes})."""
    control = (f"Package: {package}\nVersion: {version}\nArchitecture: {architecture}\n"
               "Maintainer: meshlab fakes <fakes@meshlab.invalid>\nDescription: test package\n").encode()
    return _ar([("debian-binary", b"2.0\n"), ("control.tar.gz", _tar_gz({"control": control})),
                ("data.tar.gz", _tar_gz(files or {}))])

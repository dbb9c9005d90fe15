"""known_hosts as OpenSSH reads and writes it: lookup with file and line, accept-new append.

asyncssh can match known_hosts itself, but it cannot say *where* the old entry of a changed key
is, nor write the line ``ssh -o StrictHostKeyChecking=accept-new`` writes; both the tester and the
installer need exactly that, so the lookup lives here and ``tui.core.connect`` calls it from the
one host key check both use. Hashed names (``|1|salt|hash``), comma lists, ``*``/``?`` wildcards,
``!negation`` and ``@revoked`` are honoured; ``@cert-authority`` lines are skipped (no host
certificates here).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.keys import PublicKey, public_key_from_blob

DEFAULT_PORT = 22
GLOBAL_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")


def host_name(host: str, port: int) -> str:
    """The name ssh looks up and writes: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == DEFAULT_PORT else f"[{host}]:{port}"


@dataclass(frozen=True)
class Entry:
    path: Path
    line: int
    key: PublicKey
    marker: str | None = None  # "@revoked" or None


@dataclass(frozen=True)
class HostKeyCheck:
    """What known_hosts says about the key a server presented."""

    status: str  # "known", "unknown", "changed", "revoked"
    name: str  # "[127.0.0.1]:2222"
    path: Path  # the file looked in first (where accept-new writes)
    matched: Entry | None = None  # the entry that matched (known) or the old one (changed)
    others: tuple[Entry, ...] = field(default=())  # every entry for this name


def _hashed_match(token: str, name: str) -> bool:
    parts = token.split("|")
    if len(parts) != 4 or parts[1] != "1":
        return False
    try:
        salt = base64.b64decode(parts[2], validate=True)
        expected = base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), expected)


def _wildcard(pattern: str, name: str) -> bool:
    """OpenSSH patterns: only ``*`` and ``?`` are special (``[`` is literal, as in ``[h]:22``)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name) is not None


def names_match(patterns: str, name: str) -> bool:
    """OpenSSH's host list match: any positive pattern matches and no negated one does."""
    positive = False
    lowered = name.lower()
    for token in patterns.split(","):
        if token.startswith("|"):
            if _hashed_match(token, name):
                positive = True
            continue
        negated = token.startswith("!")
        pattern = token[1:] if negated else token
        if _wildcard(pattern.lower(), lowered):
            if negated:
                return False
            positive = True
    return positive


def read_entries(path: Path, name: str) -> list[Entry]:
    """Every well-formed entry of ``path`` naming ``name``; unreadable files count as empty."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = None
        if fields[0].startswith("@"):
            marker, fields = fields[0], fields[1:]
            if marker != "@revoked":
                continue
        if len(fields) < 3 or not names_match(fields[0], name):
            continue
        try:
            blob = base64.b64decode(fields[2], validate=True)
            key = public_key_from_blob(blob)
        except Exception:  # a damaged line is skipped, as ssh does
            continue
        if key.key_type != fields[1]:
            continue
        found.append(Entry(path, number, key, marker))
    return found


def default_files(user_file: Path | None) -> tuple[Path, ...]:
    """The user's file (``-o UserKnownHostsFile=`` or ``~/.ssh/known_hosts``), then the global."""
    first = user_file or Path.home() / ".ssh" / "known_hosts"
    return (first, GLOBAL_KNOWN_HOSTS)


def check(files: tuple[Path, ...], host: str, port: int, key: PublicKey) -> HostKeyCheck:
    """Look ``key`` up like ssh: revoked, known, changed (another key, of any type) or unknown."""
    name = host_name(host, port)
    entries = [entry for path in files for entry in read_entries(path, name)]
    plain = [e for e in entries if e.marker is None]
    for entry in entries:
        if entry.marker == "@revoked" and entry.key.plain_blob == key.plain_blob:
            return HostKeyCheck("revoked", name, files[0], entry, tuple(plain))
    for entry in plain:
        if entry.key.plain_blob == key.plain_blob:
            return HostKeyCheck("known", name, files[0], entry, tuple(plain))
    # ssh's check_hostkeys_by_key_or_type(): any known key for the name that differs, whatever
    # its type, is a changed key (a host known by ED25519 that now shows only RSA included);
    # the entry of the same type is the one named, else the first one
    same = [entry for entry in plain if entry.key.plain_type == key.plain_type]
    if same or plain:
        return HostKeyCheck("changed", name, files[0], (same or plain)[0], tuple(plain))
    return HostKeyCheck("unknown", name, files[0], None, tuple(plain))


def known_types(files: tuple[Path, ...], host: str, port: int) -> list[str]:
    """Key types already recorded for the host; ssh prefers them when negotiating."""
    name = host_name(host, port)
    types: list[str] = []
    for path in files:
        for entry in read_entries(path, name):
            if entry.marker is None and entry.key.plain_type not in types:
                types.append(entry.key.plain_type)
    return types


def entry_line(host: str, port: int, key: PublicKey) -> str:
    """The line accept-new writes: ``[127.0.0.1]:2222 ssh-ed25519 AAAA...`` (no comment)."""
    return f"{host_name(host, port)} {key.plain_type} {base64.b64encode(key.plain_blob).decode()}"


def hashed_name(name: str, salt: bytes | None = None) -> str:
    """``|1|salt|HMAC-SHA1(salt, name)``: the form ``HashKnownHosts yes`` writes."""
    salt = salt if salt is not None else os.urandom(20)
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def append(path: Path, host: str, port: int, key: PublicKey, hashed: bool = False) -> int:
    """Append the host's key like ``StrictHostKeyChecking=accept-new``; returns its line number.

    ``hashed`` (the config's ``HashKnownHosts yes``) writes the host name hashed, as ssh does.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = b""
    prefix = b"\n" if existing and not existing.endswith(b"\n") else b""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        line = entry_line(host, port, key)
        if hashed:
            line = hashed_name(host_name(host, port)) + line[len(host_name(host, port)) :]
        os.write(fd, prefix + line.encode() + b"\n")
    finally:
        os.close(fd)
    return existing.count(b"\n") + (1 if prefix else 0) + 1


def unknown_lines(result: HostKeyCheck, key: PublicKey) -> list[str]:
    """OpenSSH's words for a host it has never seen."""
    return [
        f"The authenticity of host '{result.name}' can't be established.",
        f"{key.label} key fingerprint is {key.sha256}.",
        *key.randomart().splitlines(),
        f"No {key.label} host key is known for {result.name} and you have requested strict "
        "checking.",
        "Host key verification failed.",
    ]


def changed_lines(result: HostKeyCheck, key: PublicKey) -> list[str]:
    """OpenSSH's loud block for a changed host key, plus the old fingerprint it omits."""
    old = result.matched
    assert old is not None
    bar = "@" * 59
    return [
        bar,
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
        bar,
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
        "Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
        "It is also possible that a host key has just been changed.",
        f"The fingerprint for the {key.label} key sent by the remote host is",
        f"{key.sha256}.",
        f"The fingerprint of the {old.key.label} key recorded for it is",
        f"{old.key.sha256}.",
        "Please contact your system administrator.",
        f"Add correct host key in {old.path} to get rid of this message.",
        f"Offending {old.key.label} key in {old.path}:{old.line}",
        "  remove with:",
        f'  ssh-keygen -f "{old.path}" -R "{result.name}"',
        f"Host key for {result.name} has changed and you have requested strict checking.",
        "Host key verification failed.",
    ]

"""Scan a key directory: recognise keys by content, pair them, and say what is wrong.

Not recursive; symlinks are followed. Files that are never keys (config, known_hosts,
authorized_keys, sockets, logs) are passed over quietly; files that look like they should be keys
but cannot be read or parsed are listed under ``skipped`` with a reason.

A little over 400 lines: the scan and the problems it reports (modes, pairing, weak keys,
interrupted writes, the fixes) are one job; each problem is found where the file is read.
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.errors import KeyFileError, SshDeckError
from tui.core.keys import openssh_format
from tui.core.keys.pairwrite import LOCK_SUFFIX, is_leftover_name, leftover_files
from tui.core.keys.private import inspect_private_key, looks_private
from tui.core.keys.public import (
    MAX_FILE_SIZE,
    PublicKey,
    parse_public_key,
    parse_public_keys,
    read_bytes,
)

QUIET_NAMES = {"config", "environment", "rc", "known_hosts", "authorized_keys", "authorized_keys2"}
QUIET_PREFIXES = ("known_hosts", "authorized_keys", "config.")
QUIET_SUFFIXES = (".log", ".debug", ".swp", ".tmp", "~", ".bak", ".old")


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str  # "error" or "warning"
    message: str
    fix: str

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class KeyEntry:
    """A private key with its .pub, a private key alone, or a public key alone."""

    path: Path | None
    public_path: Path | None
    public: PublicKey
    encrypted: bool | None  # None for a lone public key
    format: str | None  # private key format ("openssh", "pkcs1", ...), None for a lone public key
    problems: tuple[Problem, ...] = ()

    @property
    def name(self) -> str:
        shown = self.path or self.public_path
        return shown.name if shown else ""

    @property
    def comment(self) -> str:
        return self.public.comment

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path) if self.path else None,
            "public_path": str(self.public_path) if self.public_path else None,
            "type": self.public.key_type,
            "bits": self.public.bits,
            "sha256": self.public.sha256,
            "md5": self.public.md5,
            "comment": self.public.comment,
            "encrypted": self.encrypted,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": str(self.path), "reason": self.reason}


@dataclass(frozen=True)
class ScanResult:
    directory: Path
    exists: bool
    keys: tuple[KeyEntry, ...]
    skipped: tuple[Skipped, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "keys": [k.to_json() for k in self.keys],
            "skipped": [s.to_json() for s in self.skipped],
        }


def default_directory() -> Path:
    return Path.home() / ".ssh"


def _quiet(name: str) -> bool:
    return name in QUIET_NAMES or name.startswith(QUIET_PREFIXES) or name.endswith(QUIET_SUFFIXES)


def _q(path: Path) -> str:
    return shlex.quote(str(path))


def _replacement_command(where: Path | None) -> str:
    """A runnable keygen for a successor key next to ``where`` (``work`` -> ``work_ed25519``)."""
    if where is None:
        return "sshdeck keygen -t ed25519"
    stem = where.name[: -len(".pub")] if where.name.endswith(".pub") else where.name
    return f"sshdeck keygen -t ed25519 -f {_q(where.with_name(stem + '_ed25519'))}"


def weak_key_problem(public: PublicKey, where: Path | None = None) -> Problem | None:
    plain = public.plain_type
    if plain == "ssh-dss":
        return Problem(
            "weak-key",
            "error",
            "DSA keys are disabled in OpenSSH 7.0 and later; servers will refuse this key.",
            _replacement_command(where),
        )
    if plain == "ssh-rsa" and public.bits < 2048:
        return Problem(
            "weak-key",
            "error",
            f"This RSA key has only {public.bits} bits; keys under 2048 bits are unsafe and refused by many servers.",
            _replacement_command(where),
        )
    return None


def _private_problems(path: Path, mode: int, encrypted: bool, has_pub: bool) -> list[Problem]:
    problems = []
    if mode & 0o077:
        problems.append(
            Problem(
                "unprotected-private-key",
                "error",
                f"{path} is open to other users (mode {stat.S_IMODE(mode):04o}); ssh refuses to use it.",
                f"chmod 600 {_q(path)}",
            )
        )
    if not has_pub:
        pub_path = path.with_name(path.name + ".pub")
        broken = os.path.lexists(pub_path)  # there, but not a readable public key
        problems.append(
            Problem(
                "missing-public-key",
                "warning",
                f"{path} has no {'readable ' if broken else ''}{pub_path.name} beside it; "
                "tools that read the .pub will not find this key.",
                f"sshdeck pub -f {_q(path)} --write" + (" --force" if broken else ""),
            )
        )
    if not encrypted:
        problems.append(
            Problem(
                "unencrypted-private-key",
                "warning",
                f"{path} has no passphrase; anyone who copies the file can use the key.",
                f"sshdeck passwd -f {_q(path)}",
            )
        )
    return problems


def _read_text(path: Path) -> str:
    st = path.stat()
    if st.st_size > MAX_FILE_SIZE:
        raise KeyFileError(f"too large to be a key file (over {MAX_FILE_SIZE} bytes)")
    if st.st_size == 0:
        raise KeyFileError("empty file")
    try:
        # non-blocking open and fstat: a file swapped for a FIFO meanwhile is refused, not read
        data = read_bytes(path)
    except KeyFileError as exc:
        raise KeyFileError(str(exc).removeprefix(f"{path} ").rstrip(".")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFileError("binary file, not a key") from None


def _public_from_text(text: str) -> PublicKey | None:
    stripped = text.strip()
    if stripped.startswith(("---- BEGIN SSH2", "-----BEGIN")):
        return parse_public_key(stripped)
    keys = parse_public_keys(text)
    return keys[0] if keys else None


def scan_directory(directory: Path | None = None) -> ScanResult:
    directory = Path(directory).expanduser() if directory else default_directory()
    if not directory.is_dir():
        return ScanResult(directory, False, (), ())
    skipped: list[Skipped] = []
    privates: dict[str, tuple[Path, str, int]] = {}
    publics: dict[str, tuple[Path, PublicKey]] = {}
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        return ScanResult(
            directory, True, (), (Skipped(directory, f"cannot list the directory: {exc.strerror}"),)
        )
    leftovers = _leftovers(directory)
    for name in names:
        path = directory / name
        if _quiet(name) or is_leftover_name(name):
            continue
        try:
            st = path.stat()
        except OSError:
            if path.is_symlink():
                skipped.append(Skipped(path, "broken symbolic link"))
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        try:
            text = _read_text(path)
        except KeyFileError as exc:
            skipped.append(Skipped(path, str(exc)))
            continue
        except PermissionError:
            skipped.append(Skipped(path, "permission denied"))
            continue
        except OSError as exc:
            skipped.append(Skipped(path, exc.strerror or "cannot be read"))
            continue
        if looks_private(text):
            privates[name] = (path, text, st.st_mode)
            continue
        try:
            public = _public_from_text(text)
        except SshDeckError as exc:
            skipped.append(Skipped(path, str(exc)))
            continue
        if public is None:
            skipped.append(Skipped(path, "not a key file"))
            continue
        publics[name] = (path, public)

    dir_mode = directory.stat().st_mode
    dir_problem = None
    if dir_mode & 0o022:
        dir_problem = Problem(
            "ssh-dir-permissions",
            "error",
            f"{directory} can be written by other users (mode {stat.S_IMODE(dir_mode):04o}); "
            "sshd refuses key logins to this account and others could swap your keys.",
            f"chmod 700 {_q(directory)}",
        )

    entries: list[KeyEntry] = []
    for name, (path, text, mode) in privates.items():
        pub = publics.pop(name + ".pub", None)
        entry = _private_entry(path, text, mode, pub, skipped)
        if entry is not None:
            problems = list(entry.problems)
            if dir_problem:
                problems.insert(0, dir_problem)
            entries.append(_with_problems(entry, problems))
    for _name, (path, public) in publics.items():
        # The directory problem concerns every file in it: a lone .pub can be swapped too.
        lone = [p for p in (dir_problem, weak_key_problem(public, path)) if p is not None]
        entries.append(KeyEntry(None, path, public, None, None, tuple(lone)))
    for i, entry in enumerate(entries):
        found = leftovers.pop(entry.name, None)
        if found:
            entries[i] = _with_problems(entry, [*entry.problems, _leftover_problem(entry, found)])
    for name, found in leftovers.items():
        for path in found:
            skipped.append(
                Skipped(
                    path,
                    f"leftover-temporary-file: left by an interrupted sshdeck change of {name}; "
                    f"the next change of {name} removes it, or delete it",
                )
            )
    entries.sort(key=lambda e: e.name)
    return ScanResult(directory, True, tuple(entries), tuple(skipped))


def _leftovers(directory: Path) -> dict[str, list[Path]]:
    """What interrupted changes left behind, leaving out the keys being changed right now."""
    import fcntl

    found = leftover_files(directory)
    for name in list(found):
        lock = directory / f".{name}{LOCK_SUFFIX}"
        if lock not in found[name]:
            continue
        try:
            fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            del found[name]  # a change of this key is running: its files are not leftovers
        finally:
            os.close(fd)
    return found


def _leftover_problem(entry: KeyEntry, found: list[Path]) -> Problem:
    key = entry.path or entry.public_path
    names = ", ".join(p.name for p in found)
    return Problem(
        "leftover-temporary-file",
        "warning",
        f"An interrupted sshdeck change of this key left {names}; "
        "the next change of the key finishes or drops it and removes them.",
        f"sshdeck pub -f {_q(key)}"
        if entry.path and key
        else f"rm -f {' '.join(_q(p) for p in found)}",
    )


def _with_problems(entry: KeyEntry, problems: list[Problem]) -> KeyEntry:
    return KeyEntry(
        entry.path, entry.public_path, entry.public, entry.encrypted, entry.format, tuple(problems)
    )


def _private_entry(
    path: Path, text: str, mode: int, pub: tuple[Path, PublicKey] | None, skipped: list[Skipped]
) -> KeyEntry | None:
    try:
        info = inspect_private_key(text)
    except SshDeckError as exc:
        skipped.append(Skipped(path, str(exc)))
        return None
    public = info.public
    problems = _private_problems(path, mode, info.encrypted, pub is not None)
    if pub is not None:
        pub_path, pub_key = pub
        if public is not None and public.blob != pub_key.blob:
            problems.insert(
                0,
                Problem(
                    "public-private-mismatch",
                    "error",
                    f"{pub_path} holds a different key than {path}; a server given the .pub will refuse this key.",
                    f"sshdeck pub -f {_q(path)} --write --force",
                ),
            )
            public = public_key_from_private(public, text, info.encrypted)
        else:
            public = pub_key
    elif public is not None:
        public = public_key_from_private(public, text, info.encrypted)
    if public is None:
        skipped.append(
            Skipped(
                path,
                "encrypted PEM key without a .pub: its type and fingerprint need the passphrase",
            )
        )
        return None
    weak = weak_key_problem(public, path)
    if weak:
        problems.insert(0, weak)
    return KeyEntry(
        path, pub[0] if pub else None, public, info.encrypted, info.format, tuple(problems)
    )


def public_key_from_private(public: PublicKey, text: str, encrypted: bool) -> PublicKey:
    """The public key with the private file's own comment when it can be read without a passphrase."""
    if encrypted or not text.lstrip().startswith(openssh_format.BEGIN):
        return public
    try:
        container = openssh_format.parse_container(openssh_format.unarmor(text))
        comment = openssh_format.decrypt(container, None).comment
    except SshDeckError:
        return public
    return PublicKey(public.key_type, public.blob, comment)


FIXABLE = ("unprotected-private-key", "ssh-dir-permissions")


def fix_problem(entry: KeyEntry, problem: Problem) -> None:
    """Apply a permission fix (the chmod its ``fix`` names)."""
    if problem.code == "unprotected-private-key" and entry.path is not None:
        target, mode = entry.path, 0o600
    elif problem.code == "ssh-dir-permissions" and (entry.path or entry.public_path):
        target, mode = (entry.path or entry.public_path).parent, 0o700  # type: ignore[union-attr]
    else:
        raise KeyFileError(f"sshdeck cannot fix {problem.code} by itself; run: {problem.fix}")
    set_mode(target, mode, problem.fix)


def set_mode(target: Path, mode: int, fix: str) -> None:
    """chmod ``target``; a failure is one sentence naming the command to run by hand."""
    try:
        os.chmod(target, mode)
    except OSError as exc:
        raise KeyFileError(
            f"Cannot change the mode of {target} ({exc.strerror}); run: {fix}"
        ) from None

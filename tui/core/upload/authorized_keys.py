"""Install a public key in a host's ``authorized_keys``: ssh-copy-id's promises, done better.

The pure helpers (merging a key into the file's content, reading a hosts file) are separate from
the network part (:mod:`tui.core.upload.install_run`) so that they can be tested byte for byte. Logging in is the tester's code
(:func:`tui.core.connect.client.open_connection`), so host keys are checked exactly as ``sshdeck test``
checks them. The file is read and appended to by :mod:`tui.core.upload.remote_files` (SFTP, or
a constant ``sh`` script on hosts without SFTP), never replaced: each new line is one write with
``O_APPEND``, under a lock on the host, and the file is read again afterwards, so concurrent
installs (other sshdeck runs, ``ssh-copy-id``) never lose a line and ``installed`` is reported
only when the key is in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from tui.core.connect.client import (
    DEFAULT_PORT,
    Target,
    parse_target,
)
from tui.core.errors import InvalidArgument, SshDeckError
from tui.core.keys.public import PublicKey, parse_public_keys
from tui.core.upload.remote_files import (
    append_chunks,
)

#: what happened on one host (``sshdeck copy-id --json``'s ``result``)
InstallOutcome = Literal["installed", "already-present", "would-install", "failed"]
#: where one host's installation is
InstallStage = Literal[
    "waiting", "connecting", "checking", "installing", "verifying", "done", "failed"
]
RESULTS: tuple[InstallOutcome, ...] = get_args(InstallOutcome)
STAGES: tuple[InstallStage, ...] = get_args(InstallStage)


class InstallError(SshDeckError):
    """The key could not be installed on one host."""

    code = "install-failed"


@dataclass(frozen=True)
class HostResult:
    """What happened on one host; ``verified`` is None when no login with the new key was tried."""

    host: str
    user: str | None
    port: int
    result: InstallOutcome
    error: str | None = None
    verified: bool | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "user": self.user,
            "port": self.port,
            "result": self.result,
            "error": self.error,
            "verified": self.verified,
            "detail": self.detail,
        }

    @property
    def has_key(self) -> bool:
        return self.result in ("installed", "already-present")

    @property
    def label(self) -> str:
        return target_label(self.host, self.user, self.port)


@dataclass(frozen=True)
class HostProgress:
    """One step of one host's installation; ``index`` is the host's place in the target list."""

    index: int
    host: str
    port: int
    stage: InstallStage
    detail: str | None = None
    result: HostResult | None = None  # set with the "done" and "failed" stages


def target_label(host: str, user: str | None, port: int) -> str:
    """``user@host:port`` as the hosts file accepts it back (IPv6 in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{user}@{shown}:{port}" if user else f"{shown}:{port}"


# --------------------------------------------------------------------------- pure helpers


def key_present(content: str, public_key: PublicKey) -> bool:
    """True when the key's blob is already authorized (lines with options count)."""
    return any(existing.blob == public_key.blob for existing in parse_public_keys(content))


def merge_key(content: bytes, public_key: PublicKey) -> bytes | None:
    """The new ``authorized_keys`` content, or None when the key is already there.

    Every existing byte is kept; a newline is added first when the file lacks a final one.
    """
    return merge_keys(content, [public_key])


def merge_keys(content: bytes, public_keys: Sequence[PublicKey]) -> bytes | None:
    """:func:`merge_key` for several keys (ssh-copy-id installs all of the agent's keys):
    each key not there yet is appended once; None when every one is already there."""
    added = missing_lines(content, public_keys)
    if added is None:
        return None
    prefix, lines = added
    return content + b"".join(append_chunks(prefix, lines))


def missing_lines(
    content: bytes, public_keys: Sequence[PublicKey]
) -> tuple[bytes, list[bytes]] | None:
    """What an append adds to ``content``: (the newline it lacks at its end, or b"", the line of
    each key not there yet, once); None when every key is already there."""
    text = content.decode("utf-8", errors="surrogateescape")
    present = {existing.blob for existing in parse_public_keys(text)}
    lines = []
    for key in public_keys:
        if key.blob in present:
            continue
        present.add(key.blob)
        lines.append(key.line().encode("utf-8"))
    if not lines:
        return None
    return (b"\n" if content and not content.endswith(b"\n") else b""), lines


def parse_hosts_file(text: str) -> list[Target]:
    """One target a line; blank lines and ``#`` comments (whole or trailing) are ignored."""
    targets = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            targets.append(parse_target(line))
        except InvalidArgument as exc:
            raise InvalidArgument(f"Line {number} of the hosts file: {exc}") from None
    return targets


def read_hosts_file(path: Path) -> list[Target]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise InvalidArgument(
            f"Cannot read the hosts file {path} ({reason}); check the path."
        ) from None
    return parse_hosts_file(text)


def default_private_key(public_path: Path) -> Path | None:
    """The private key next to a ``.pub`` file, when it is there."""
    if public_path.suffix == ".pub":
        private = public_path.with_suffix("")
        if private.is_file():
            return private
    return None


# --------------------------------------------------------------------------- network part


__all__ = [
    "DEFAULT_PORT",
    "RESULTS",
    "InstallOutcome",
    "InstallStage",
    "STAGES",
    "HostProgress",
    "HostResult",
    "InstallError",
    "default_private_key",
    "key_present",
    "merge_key",
    "merge_keys",
    "missing_lines",
    "parse_hosts_file",
    "read_hosts_file",
    "target_label",
]

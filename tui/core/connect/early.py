"""The TCP connection of ``sshdeck test`` opened at once, while Python is still importing.

ssh connects as soon as it has read its config; sshdeck needs asyncssh (100-200 ms of imports)
to read it. When nothing in the ssh_config files (their ``Include``s too) or the ``-o`` options
can change where the connection goes (no ``Hostname``, ``Port``, ``ProxyJump``,
``ProxyCommand``, ``Match``, ``AddressFamily``, ``Bind*``, ``Canonical*``), it goes to the
target as typed, on ``-p``'s port or 22: :func:`start` looks the name up and connects in a
thread and writes asyncssh's version line, while the imports run; :func:`take` hands over the
connected socket when :func:`tui.core.connect.client.open_connection` would have connected.
The same lookup (one), the same address order, the same errors at the same stage: only sooner.
"""

from __future__ import annotations

import glob
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["Early", "discard", "start", "take", "wait"]

#: options that change where (or how) the TCP connection goes: any of them, anywhere, and the
#: connection waits for the config to be parsed
_ROUTING = frozenset(
    {
        "hostname",
        "port",
        "proxyjump",
        "proxycommand",
        "proxyusefdpass",
        "match",
        "addressfamily",
        "bindaddress",
        "bindinterface",
        "canonicalizehostname",
        "canonicaldomains",
        "canonicalizemaxdots",
        "canonicalizefallbacklocal",
        "canonicalizepermittedcnames",
    }
)

_pending: dict[tuple[str, int], Early] = {}


class Early:
    """One connection being made in a thread: the lookup's answer, then a socket or an error."""

    def __init__(self, host: str, port: int, line: bytes, timeout: float) -> None:
        self.host, self.port, self.line, self.timeout = host, port, line, timeout
        self.infos: list[Any] | None = None
        self.sock: socket.socket | None = None
        self.error: BaseException | None = None
        self.resolve_began = time.monotonic()
        self.connect_began = 0.0
        self.connected_at = 0.0
        self.resolved = threading.Event()
        self.done = threading.Event()
        self.taken = False
        self.thread = threading.Thread(target=self._run, name="sshdeck-connect", daemon=True)

    def _run(self) -> None:
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            self.infos = list(infos)
            self.connect_began = time.monotonic()
            self.resolved.set()
            self.sock = self._connect(self.infos)
            self.connected_at = time.monotonic()
            self.sock.sendall(self.line)
        except BaseException as exc:  # said where the connection would have failed
            if self.sock is not None:
                self.sock.close()
                self.sock = None
            self.error = exc
        finally:
            self.resolved.set()
            self.done.set()
            if self.taken is False and _pending.get((self.host, self.port)) is not self:
                self.close()  # discarded while connecting

    def _connect(self, infos: list[Any]) -> socket.socket:
        """The first address that answers, raising what ``loop.create_connection`` raises."""
        errors: list[OSError] = []
        for family, kind, proto, _name, address in infos:
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self.timeout + 5)  # the caller's own timeout comes first
                sock.connect(address)
                sock.setblocking(False)
            except OSError as exc:
                sock.close()
                errors.append(exc)
                continue
            return sock
        if len(errors) == 1 or all(str(e) == str(errors[0]) for e in errors):
            raise errors[0]
        raise OSError(f"Multiple exceptions: {', '.join(str(e) for e in errors)}")

    def close(self) -> None:
        if self.sock is not None and not self.taken:
            self.sock.close()
            self.sock = None


def _asyncssh_version() -> str | None:
    """asyncssh's version, read from its ``version.py`` without importing asyncssh."""
    from importlib.util import find_spec

    try:
        spec = find_spec("asyncssh")
        locations = list(spec.submodule_search_locations or []) if spec else []
        text = (Path(locations[0]) / "version.py").read_text(encoding="utf-8")
    except (OSError, ImportError, ValueError, IndexError):
        return None
    for line in text.splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("'\"")
    return None


def _routes(lines: list[str], base: Path, depth: int = 0) -> bool:
    """True when any line (or a file it Includes) sets an option of :data:`_ROUTING`."""
    for raw in lines:
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        words = text.replace("=", " ", 1).split()
        keyword = words[0].lower()
        if keyword in _ROUTING:
            return True
        if keyword == "include":
            if depth > 8:
                return True
            for pattern in words[1:]:
                path = os.path.expanduser(pattern.strip("\"'"))
                if not os.path.isabs(path):
                    path = str(base / path)
                for name in sorted(glob.glob(path)):
                    try:
                        included = Path(name).read_text(encoding="utf-8", errors="replace")
                    except OSError:
                        return True
                    if _routes(included.splitlines(), base, depth + 1):
                        return True
    return False


def start(
    host: str,
    port: int,
    config_file: Path | None,
    ssh_options: tuple[str, ...],
    timeout: float,
) -> Early | None:
    """Begin connecting to ``host`` port ``port`` when no option can send it elsewhere."""
    if not host or host.startswith("-"):
        return None
    if _routes(list(ssh_options), Path.home() / ".ssh"):
        return None
    if config_file is not None:
        files = [(config_file, Path.home() / ".ssh")]
    else:
        files = [(Path.home() / ".ssh" / "config", Path.home() / ".ssh")]
        files.append((Path("/etc/ssh/ssh_config"), Path("/etc/ssh")))
    for path, base in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        except OSError:
            return None
        if _routes(text.splitlines(), base):
            return None
    version = _asyncssh_version()
    if version is None:
        return None
    discard()
    early = Early(host, port, f"SSH-2.0-AsyncSSH_{version}\r\n".encode("ascii"), timeout)
    _pending[(host, port)] = early
    early.thread.start()
    return early


def take(host: str, port: int, line: bytes) -> Early | None:
    """The connection begun for ``host`` port ``port`` with this version ``line``, once."""
    early = _pending.get((host, port))
    if early is None:
        return None
    if early.line != line:  # asyncssh is not the version read: connect the usual way
        del _pending[(host, port)]
        early.done.wait()
        early.close()
        return None
    early.taken = True  # before it leaves _pending: the thread then never closes it
    del _pending[(host, port)]
    return early


async def wait(event: threading.Event) -> None:
    """Wait for the thread's ``event`` without blocking the loop (a timeout can cancel it)."""
    import asyncio

    while not event.is_set():
        await asyncio.sleep(0.001)


def discard() -> None:
    """Close any connection begun and not taken (the test ended another way)."""
    for early in list(_pending.values()):
        _pending.clear()
        early.close()

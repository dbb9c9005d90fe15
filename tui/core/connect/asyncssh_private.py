"""The one place sshdeck reaches into asyncssh's private parts, and what each use relies on.

asyncssh has no public API for these facts, and the tester cannot do without them:

- its ssh_config parser (``asyncssh.config.SSHClientConfig``): its handler table
  ``_handlers`` (option name -> (spelling, setter)), the setters ``SSHConfig._set_bool`` and
  ``_set_string``, and ``load(last_config, paths, reload, canonical, final, local_user, user,
  host, port)``. sshdeck subclasses the parser with its own handler table (the options ssh
  honours that asyncssh drops: ``StrictHostKeyChecking``, ``HashKnownHosts``, ...), so
  asyncssh's own class is never changed;
- on a connection: the server's KEXINIT as received (``_server_kexinit``), our own algorithm
  lists (``_kex_algs``, ``_server_host_key_algs``, ``_enc_algs``, ``_mac_algs``, ``_cmp_algs``),
  the server's ``server-sig-algs`` (``_server_sig_algs``), the log context of the connection
  (``logger._context``), and ``set_tunnel`` (closing the login closes its ProxyJump hosts);
- ``asyncssh.SSHKeyPair``: its ``__init__``'s parameters, the class attribute ``_key_type``
  (what ``get_key_type()`` answers), ``set_sig_algorithm``, and the ``sign_async`` that
  asyncssh awaits when a key pair has one, to offer a key whose private half is read only
  when the server would accept it (:mod:`tui.core.connect.key_offer`);
- the version line: sshdeck writes ``SSH-2.0-AsyncSSH_<version>`` on the socket as soon as
  it is connected, as ssh does, so the server's KEXINIT is on its way while the keys are read;
  asyncssh is given the same ``client_version`` and its own write of that line (``_send``,
  called from ``connection_made`` after the client's ``connection_made``) is dropped once
  (:func:`version_line`, :func:`drop_version_write`);
- the ``asyncssh`` logger's records (``[conn=N]`` prefixes, a ``packet`` attribute on packet
  dumps), re-worded as ssh's lines by :mod:`tui.core.connect.ssh_log`;
- the module functions ``asyncssh.kex.get_kex_algs``, ``asyncssh.mac.get_mac_algs``,
  ``asyncssh.public_key.get_default_public_key_algs`` and ``asyncssh.packet.SSHPacket`` (not in
  asyncssh's documented API), to offer OpenSSH's default lists and read a KEXINIT.

- its import: ``asyncssh.crypto`` asks ``ctypes.util.find_library`` for optional C libraries
  (liboqs, nettle), which on Linux runs ``ldconfig -p``, then ``gcc`` and ``ld`` for a library
  that is absent: 30-50 ms of a ``sshdeck test`` that takes a few hundred.
  :func:`import_asyncssh` answers "absent" at once when the library is in none of the places
  those programs would look, and asks ctypes otherwise (same answer, faster).

Everything here is read-only and falls back to "unknown" where asyncssh's internals differ, so
the tester says less rather than failing. ``tests/core/test_asyncssh_private.py`` checks each of
these names against the installed asyncssh (and a real connection), so an upgrade that moves
one fails that test loudly instead of silently weakening a diagnosis. ``pyproject.toml`` pins
``asyncssh>=2.24,<3``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_NOT_OPTIONS",
    "KEY_PAIR_PARAMETERS",
    "client_algorithm_lists",
    "client_config_class",
    "config_option_names",
    "drop_version_write",
    "import_asyncssh",
    "load_client_config",
    "log_context",
    "server_kexinit",
    "server_sig_algs",
    "set_tunnel",
    "version_line",
]

#: keywords of asyncssh's handler table that are not options (``-o`` refuses them)
CONFIG_NOT_OPTIONS = ("host", "match", "include")

#: the parameters of ``asyncssh.SSHKeyPair.__init__`` that identities.py passes, in order
KEY_PAIR_PARAMETERS = (
    "algorithm",
    "sig_algorithm",
    "sig_algorithms",
    "host_key_algorithms",
    "public_data",
    "comment",
    "cert",
    "filename",
)

#: the attributes of a connection read here (the test checks them on a real one)
CONNECTION_ATTRIBUTES = (
    "_server_kexinit",
    "_kex_algs",
    "_server_host_key_algs",
    "_enc_algs",
    "_mac_algs",
    "_cmp_algs",
    "_server_sig_algs",
    "_send",
    "_client_version",
)


def _linker_dirs() -> list[str]:
    """Where ``gcc -l`` and ``ld -l`` (ctypes' fallbacks after ``ldconfig -p``) look on Linux:
    ld's default SEARCH_DIRs and gcc's library dirs, for any machine triplet."""
    import glob

    patterns = (
        "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64",
        "/lib/*-linux-gnu*", "/usr/lib/*-linux-gnu*", "/usr/local/lib/*-linux-gnu*",
        "/usr/*-linux-gnu*/lib*", "/usr/lib/gcc/*/*", "/usr/lib/*-linux-gnu*/[0-9]*",
    )  # fmt: skip
    return [d for pattern in patterns for d in glob.glob(pattern)]


def _absent_library(name: str) -> bool:
    """True when ``ctypes.util.find_library(name)`` surely answers None on Linux: no
    ``libNAME.`` in ``/etc/ld.so.cache`` (what ``ldconfig -p`` lists), no ``libNAME.so`` or
    ``.a`` where the linker searches, and no ``LD_LIBRARY_PATH`` / ``LIBRARY_PATH`` adding
    places to look."""
    if not sys.platform.startswith("linux"):
        return False
    if os.environ.get("LD_LIBRARY_PATH") or os.environ.get("LIBRARY_PATH"):
        return False
    try:
        with open("/etc/ld.so.cache", "rb") as cache:
            if f"lib{name}.".encode() in cache.read():
                return False
    except OSError:
        return False
    files = (f"lib{name}.so", f"lib{name}.a")
    return not any(os.path.exists(os.path.join(d, f)) for d in _linker_dirs() for f in files)


def import_asyncssh() -> None:
    """``import asyncssh``, without running programs to look for C libraries that are absent.

    Call it before the first ``import asyncssh`` of a code path (then ``import asyncssh`` as
    usual). ``ctypes.util.find_library`` is replaced only while asyncssh is being imported and
    gives the same answers: the original is asked whenever the library may exist.
    """
    if "asyncssh" in sys.modules:
        return
    import ctypes.util

    original = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        if _absent_library(name):
            return None
        return original(name)

    ctypes.util.find_library = find_library
    try:
        import asyncssh  # noqa: F401
    finally:
        ctypes.util.find_library = original


def _handlers() -> dict[str, tuple[str, Callable[..., Any]]]:
    import asyncssh

    handlers: dict[str, tuple[str, Callable[..., Any]]] = asyncssh.config.SSHClientConfig._handlers
    return handlers


def client_config_class(extra: Mapping[str, str]) -> Any:
    """asyncssh's client config parser plus the options in ``extra`` (name -> "bool" or
    "string", under the name given; ``PubkeyAcceptedKeyTypes`` is kept as its new name)."""
    import asyncssh

    base = asyncssh.config.SSHClientConfig
    SSHConfig = asyncssh.config.SSHConfig
    setters = {"bool": SSHConfig._set_bool, "string": SSHConfig._set_string}
    table = {
        name.lower(): (
            "PubkeyAcceptedAlgorithms" if name == "PubkeyAcceptedKeyTypes" else name,
            setters[kind],
        )
        for name, kind in extra.items()
    }

    class ClientConfig(base):  # type: ignore[misc, valid-type]
        _handlers = {**base._handlers, **table}

    return ClientConfig


def config_option_names() -> dict[str, str]:
    """asyncssh's ssh_config options: lowercase keyword -> its spelling."""
    return {key: name for key, (name, _h) in _handlers().items() if key not in CONFIG_NOT_OPTIONS}


def load_client_config(
    config_class: Any,
    paths: Iterable[Path],
    local_user: str,
    user: str | None,
    host: str,
    port: int | None,
) -> Any:
    """Parse ``paths`` for this host the way ``asyncssh.connect`` would (raises asyncssh's
    ``ConfigParseError`` or ``OSError``)."""
    return config_class.load(
        None, list(paths), False, False, False, local_user, user or (), host, port or ()
    )


def server_kexinit(conn: Any) -> bytes | None:
    """The server's KEXINIT payload as received, or None before it came."""
    raw = getattr(conn, "_server_kexinit", None)
    return bytes(raw) if raw else None


def client_algorithm_lists(conn: Any) -> dict[str, list[bytes]]:
    """Our own lists for this connection: kex, hostkey, cipher, mac, compression."""
    names = {
        "kex": "_kex_algs",
        "hostkey": "_server_host_key_algs",
        "cipher": "_enc_algs",
        "mac": "_mac_algs",
        "compression": "_cmp_algs",
    }
    return {kind: list(getattr(conn, attr, None) or ()) for kind, attr in names.items()}


def server_sig_algs(conn: Any) -> set[bytes]:
    """The server's ``server-sig-algs`` (RFC 8308) as asyncssh keeps it (empty: none sent)."""
    return set(getattr(conn, "_server_sig_algs", None) or ())


def log_context(conn: Any) -> str | None:
    """The ``conn=N`` context asyncssh prefixes this connection's log lines with."""
    context = getattr(getattr(conn, "logger", None), "_context", None)
    return str(context) if context is not None else None


def version_line() -> tuple[str, bytes]:
    """asyncssh's own client version (``client_version``) and the line it sends for it."""
    import asyncssh

    version = f"AsyncSSH_{asyncssh.__version__}"
    return version, f"SSH-2.0-{version}\r\n".encode("ascii")


def drop_version_write(conn: Any, line: bytes) -> None:
    """``line`` went on the socket already: drop asyncssh's write of it (its first write),
    while asyncssh still records its version for the key exchange hash."""
    send = conn._send

    def first_send(data: bytes) -> None:
        del conn._send  # back to the class's method for every later write
        if data != line:  # not the version line after all: nothing is lost
            send(data)

    conn._send = first_send


def set_tunnel(conn: Any, tunnel: Any) -> None:
    """Close ``tunnel`` (the last ProxyJump connection) when ``conn`` closes."""
    conn.set_tunnel(tunnel)

"""Shared SSH connection setup for the connection tester and the copy-id installer.

Usage::

    from tui.core.connect import ConnectOptions, open_connection, parse_target

    options = ConnectOptions(target=parse_target("root@192.0.2.1:2222"), accept_new=True)
    conn = await open_connection(options)  # asyncssh.SSHClientConnection
    async with conn:
        result = await conn.run("true")

``open_connection`` raises :class:`ConnectionFailed`, whose ``outcome`` is one of the codes of
issue 5 (``connection-refused``, ``timeout``, ``host-key-unknown``, ``auth-failed``...) and whose
``str()`` is one sentence saying what went wrong and what to do. ``~/.ssh/config`` is read by
asyncssh itself (``config_file`` picks another); host keys are checked against
``~/.ssh/known_hosts`` (or ``known_hosts_file``), and with ``accept_new`` an unknown host's key is
appended the way ``ssh -o StrictHostKeyChecking=accept-new`` does. Passwords are never put in an
exception message.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.errors import InvalidArgument, SshDeckError

DEFAULT_PORT = 22


class ConnectionFailed(SshDeckError):
    """The connection or the login failed; ``outcome`` is the issue's outcome code."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class InvalidTarget(InvalidArgument):
    """The text is not ``[user@]host[:port]``."""


@dataclass(frozen=True)
class Target:
    user: str | None
    host: str
    port: int | None = None


def parse_target(text: str) -> Target:
    """``[user@]host``, ``[user@]host:port`` or ``[user@][v6addr]:port``."""
    value = text.strip()
    if not value or any(ch.isspace() for ch in value):
        raise InvalidTarget(f"{text!r} is not a target; write [user@]host[:port].")
    user: str | None = None
    if "@" in value:
        user, _, value = value.rpartition("@")
        if not user:
            raise InvalidTarget(f"{text!r} has an empty user name; write user@host.")
    port: int | None = None
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InvalidTarget(f"{text!r} has an unclosed [address]; write [v6addr]:port.")
        port_text = rest[1:] if rest else None
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host, port_text = value, None  # a bare IPv6 address has several colons
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidTarget(f"{text!r} has an invalid port; use a number from 1 to 65535.")
        port = int(port_text)
    if not host:
        raise InvalidTarget(f"{text!r} has no host name; write [user@]host[:port].")
    return Target(user=user, host=host, port=port)


@dataclass(frozen=True)
class ConnectOptions:
    target: Target
    port: int | None = None
    identities: tuple[Path, ...] = ()
    config_file: Path | None = None
    known_hosts_file: Path | None = None
    accept_new: bool = False
    timeout: float = 15.0
    password: str | None = field(default=None, repr=False)
    use_agent: bool = True

    @property
    def effective_port(self) -> int:
        return self.port or self.target.port or DEFAULT_PORT

    @property
    def known_hosts_path(self) -> Path:
        return self.known_hosts_file or Path.home() / ".ssh" / "known_hosts"


def known_hosts_name(host: str, port: int) -> str:
    """The host name as ssh writes it in known_hosts."""
    return host if port == DEFAULT_PORT else f"[{host}]:{port}"


async def open_connection(options: ConnectOptions, events: Any = None) -> Any:
    """Connect and authenticate; raises ConnectionFailed with the outcome code."""
    import asyncssh

    host, port = options.target.host, options.effective_port
    known = options.known_hosts_path
    kwargs: dict[str, Any] = {
        "port": port,
        "connect_timeout": options.timeout,
        "login_timeout": options.timeout,
        "config": [str(options.config_file)] if options.config_file else (),
        "known_hosts": str(known) if known.exists() else (),
    }
    if options.target.user:
        kwargs["username"] = options.target.user
    if options.identities:
        kwargs["client_keys"] = [str(path) for path in options.identities]
    if not options.use_agent:
        kwargs["agent_path"] = None
    if options.password is not None:
        kwargs["password"] = options.password
    if options.accept_new:
        kwargs["known_hosts"] = None
    try:
        conn = await asyncssh.connect(host, **kwargs)
    except ConnectionRefusedError:
        raise ConnectionFailed(
            "connection-refused",
            f"{host} refused the connection on port {port}; check the port and that sshd runs.",
        ) from None
    except TimeoutError:
        raise ConnectionFailed(
            "timeout", f"{host} port {port} did not answer in time; check address and firewall."
        ) from None
    except socket.gaierror:
        raise ConnectionFailed(
            "dns-failure", f"The name {host} does not resolve; check the spelling or DNS."
        ) from None
    except asyncssh.HostKeyNotVerifiable:
        raise ConnectionFailed(
            "host-key-unknown",
            f"The host key of {host} is not in {known}; check it and run again with accept-new.",
        ) from None
    except asyncssh.PermissionDenied:
        raise ConnectionFailed(
            "auth-failed",
            f"{host} refused every key and password offered; upload your key first.",
        ) from None
    except asyncssh.ProtocolError:
        raise ConnectionFailed(
            "not-ssh", f"{host} port {port} does not speak SSH; check the port number."
        ) from None
    except asyncssh.DisconnectError as exc:
        raise ConnectionFailed(
            "disconnected", f"{host} closed the connection ({exc.reason}); see its sshd log."
        ) from None
    except OSError as exc:
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            raise ConnectionFailed(
                "network-unreachable", f"No route to {host}; check the network and address."
            ) from None
        raise ConnectionFailed("disconnected", f"Cannot reach {host}: {exc.strerror}.") from None
    if options.accept_new:
        key = conn.get_server_host_key()
        if key is not None and not _is_known(known, host, port):
            line = f"{known_hosts_name(host, port)} {key.export_public_key().decode().strip()}\n"
            known.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with known.open("a") as handle:
                handle.write(line)
    return conn


def _is_known(known: Path, host: str, port: int) -> bool:
    if not known.exists():
        return False
    import asyncssh

    try:
        trusted = asyncssh.read_known_hosts(str(known))
        return bool(trusted.match(host, "", port)[0])
    except (OSError, ValueError):
        return False

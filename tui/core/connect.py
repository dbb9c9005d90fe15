"""Shared SSH connection setup for the connection tester and the copy-id installer.

Usage::

    from tui.core.connect import ConnectOptions, open_connection, parse_target

    options = ConnectOptions(target=parse_target("root@192.0.2.1:2222"), accept_new=True)
    conn = await open_connection(options)  # asyncssh.SSHClientConnection
    async with conn:
        result = await conn.run("true")

``open_connection`` raises :class:`ConnectionFailed`, whose ``outcome`` is one of the codes of
issue 5 (``connection-refused``, ``timeout``, ``host-key-unknown``, ``host-key-changed``,
``auth-failed``...) and whose ``str()`` is one sentence saying what went wrong and what to do.
``~/.ssh/config`` is read by asyncssh itself (``config_file`` picks another). Host keys are
checked by :mod:`tui.core.known_hosts` for every connection, tester and installer alike: a known
key passes, an unknown one fails (or is appended like ``ssh -o StrictHostKeyChecking=accept-new``
with ``accept_new``), a changed one stops the connection during key exchange, before any
authentication, with OpenSSH's warning. Keys are offered one at a time in ssh's order
(:mod:`tui.core.identities`). Passing a :class:`~tui.core.trace.Trace` (or a callable) as
``events`` streams what happens; passwords and passphrases never reach it.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core import known_hosts as kh
from tui.core.errors import InvalidArgument, SshDeckError
from tui.core.host_key_check import check_host_key, host_key_algs
from tui.core.ssh_log import LogRelay
from tui.core.trace import OfferedKey, Trace

DEFAULT_PORT = 22


class ConnectionFailed(SshDeckError):
    """The connection or the login failed; ``outcome`` is the issue's outcome code.

    ``diagnosis`` says what went wrong and ``fix`` what to do; ``str()`` joins them in one
    sentence. ``trace`` holds what was learned before the failure (when one was kept).
    """

    def __init__(
        self, outcome: str, message: str, fix: str | None = None, trace: Trace | None = None
    ) -> None:
        text = f"{message}: {fix}." if fix else message
        super().__init__(text)
        self.outcome = outcome
        self.diagnosis = message if fix else message.partition("; ")[0]
        self.fix = fix or message.partition("; ")[2].rstrip(".")
        self.trace = trace


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
    #: passphrase tried on encrypted keys after the keyring (the CLI's --passphrase-stdin)
    passphrase: str | None = field(default=None, repr=False)
    #: ``async (path, sha256) -> str | None`` asked when no passphrase opens a key (the TUI)
    ask_passphrase: Any = field(default=None, repr=False, compare=False)
    #: asyncssh's debug level for the trace (3 adds packet names, never their bytes)
    debug_level: int = 2
    #: ``async (prompt) -> str | None`` asked for a password or keyboard-interactive answer
    #: after the keys are exhausted, as ssh asks (the TUI); None gives up on that method
    ask_password: Any = field(default=None, repr=False, compare=False)
    #: offer only ``identities`` (and their certificates), never other agent keys; None: as
    #: the config says (``IdentitiesOnly``)
    identities_only: bool | None = None
    #: ``-o`` options as given on the command line (``Name=value``), applied before the config
    ssh_options: tuple[str, ...] = ()

    @property
    def effective_port(self) -> int:
        return self.port or self.target.port or DEFAULT_PORT

    @property
    def known_hosts_path(self) -> Path:
        return self.known_hosts_file or Path.home() / ".ssh" / "known_hosts"


def known_hosts_name(host: str, port: int) -> str:
    """The host name as ssh writes it in known_hosts."""
    return kh.host_name(host, port)


@dataclass
class Resolved:
    """The target after ~/.ssh/config: real host name, port, user, keys, known_hosts files."""

    host: str
    port: int
    user: str
    identity_files: list[Path]
    identities_only: bool
    proxied: bool
    known_hosts: tuple[Path, ...]
    agent_path: str | None
    config_paths: list[str]
    hash_known_hosts: bool = False
    accept_new: bool = False  # the config's StrictHostKeyChecking accept-new (or no)


def resolve_config(options: ConnectOptions) -> Resolved:
    """Apply ssh_config (asyncssh's parser) the way ssh would for this target."""
    import asyncssh

    config_paths = [str(options.config_file)] if options.config_file else []
    if options.config_file and not options.config_file.is_file():
        raise InvalidArgument(f"Cannot read the config file {options.config_file}; check -F.")
    explicit_port = options.port or options.target.port
    # asyncssh's parser skips options it does not use; accept-new needs this one
    handlers = asyncssh.config.SSHClientConfig._handlers
    handlers.setdefault("hashknownhosts", ("HashKnownHosts", asyncssh.config.SSHConfig._set_bool))
    handlers.setdefault(
        "stricthostkeychecking",
        ("StrictHostKeyChecking", asyncssh.config.SSHConfig._set_string),
    )
    try:
        opts = asyncssh.SSHClientConnectionOptions(
            config=config_paths or (),
            host=options.target.host,
            port=explicit_port or (),
            username=options.target.user or (),
            client_keys=None,
            known_hosts=None,
        )
    except asyncssh.ConfigParseError as exc:
        raise InvalidArgument(f"The ssh config file is invalid ({exc}); fix that line.") from None
    config: Any = opts.config
    files = [Path(str(p)).expanduser() for p in config.get("IdentityFile", ()) or ()]
    if options.known_hosts_file:
        user_file: Path | None = options.known_hosts_file
    else:
        from_config = config.get("UserKnownHostsFile", ()) or ()
        user_file = Path(str(from_config[0])).expanduser() if from_config else None
    agent_path: str | None = None
    if options.use_agent:
        agent_path = str(config.get("IdentityAgent", "") or os.environ.get("SSH_AUTH_SOCK", ""))
        if agent_path.lower() == "none" or not agent_path:
            agent_path = None
        elif agent_path == "SSH_AUTH_SOCK":
            agent_path = os.environ.get("SSH_AUTH_SOCK") or None
    return Resolved(
        host=str(opts.host),
        port=int(opts.port),
        user=str(opts.username),
        identity_files=files,
        identities_only=bool(config.get("IdentitiesOnly", False)),
        proxied=bool(config.get("ProxyJump") or config.get("ProxyCommand")),
        known_hosts=kh.default_files(user_file),
        agent_path=agent_path,
        config_paths=config_paths or [str(Path.home() / ".ssh" / "config")],
        hash_known_hosts=bool(config.get("HashKnownHosts", False)),
        # "no" adds unknown keys too; a changed key stops all the same (never "go on")
        accept_new=str(config.get("StrictHostKeyChecking", "")).lower()
        in ("accept-new", "no", "off"),
    )


async def open_connection(options: ConnectOptions, events: Any = None) -> Any:
    """Connect and authenticate; raises ConnectionFailed with the outcome code.

    ``events`` is a :class:`Trace` to fill, a callable receiving each event, or None.
    """
    import asyncssh

    trace = events if isinstance(events, Trace) else Trace(sink=events)
    trace.add_secret(options.password)
    trace.add_secret(options.passphrase)
    resolved = resolve_config(options)
    host, port = resolved.host, resolved.port
    trace.user, trace.host, trace.port = resolved.user, host, port
    for path in resolved.config_paths:
        if Path(path).is_file():
            trace.debug(1, f"Reading configuration data {path}")
    loop = asyncio.get_running_loop()
    client: Any = None
    relay = LogRelay(trace, options.debug_level) if events is not None else None
    try:
        async with asyncio.timeout(options.timeout) as deadline:
            if not resolved.proxied:
                trace.begin("resolve")
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                trace.address = str(infos[0][4][0])
                trace.end("resolve", True, trace.address)
            else:  # the jump host resolves the name; every stage is still listed
                trace.end("resolve", True, "ProxyJump")
            trace.debug(1, f"Connecting to {host} [{trace.address or host}] port {port}.")
            trace.begin("connect")
            from tui.core import identities as ids

            explicit = [p.expanduser() for p in options.identities] + resolved.identity_files
            files = explicit or ids.default_files()
            offer = await ids.collect(
                trace, files, bool(explicit), resolved.identities_only, resolved.agent_path
            )

            async def ask(path: Path, sha256: str) -> str | None:
                deadline.reschedule(None)  # a person typing is not the network timing out
                try:
                    answer: str | None = await options.ask_passphrase(path, sha256)
                    return answer
                finally:
                    deadline.reschedule(loop.time() + options.timeout)

            client = _make_client(
                trace, offer, options.passphrase, ask if options.ask_passphrase else None, relay
            )
            client.check = (
                resolved.known_hosts,
                host,
                port,
                options.accept_new or resolved.accept_new,
                resolved.hash_known_hosts,
            )
            known = kh.known_types(resolved.known_hosts, host, port)
            kwargs: dict[str, Any] = {
                "port": port,
                "username": resolved.user,
                "config": resolved.config_paths if options.config_file else (),
                "client_keys": None,
                "known_hosts": ([], [], []),  # every key goes through _Client's check
                "server_host_key_algs": host_key_algs(known),
                "client_factory": lambda: client,
                "connect_timeout": None,
                "login_timeout": None,
            }
            if options.password is not None:
                kwargs["password"] = options.password
            if relay is not None:
                relay.install()
            return await asyncssh.connect(options.target.host, **kwargs)
    except asyncio.CancelledError:
        if client is not None and client.conn is not None:
            client.conn.abort()
        raise
    except BaseException as exc:
        if client is not None and client.conn is not None:
            client.conn.abort()
        if isinstance(exc, Exception):
            raise classify(exc, trace, options) from None
        raise
    finally:
        if relay is not None:
            relay.remove()


def _make_client(
    trace: Trace, offer: list[Any], passphrase: str | None, ask: Any, relay: LogRelay | None
) -> Any:
    """asyncssh client callbacks: the facts asyncssh does not log, in OpenSSH's words."""
    import asyncssh

    class Client(asyncssh.SSHClient):  # type: ignore[misc]
        def __init__(self) -> None:
            self.trace, self.offer, self.passphrase, self.ask = trace, offer, passphrase, ask
            self.conn: Any = None
            self.check: Any = None
            self.current: OfferedKey | None = None
            self.began = time.monotonic()
            self.first_key = True

        def connection_made(self, conn: Any) -> None:
            self.conn = conn
            self.trace.end("connect", True)
            self.trace.debug(1, "Connection established.")
            self.trace.begin("protocol version")
            if relay is not None:
                relay.bind(conn)

        def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
            return check_host_key(self.trace, self.check, key, self.conn)

        def auth_banner_received(self, msg: str, lang: str) -> None:
            self.trace.banner = msg
            for text in msg.rstrip("\n").splitlines():
                self.trace.line(0, text)

        def begin_auth(self, username: str) -> None:
            self.trace.debug(1, f"Authenticating to {self.trace.host}:{self.trace.port} as "
                             f"'{username}'")  # fmt: skip
            self.trace.begin("authentication")

        def public_key_auth_requested(self) -> Any:
            from tui.core.identities import offer_key_pair

            self._close_attempt(False)
            if self.first_key:
                self.first_key = False
                self.trace.debug(1, "Next authentication method: publickey")
            if not self.offer:
                return None
            identity = self.offer.pop(0)
            record = identity.record
            self.trace.offered.append(record)
            self.trace.auth_method = "publickey"
            self.current, self.began = record, time.monotonic()
            self.trace.debug(
                1, f"Offering public key: {record.name} {record.label} {record.sha256}"
                + record.suffix
            )  # fmt: skip
            return offer_key_pair(identity, self.trace, self.passphrase, self.ask)

        def _close_attempt(self, ok: bool) -> None:
            if self.current is not None:
                self.current.used = ok
                self.trace.attempt("publickey", self.current, ok, self.began)
                self.current = None

        def auth_completed(self) -> None:
            if self.trace.auth_method == "password" and self.trace.password_tried:
                self.trace.attempt("password", None, True, self.began)
                self.current = None
            else:
                self._close_attempt(True)
            method = self.trace.auth_method or "none"
            self.trace.end("authentication", True, method)
            where = f"[{self.trace.address or self.trace.host}]:{self.trace.port}"
            self.trace.line(1, f'Authenticated to {self.trace.host} ({where}) using "{method}".')

        def password_auth_requested(self) -> Any:
            return None  # a password comes only through the options (never asked here)

    return Client()


def classify(exc: Exception, trace: Trace, options: ConnectOptions) -> ConnectionFailed:
    """Turn what went wrong into an outcome code, a diagnosis and a fix."""
    from tui.core.diagnosis import diagnose

    stage = trace.fail_open_stage()
    outcome, diagnosis, fix = diagnose(exc, trace, options, stage)
    trace.line(0, f"{diagnosis}: {fix}.")
    return ConnectionFailed(outcome, diagnosis, fix, trace)


def is_unreachable(exc: OSError) -> bool:
    return exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)


Sink = Callable[[Any], None]

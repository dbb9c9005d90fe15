"""Shared SSH connection setup for the connection tester and the copy-id installer.

Usage::

    from tui.core.connect.client import ConnectOptions, open_connection, parse_target

    options = ConnectOptions(target=parse_target("root@192.0.2.1:2222"), accept_new=True)
    conn = await open_connection(options)  # asyncssh.SSHClientConnection
    async with conn:
        result = await conn.run("true")

``open_connection`` raises :class:`ConnectionFailed`, whose ``outcome`` is one of the codes of
issue 5 (``connection-refused``, ``timeout``, ``host-key-unknown``, ``host-key-changed``,
``auth-failed``...) and whose ``str()`` is one sentence saying what went wrong and what to do.
``~/.ssh/config`` is read by asyncssh itself (``config_file`` picks another). Host keys are
checked by :mod:`tui.core.connect.known_hosts` for every connection, tester and installer alike: a known
key passes, an unknown one fails (or is appended like ``ssh -o StrictHostKeyChecking=accept-new``
with ``accept_new``), a changed one stops the connection during key exchange, before any
authentication, with OpenSSH's warning. Keys are offered one at a time in ssh's order
(:mod:`tui.core.connect.identities`). Passing a :class:`~tui.core.connect.trace.Trace` (or a callable) as
``events`` streams what happens; passwords and passphrases never reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.connect import known_hosts as kh
from tui.core.connect.host_key_check import check_host_key, host_key_algs
from tui.core.connect.outcomes import Outcome
from tui.core.connect.ssh_log import LogRelay
from tui.core.connect.trace import OfferedKey, Trace
from tui.core.errors import InvalidArgument, SshDeckError
from tui.core.settings import Settings
from tui.core.text import visible

DEFAULT_PORT = 22


class ConnectionFailed(SshDeckError):
    """The connection or the login failed; ``outcome`` is the issue's outcome code.

    ``diagnosis`` says what went wrong and ``fix`` what to do; ``str()`` joins them in one
    sentence. ``trace`` holds what was learned before the failure (when one was kept).
    """

    def __init__(
        self, outcome: Outcome, message: str, fix: str | None = None, trace: Trace | None = None
    ) -> None:
        text = f"{message}: {fix}." if fix else message
        super().__init__(text)
        self.outcome = Outcome(outcome)
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
    #: the environment (``SSH_AUTH_SOCK``), read once by :class:`~tui.core.settings.Settings`;
    #: None reads it now (``Settings.from_environment()``), for callers without one
    settings: Settings | None = field(default=None, repr=False, compare=False)

    @property
    def environment(self) -> Settings:
        return self.settings if self.settings is not None else Settings.from_environment()

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
    """The target after ssh_config: real host name, port, user, keys, known_hosts files."""

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
    strict_yes: bool = False  # StrictHostKeyChecking yes came first (-o or config)
    certificate_files: list[Path] = field(default_factory=list)
    proxy_jump: str | None = None
    host_key_algorithms: str | None = None  # the config's HostKeyAlgorithms, as written
    kex_algorithms: str | None = None
    ciphers: str | None = None
    macs: str | None = None
    pubkey_algorithms: str | None = None  # PubkeyAcceptedAlgorithms, as written
    host_key_alias: str | None = None
    batch_mode: bool = False  # BatchMode yes: never ask, no password or keyboard-interactive


#: read after ~/.ssh/config, as ssh does (``-F`` replaces both)
SYSTEM_CONFIG = Path("/etc/ssh/ssh_config")

#: options asyncssh's parser does not keep but sshdeck honours itself
_EXTRA_OPTIONS = (
    "HashKnownHosts",
    "StrictHostKeyChecking",
    "BatchMode",
    "PubkeyAcceptedAlgorithms",
    "PubkeyAcceptedKeyTypes",
    "CheckHostIP",
    "LogLevel",
)


#: the options of ``_EXTRA_OPTIONS`` that take yes/no (the others are kept as written)
_BOOL_OPTIONS = ("HashKnownHosts", "BatchMode", "CheckHostIP")


def _config_class() -> Any:
    """asyncssh's client config parser, plus the options sshdeck reads itself.

    A subclass with its own handler table: asyncssh's own class is left as it is.
    """
    from tui.core.connect.asyncssh_private import client_config_class

    return client_config_class(
        {name: "bool" if name in _BOOL_OPTIONS else "string" for name in _EXTRA_OPTIONS}
    )


def known_option_names() -> list[str]:
    """Every ssh_config option ``-o`` accepts: asyncssh's and sshdeck's own."""
    from tui.core.connect.asyncssh_private import config_option_names

    return sorted(set(config_option_names().values()) | set(_EXTRA_OPTIONS))


def check_ssh_option(text: str) -> str:
    """One ``-o`` option as ssh takes it (``Name=value`` or ``Name value``); returns its name.

    An option sshdeck cannot honour raises :class:`InvalidArgument` naming it.
    """
    from tui.core.connect.asyncssh_private import config_option_names

    stripped = text.strip()
    name, sep, value = stripped.partition("=")
    if not sep:
        name, _, value = stripped.partition(" ")
    name, value = name.strip(), value.strip()
    if "\n" in text or "\r" in text or not name:
        raise InvalidArgument(f"-o {text!r} is not an ssh option; write -o Name=value.")
    lowered = name.lower()
    known = set(config_option_names())
    known |= {extra.lower() for extra in _EXTRA_OPTIONS}
    if lowered not in known:
        raise InvalidArgument(
            f"sshdeck cannot honour the ssh option {name} (-o {text}); the options it takes are "
            "those of ssh_config that asyncssh reads (IdentitiesOnly, User, Port, IdentityFile, "
            "HostKeyAlgorithms, Ciphers, KexAlgorithms, MACs, PubkeyAcceptedAlgorithms, "
            "ProxyJump, UserKnownHostsFile, StrictHostKeyChecking, HashKnownHosts, ConnectTimeout"
            ", ...)."
        )
    if not value:
        raise InvalidArgument(f"-o {text!r} has no value; write -o {name}=VALUE.")
    return name


class _ConfigFiles:
    """The config files ssh reads, in its order: ``-o`` options first (a private temporary
    file, so asyncssh's parser applies them with ssh's first-value-wins), then ``-F FILE``, or
    ``~/.ssh/config`` and ``/etc/ssh/ssh_config``. Removes the temporary file on exit."""

    def __init__(self, options: ConnectOptions) -> None:
        self.options = options
        self.temp: Path | None = None
        self.paths: list[str] = []
        self.shown: list[str] = []

    def __enter__(self) -> _ConfigFiles:
        import tempfile

        options = self.options
        if options.config_file is not None:
            if not options.config_file.is_file():
                raise InvalidArgument(
                    f"Cannot read the config file {options.config_file}; check -F."
                )
            files = [options.config_file]
        else:
            files = [Path.home() / ".ssh" / "config", SYSTEM_CONFIG]
            files = [f for f in files if f.is_file()]
        if options.ssh_options:
            for text in options.ssh_options:
                check_ssh_option(text)
            handle, name = tempfile.mkstemp(prefix="sshdeck-o-", suffix=".conf")
            self.temp = Path(name)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("".join(text.strip() + "\n" for text in options.ssh_options))
            self.paths.append(name)
        self.paths += [str(f) for f in files]
        self.shown = [str(f) for f in files]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


def _load(
    paths: list[str], host: str, port: int | None, user: str | None, temp: str | None = None
) -> Any:
    import getpass

    import asyncssh

    try:
        local_user = getpass.getuser()
    except (KeyError, OSError):
        local_user = ""
    from tui.core.connect.asyncssh_private import load_client_config

    try:
        return load_client_config(
            _config_class(), [Path(p) for p in paths], local_user, user, host, port
        )
    except asyncssh.ConfigParseError as exc:
        text = str(exc)
        if temp is not None and temp in text:  # an -o option: say so, not the temporary file
            detail = text.replace(temp, "-o").replace(" line ", " option ")
            raise InvalidArgument(f"An -o option is invalid ({detail}); fix it.") from None
        raise InvalidArgument(f"The ssh config file is invalid ({text}); fix that line.") from None
    except OSError as exc:
        raise InvalidArgument(f"Cannot read the ssh config ({exc.strerror}).") from None


def resolve_config(options: ConnectOptions) -> Resolved:
    """Apply ssh_config (asyncssh's parser) the way ssh would for this target."""
    with _ConfigFiles(options) as files:
        return _resolve(options, files)


def _resolve(options: ConnectOptions, files: _ConfigFiles) -> Resolved:
    import getpass

    explicit_port = options.port or options.target.port
    temp = str(files.temp) if files.temp is not None else None
    config: Any = _load(files.paths, options.target.host, explicit_port, options.target.user, temp)
    host = str(config.get("Hostname") or options.target.host)
    port = int(config.get("Port") or DEFAULT_PORT)
    try:
        local_user = getpass.getuser()
    except (KeyError, OSError):
        local_user = "root"
    user = str(config.get("User") or local_user)
    files_ = [Path(str(p)).expanduser() for p in config.get("IdentityFile", ()) or ()]
    certs = [Path(str(p)).expanduser() for p in config.get("CertificateFile", ()) or ()]
    if options.known_hosts_file:
        user_file: Path | None = options.known_hosts_file
    else:
        from_config = config.get("UserKnownHostsFile", ()) or ()
        user_file = Path(str(from_config[0])).expanduser() if from_config else None
    agent_path: str | None = None
    if options.use_agent:
        environment_agent = options.environment.ssh_auth_sock or ""
        agent_path = str(config.get("IdentityAgent", "") or environment_agent)
        if agent_path.lower() == "none" or not agent_path:
            agent_path = None
        elif agent_path == "SSH_AUTH_SOCK":
            agent_path = environment_agent or None
    strict = str(config.get("StrictHostKeyChecking", "")).lower()
    identities_only = bool(config.get("IdentitiesOnly", False))
    if options.identities_only is not None:
        identities_only = options.identities_only
    jump = config.get("ProxyJump")
    jump_text = str(jump) if jump and str(jump).lower() != "none" else None

    def text(name: str) -> str | None:
        value = config.get(name)
        return str(value) if value else None

    return Resolved(
        host=host,
        port=port,
        user=user,
        identity_files=files_,
        identities_only=identities_only,
        proxied=bool(jump_text or config.get("ProxyCommand")),
        known_hosts=kh.default_files(user_file),
        agent_path=agent_path,
        config_paths=files.shown or [str(Path.home() / ".ssh" / "config")],
        hash_known_hosts=bool(config.get("HashKnownHosts", False)),
        # "no" adds unknown keys too; a changed key stops all the same (never "go on")
        accept_new=strict in ("accept-new", "no", "off"),
        strict_yes=strict in ("yes", "true"),
        certificate_files=certs,
        proxy_jump=jump_text,
        host_key_algorithms=text("HostKeyAlgorithms"),
        kex_algorithms=text("KexAlgorithms"),
        ciphers=text("Ciphers"),
        macs=text("MACs"),
        pubkey_algorithms=text("PubkeyAcceptedAlgorithms"),
        host_key_alias=text("HostKeyAlias"),
        batch_mode=bool(config.get("BatchMode", False)),
    )


#: OpenSSH's default KexAlgorithms and MACs (``ssh -Q``/``ssh -G``), those asyncssh implements:
#: asyncssh's own defaults also allow SHA-1 key exchanges ssh refuses
OPENSSH_KEX = (
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
)
OPENSSH_MACS = (
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
)


def _expand(value: str | None, defaults: list[str]) -> list[str] | str:
    """ssh's algorithm list syntax: ``+a,b`` appends, ``-a`` removes, ``^a`` prepends; a plain
    list replaces the defaults (given to asyncssh as written, which checks the names)."""
    if not value:
        return defaults
    names = [n for n in value[1:].split(",") if n] if value[0] in "+-^" else []
    if value[0] == "+":
        return defaults + [n for n in names if n not in defaults]
    if value[0] == "-":
        import fnmatch

        return [d for d in defaults if not any(fnmatch.fnmatch(d, n) for n in names)]
    if value[0] == "^":
        return names + [d for d in defaults if d not in names]
    return value


async def open_connection(options: ConnectOptions, events: Any = None) -> Any:
    """Connect and authenticate; raises ConnectionFailed with the outcome code.

    ``events`` is a :class:`Trace` to fill, a callable receiving each event, or None.
    """
    trace = events if isinstance(events, Trace) else Trace(sink=events)
    trace.add_secret(options.password)
    trace.add_secret(options.passphrase)
    with _ConfigFiles(options) as files:
        resolved = _resolve(options, files)
        return await _open(options, trace, resolved, files, events is not None)


async def _open(
    options: ConnectOptions, trace: Trace, resolved: Resolved, files: _ConfigFiles, log: bool
) -> Any:
    import asyncssh

    host, port = resolved.host, resolved.port
    trace.user, trace.host, trace.port = resolved.user, host, port
    for path in resolved.config_paths:
        if Path(path).is_file():
            trace.debug(1, f"Reading configuration data {visible(str(path))}")
    for text in options.ssh_options:
        trace.debug(2, f"command-line option: {text.strip()}")
    loop = asyncio.get_running_loop()
    client: Any = None
    jumps: list[Any] = []
    relay = LogRelay(trace, options.debug_level) if log else None
    try:
        async with asyncio.timeout(options.timeout) as deadline:
            if not resolved.proxied:
                trace.begin("resolve")
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                trace.address = str(infos[0][4][0])
                trace.end("resolve", True, trace.address)
            else:  # the jump host resolves the name; every stage is still listed
                trace.end("resolve", True, "ProxyJump")
            if resolved.proxy_jump:
                jumps = await _open_jumps(options, trace, resolved.proxy_jump)
            trace.debug(1, f"Connecting to {host} [{trace.address or host}] port {port}.")
            trace.begin("connect")
            from tui.core.connect import identities as ids

            explicit = [p.expanduser() for p in options.identities] + resolved.identity_files
            key_files = explicit or ids.default_files()
            offer = await ids.collect(
                trace,
                key_files,
                bool(explicit),
                resolved.identities_only,
                resolved.agent_path,
                certificate_files=resolved.certificate_files,
                login_user=resolved.user,
                accepted_algorithms=resolved.pubkey_algorithms,
            )

            async def ask(path: Path, sha256: str) -> str | None:
                deadline.reschedule(None)  # a person typing is not the network timing out
                try:
                    answer: str | None = await options.ask_passphrase(path, sha256)
                    return answer
                finally:
                    deadline.reschedule(loop.time() + options.timeout)

            async def ask_pw(prompt: str) -> str | None:
                deadline.reschedule(None)
                try:
                    answer: str | None = await options.ask_password(prompt)
                    return answer
                finally:
                    deadline.reschedule(loop.time() + options.timeout)

            batch = resolved.batch_mode  # like ssh: BatchMode asks nothing and sends no password
            client = _make_client(
                trace,
                offer,
                options.passphrase,
                ask if options.ask_passphrase and not batch else None,
                relay,
                None if batch else options.password,
                ask_pw if options.ask_password and not batch else None,
            )
            check_name = resolved.host_key_alias or host
            client.check = (
                resolved.known_hosts,
                check_name,
                port,
                (options.accept_new or resolved.accept_new),
                resolved.hash_known_hosts,
            )
            known = kh.known_types(resolved.known_hosts, check_name, port)
            kwargs: dict[str, Any] = {
                "port": port,
                "username": resolved.user,
                "config": files.paths,
                "client_keys": None,
                "known_hosts": ([], [], []),  # every key goes through _Client's check
                "server_host_key_algs": _expand(resolved.host_key_algorithms,
                                                host_key_algs(known)),
                "kex_algs": _expand(resolved.kex_algorithms, _supported_kex()),
                "mac_algs": _expand(resolved.macs, _supported_macs()),
                "client_factory": lambda: client,
                "connect_timeout": None,
                "login_timeout": None,
            }  # fmt: skip
            if jumps:
                kwargs["tunnel"] = jumps[-1]
            if relay is not None:
                relay.install()
            conn = await asyncssh.connect(options.target.host, **kwargs)
            if jumps:
                from tui.core.connect.asyncssh_private import set_tunnel

                set_tunnel(conn, jumps[-1])  # closing the login closes the jump host too
            return conn
    except asyncio.CancelledError:
        _abort(client, jumps)
        raise
    except ConnectionFailed:
        _abort(client, jumps)
        raise
    except BaseException as exc:
        if client is not None and client.conn is not None:
            from tui.core.connect.negotiation import read_lists

            lists = read_lists(client.conn)
            if lists is not None:
                trace.server_algs, trace.client_algs = lists
        _abort(client, jumps)
        if isinstance(exc, ValueError) and (client is None or client.conn is None):
            raise InvalidArgument(
                f"An ssh option is not valid ({exc}); fix it in -o or the ssh config."
            ) from None
        if isinstance(exc, Exception):
            raise classify(exc, trace, options) from None
        raise
    finally:
        if relay is not None:
            relay.remove()


def _abort(client: Any, jumps: list[Any]) -> None:
    if client is not None and client.conn is not None:
        client.conn.abort()
    for jump in reversed(jumps):
        jump.abort()


def _supported_kex() -> list[str]:
    from asyncssh.kex import get_kex_algs

    have = {alg.decode() for alg in get_kex_algs()}
    return [alg for alg in OPENSSH_KEX if alg in have]


def _supported_macs() -> list[str]:
    from asyncssh.mac import get_mac_algs

    have = {alg.decode() for alg in get_mac_algs()}
    return [alg for alg in OPENSSH_MACS if alg in have]


def _split_hop(hop: str) -> Target:
    """A ProxyJump hop: ``[user@]host[:port]`` or ``ssh://[user@]host[:port]``."""
    text = hop.strip()
    if text.startswith("ssh://"):
        text = text[len("ssh://") :]
    return parse_target(text)


async def _open_jumps(options: ConnectOptions, trace: Trace, spec: str) -> list[Any]:
    """Log in to each ProxyJump host in turn, each checked like the target (its own known_hosts
    check, ``--accept-new`` included), as the ``ssh -W`` that ssh starts for it would."""
    from dataclasses import replace

    conns: list[Any] = []
    for hop in [h for h in spec.split(",") if h.strip()]:
        target = _split_hop(hop)
        jump_options = replace(
            options,
            target=target,
            port=None,
            identities=(),
            ssh_options=(),  # ssh passes only -F and -v to the jump host's ssh
            identities_only=None,
        )

        def forward(event: Any) -> None:
            from tui.core.connect.trace import TranscriptLine

            if isinstance(event, TranscriptLine):
                trace.line(event.level, event.text)

        jump_trace = Trace(sink=forward)
        with _ConfigFiles(jump_options) as files:
            resolved = _resolve(jump_options, files)
            try:
                conn = await _open_one_jump(
                    jump_options, jump_trace, resolved, files, conns[-1] if conns else None
                )
            except ConnectionFailed as failure:
                for done in reversed(conns):
                    done.abort()
                name = f"{resolved.host} port {resolved.port}"
                trace.failed_host = hop.strip()
                trace.host_key_status = jump_trace.host_key_status
                trace.host_key_lines = list(jump_trace.host_key_lines)
                trace.host_key = jump_trace.host_key
                trace.offered += jump_trace.offered
                trace.auth_methods = trace.auth_methods or jump_trace.auth_methods
                raise ConnectionFailed(
                    failure.outcome,
                    f"The jump host {hop.strip()} ({name}, ProxyJump): {failure.diagnosis}",
                    failure.fix,
                    trace,
                ) from None
        trace.debug(1, f"ProxyJump: logged in to {hop.strip()}; tunnelling to the target")
        conns.append(conn)
    return conns


async def _open_one_jump(
    options: ConnectOptions, trace: Trace, resolved: Resolved, files: _ConfigFiles, tunnel: Any
) -> Any:
    """One jump host: the same login and host key check as the target, over ``tunnel``."""
    import asyncssh

    from tui.core.connect import identities as ids

    host, port = resolved.host, resolved.port
    trace.user, trace.host, trace.port = resolved.user, host, port
    explicit = resolved.identity_files
    offer = await ids.collect(
        trace,
        explicit or ids.default_files(),
        bool(explicit),
        resolved.identities_only,
        resolved.agent_path,
        certificate_files=resolved.certificate_files,
        login_user=resolved.user,
        accepted_algorithms=resolved.pubkey_algorithms,
    )
    client = _make_client(trace, offer, options.passphrase, None, None, None, None)
    check_name = resolved.host_key_alias or host
    client.check = (
        resolved.known_hosts,
        check_name,
        port,
        options.accept_new or resolved.accept_new,
        resolved.hash_known_hosts,
    )
    known = kh.known_types(resolved.known_hosts, check_name, port)
    trace.debug(1, f"Connecting to {host} port {port} (ProxyJump host).")
    try:
        return await asyncssh.connect(
            options.target.host,
            port=port,
            username=resolved.user,
            config=files.paths,
            client_keys=None,
            known_hosts=([], [], []),
            server_host_key_algs=_expand(resolved.host_key_algorithms, host_key_algs(known)),
            kex_algs=_expand(resolved.kex_algorithms, _supported_kex()),
            mac_algs=_expand(resolved.macs, _supported_macs()),
            client_factory=lambda: client,
            tunnel=tunnel if tunnel is not None else (),
            proxy_command=(),
            connect_timeout=None,
            login_timeout=None,
        )
    except Exception as exc:
        if client.conn is not None:
            client.conn.abort()
        raise classify(exc, trace, options) from None


def _make_client(
    trace: Trace,
    offer: list[Any],
    passphrase: str | None,
    ask: Any,
    relay: LogRelay | None,
    password: str | None = None,
    ask_password: Any = None,
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
            self.kbd_pending = False
            # a password given once (--password-stdin) is tried once per method, as typed once
            self.passwords = {"password": password, "keyboard-interactive": password}

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
            for text in visible(msg.rstrip("\n"), multiline=True).splitlines():
                self.trace.line(0, text)

        def begin_auth(self, username: str) -> None:
            self._read_server_sig_algs()
            self.trace.debug(1, f"Authenticating to {self.trace.host}:{self.trace.port} as "
                             f"'{visible(username)}'")  # fmt: skip
            self.trace.begin("authentication")

        def _read_server_sig_algs(self) -> None:
            if self.trace.server_sig_algs is not None:
                return
            algs = server_sig_algs(self.conn)
            self.trace.server_sig_algs = algs
            if algs:
                self.trace.debug(1, "kex_input_ext_info: server-sig-algs=<" + ",".join(algs) + ">")

        def public_key_auth_requested(self) -> Any:
            from tui.core.connect.identities import offer_key_pair, rsa_sig_algs

            self._close_attempt(False)
            self._read_server_sig_algs()
            if self.first_key:
                self.first_key = False
                self.trace.debug(1, "Next authentication method: publickey")
            while self.offer:
                identity = self.offer.pop(0)
                record = identity.record
                sig_algs = rsa_sig_algs(
                    identity.public, self.trace.server_sig_algs, identity.rsa_allowed
                )
                if sig_algs == []:  # ssh 9.2: no mutual signature algorithm, key skipped
                    self.trace.debug(
                        1, f"Offering public key: {visible(record.name)} {record.label} {record.sha256}"
                        + record.suffix
                    )  # fmt: skip
                    self.trace.debug(1, "send_pubkey_test: no mutual signature algorithm")
                    record.problem = "no-mutual-signature"
                    self.trace.skipped.append(record)
                    continue
                self.trace.offered.append(record)
                self.trace.auth_method = "publickey"
                self.current, self.began = record, time.monotonic()
                self.trace.debug(
                    1, f"Offering public key: {visible(record.name)} {record.label} {record.sha256}"
                    + record.suffix
                )  # fmt: skip
                return offer_key_pair(identity, self.trace, self.passphrase, self.ask, sig_algs)
            return None

        def _close_attempt(self, ok: bool) -> None:
            if self.current is not None:
                self.current.used = ok
                self.trace.attempt("publickey", self.current, ok, self.began)
                self.current = None

        def _partial(self) -> None:
            """The server asks for another method: the key just signed was accepted (partial)."""
            record = self.current
            if record is not None and record.signed:
                record.partial = True
                self._close_attempt(True)
                self.trace.partial_success.append("publickey")
                with contextlib.suppress(Exception):
                    self.trace.auth_methods_after_partial = list(
                        self.conn.get_server_auth_methods()
                    )
                self.trace.line(1, 'Authenticated using "publickey" with partial success.')
            elif record is not None:
                self._close_attempt(False)
            if self.kbd_pending:
                self.kbd_pending = False
                self.trace.attempt("keyboard-interactive", None, False, self.began)

        def auth_completed(self) -> None:
            if self.trace.auth_method == "password" and self.trace.password_tried:
                self.trace.attempt("password", None, True, self.began)
                self.current = None
            elif self.trace.auth_method == "keyboard-interactive":
                self.kbd_pending = False
                self.trace.attempt("keyboard-interactive", None, True, self.began)
            else:
                self._close_attempt(True)
            method = self.trace.auth_method or "none"
            self.trace.end("authentication", True, method)
            where = f"[{self.trace.address or self.trace.host}]:{self.trace.port}"
            self.trace.line(1, f'Authenticated to {self.trace.host} ({where}) using "{method}".')

        async def _password(self, method: str, prompt: str) -> str | None:
            given = self.passwords.get(method)
            if given is not None:
                self.passwords[method] = None
                return given
            if ask_password is None:
                return None
            answer: str | None = await ask_password(prompt)
            self.trace.add_secret(answer)
            return answer

        async def password_auth_requested(self) -> str | None:
            self._partial()
            who = f"{self.trace.user}@{self.trace.host}"
            answer = await self._password("password", f"{who}'s password: ")
            if answer is None:
                self.trace.debug(2, "no password to try")
            else:
                self.trace.auth_method, self.trace.password_tried = "password", True
            return answer

        async def kbdint_auth_requested(self) -> str | None:
            self._partial()
            if self.passwords.get("keyboard-interactive") is None and ask_password is None:
                return None
            self.trace.auth_method = "keyboard-interactive"
            self.began = time.monotonic()
            self.trace.debug(1, "Next authentication method: keyboard-interactive")
            return ""

        async def kbdint_challenge_received(
            self, name: str, instructions: str, lang: str, prompts: Any
        ) -> list[str] | None:
            if name:
                self.trace.line(0, visible(name, multiline=True))
            if instructions:
                self.trace.line(0, visible(instructions.rstrip("\n"), multiline=True))
            answers: list[str] = []
            who = f"({self.trace.user}@{self.trace.host})"
            for prompt, _echo in prompts:
                answer = await self._password("keyboard-interactive", f"{who} {visible(prompt)}")
                if answer is None:
                    self.trace.attempt("keyboard-interactive", None, False, self.began)
                    return None
                answers.append(answer)
            self.kbd_pending = bool(prompts)
            return answers

    return Client()


def server_sig_algs(conn: Any) -> list[str] | None:
    """The server's ``server-sig-algs`` (RFC 8308), in OpenSSH's order; None without EXT_INFO.

    asyncssh keeps the received list as a set: read only.
    """
    from tui.core.connect.asyncssh_private import server_sig_algs as raw_sig_algs

    raw = raw_sig_algs(conn)
    algs = {alg.decode("ascii", "replace") for alg in raw if alg}
    if not algs:
        return None
    order = [
        "ssh-ed25519", "sk-ssh-ed25519@openssh.com", "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512",
        "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    ]  # fmt: skip
    return [a for a in order if a in algs] + sorted(algs - set(order))


def classify(exc: Exception, trace: Trace, options: ConnectOptions) -> ConnectionFailed:
    """Turn what went wrong into an outcome code, a diagnosis and a fix."""
    from tui.core.connect.diagnosis import diagnose

    stage = trace.fail_open_stage()
    outcome, diagnosis, fix = diagnose(exc, trace, options, stage)
    trace.line(0, f"{diagnosis}: {fix}.")
    return ConnectionFailed(outcome, diagnosis, fix, trace)


def is_unreachable(exc: OSError) -> bool:
    return exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)


Sink = Callable[[Any], None]

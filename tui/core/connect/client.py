"""Shared SSH connection setup for the connection tester and the copy-id installer.

A little over 400 lines on purpose: ``open_connection`` and its socket handling (the early
connection, one name lookup, the version line sent at once) are one sequence that the tester's
timings and the host key check depend on; options, config and the auth callbacks are already in
``options``, ``ssh_config`` and ``auth_client``.

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

The pieces live beside it: the target and options in :mod:`tui.core.connect.options`, ssh_config
in :mod:`tui.core.connect.ssh_config`, asyncssh's client callbacks in
:mod:`tui.core.connect.auth_client`; this module connects (ProxyJump hosts included) and keeps
re-exporting the names callers import from it.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.core.connect import known_hosts as kh
from tui.core.connect.asyncssh_private import version_line
from tui.core.connect.auth_client import make_client, server_sig_algs
from tui.core.connect.host_key_check import host_key_algs
from tui.core.connect.options import (
    DEFAULT_PORT,
    ConnectionFailed,
    ConnectOptions,
    InvalidTarget,
    Target,
    known_hosts_name,
    parse_target,
)
from tui.core.connect.ssh_config import (
    SYSTEM_CONFIG,
    ConfigFiles,
    Resolved,
    check_ssh_option,
    known_option_names,
    resolve_config,
    resolve_with,
)
from tui.core.connect.ssh_log import LogRelay
from tui.core.connect.trace import Trace
from tui.core.errors import InvalidArgument
from tui.core.text import visible

# the names callers have always imported from here (the target, the options, ssh_config)
__all__ = [
    "DEFAULT_PORT",
    "SYSTEM_CONFIG",
    "ConnectOptions",
    "ConnectionFailed",
    "InvalidTarget",
    "Resolved",
    "Target",
    "check_ssh_option",
    "classify",
    "known_hosts_name",
    "known_option_names",
    "open_connection",
    "parse_target",
    "resolve_config",
    "server_sig_algs",
]


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
    from tui.core.connect.identities import modify_algorithms

    modified = modify_algorithms(value, defaults)
    return value if modified is None else modified


async def open_connection(options: ConnectOptions, events: Any = None) -> Any:
    """Connect and authenticate; raises ConnectionFailed with the outcome code.

    ``events`` is a :class:`Trace` to fill, a callable receiving each event, or None.
    """
    trace = events if isinstance(events, Trace) else Trace(sink=events)
    trace.add_secret(options.password)
    trace.add_secret(options.passphrase)
    with ConfigFiles(options) as files:
        for path in files.shown:  # said as ssh says it: before the file is parsed
            if Path(path).is_file():
                trace.debug(1, f"Reading configuration data {visible(str(path))}")
        resolved = resolve_with(options, files)
        return await _open(options, trace, resolved, files, events is not None)


async def _open(
    options: ConnectOptions, trace: Trace, resolved: Resolved, files: ConfigFiles, log: bool
) -> Any:
    import asyncssh

    host, port = resolved.host, resolved.port
    trace.user, trace.host, trace.port = resolved.user, host, port
    for text in options.ssh_options:
        trace.debug(2, f"command-line option: {text.strip()}")
    loop = asyncio.get_running_loop()
    client: Any = None
    jumps: list[Any] = []
    sock: socket.socket | None = None
    early: Any = None
    relay = LogRelay(trace, options.debug_level) if log else None
    try:
        async with asyncio.timeout(options.timeout) as deadline:
            infos: list[Any] = []
            if resolved.plain_tcp:  # begun while Python imported (sshdeck test)?
                from tui.core.connect import early as begun

                early = begun.take(host, port, version_line()[1])
            if not resolved.proxied:
                trace.begin("resolve", at=early.resolve_began if early is not None else None)
                if early is not None:
                    await begun.wait(early.resolved)
                    if early.infos is None:
                        raise early.error or OSError("the name lookup failed")
                    infos = list(early.infos)
                else:
                    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                trace.address = str(infos[0][4][0])
                trace.end("resolve", True, trace.address, early.connect_began if early else None)
            else:  # the jump host resolves the name; every stage is still listed
                trace.end("resolve", True, "ProxyJump")
            if resolved.proxy_jump:
                jumps = await _open_jumps(options, trace, resolved.proxy_jump)
            trace.debug(1, f"Connecting to {host} [{trace.address or host}] port {port}.")
            trace.begin("connect", at=early.connect_began if early is not None else None)
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

            if resolved.plain_tcp and infos:
                # asyncssh takes the connected socket (no second lookup); the version line
                # goes at once, so the server's KEXINIT is on its way while asyncssh starts.
                # The keys were read first, so the transcript keeps its order.
                client_version, version_sent = version_line()
                if early is not None:
                    await begun.wait(early.done)
                    if early.sock is None:
                        raise early.error or OSError("the connection failed")
                    sock, early.sock = early.sock, None
                else:
                    sock = await _tcp_connect(loop, infos)
                    await loop.sock_sendall(sock, version_sent)
                trace.end("connect", True, "", early.connected_at if early else None)
                trace.debug(1, "Connection established.")

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
            client = make_client(
                trace,
                offer,
                options.passphrase,
                ask if options.ask_passphrase and not batch else None,
                relay,
                None if batch else options.password,
                ask_pw if options.ask_password and not batch else None,
            )
            client.connected = sock is not None  # the connect stage is said already
            if sock is not None:
                client.version_sent = version_sent
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
            if sock is not None:
                kwargs["client_version"] = client_version
                kwargs["sock"], sock = sock, None  # asyncssh owns (and closes) it from here
            if relay is not None:
                relay.install()
            conn = await asyncssh.connect(options.target.host, **kwargs)
            if jumps:
                from tui.core.connect.asyncssh_private import set_tunnel

                set_tunnel(conn, jumps[-1])  # closing the login closes the jump host too
            return conn
    except asyncio.CancelledError:
        _abort(client, jumps, sock, early)
        raise
    except ConnectionFailed:
        _abort(client, jumps, sock, early)
        raise
    except BaseException as exc:
        if client is not None and client.conn is not None:
            from tui.core.connect.negotiation import read_lists

            lists = read_lists(client.conn)
            if lists is not None:
                trace.server_algs, trace.client_algs = lists
        _abort(client, jumps, sock, early)
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


def _abort(
    client: Any, jumps: list[Any], sock: socket.socket | None = None, early: Any = None
) -> None:
    if sock is not None:  # connected, not yet handed to asyncssh
        sock.close()
    if early is not None:  # begun early and given up (a timeout): closed, now or when done
        early.taken = False
        early.close()
    if client is not None and client.conn is not None:
        client.conn.abort()
    for jump in reversed(jumps):
        jump.abort()


async def _tcp_connect(loop: asyncio.AbstractEventLoop, infos: list[Any]) -> socket.socket:
    """Connect to the first address that answers, in getaddrinfo's order, raising what
    ``loop.create_connection`` (asyncssh's way) raises when none does."""
    errors: list[OSError] = []
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            errors.append(exc)
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    if len(errors) == 1 or all(str(e) == str(errors[0]) for e in errors):
        raise errors[0]
    raise OSError(f"Multiple exceptions: {', '.join(str(e) for e in errors)}")


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
        with ConfigFiles(jump_options) as files:
            resolved = resolve_with(jump_options, files)
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
    options: ConnectOptions, trace: Trace, resolved: Resolved, files: ConfigFiles, tunnel: Any
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
    client = make_client(trace, offer, options.passphrase, None, None, None, None)
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

"""The connection tester: log in like ``ssh -vvv`` would, stream what happens, end with a diagnosis.

Two ways to use it, same events::

    result = await run_probe(ProbeOptions(connect=options), sink=print)   # callback
    async for event in probe(ProbeOptions(connect=options)):               # async iterator
        ...  # TranscriptLine, StageEvent, and last a ProbeResult

Events are :class:`~tui.core.trace.TranscriptLine` (level 0-3, ``debugN:`` prefixed like OpenSSH),
:class:`~tui.core.trace.StageEvent` (resolve, connect, protocol version, key exchange, host key
check, authentication with one ``authentication: METHOD KEY`` sub-stage per attempt, session
opened) and finally the :class:`ProbeResult` (outcome code, diagnosis, fix and the facts).
The asyncssh engine shares :func:`tui.core.connect.open_connection` with the installer, so host
keys are checked the same way; ``engine="openssh"`` runs the system ``ssh -vvv`` instead
(:mod:`tui.core.probe_openssh`) and reads the same facts from its lines.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.connect import ConnectionFailed, ConnectOptions
from tui.core.keys import PublicKey
from tui.core.outcomes import Outcome
from tui.core.text import visible
from tui.core.trace import STAGES, OfferedKey, StageEvent, Trace, TranscriptLine

__all__ = [
    "ProbeOptions",
    "ProbeResult",
    "StageEvent",
    "TranscriptLine",
    "probe",
    "run_probe",
    "transcript_name",
]


@dataclass(frozen=True)
class ProbeOptions:
    connect: ConnectOptions
    command: str | None = None  # run after login (``sshdeck test host -- COMMAND``)
    engine: str = "asyncssh"  # or "openssh"


@dataclass
class ProbeResult:
    """The end of a probe: what happened, why, and what to do."""

    ok: bool
    outcome: str
    diagnosis: str
    fix: str
    target: str
    stages: list[StageEvent] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    server_version: str | None = None
    kex: str | None = None
    host_key: dict[str, str] | None = None
    host_key_status: str | None = None
    host_public_key: PublicKey | None = None
    host_key_lines: list[str] = field(default_factory=list)
    auth_methods: list[str] = field(default_factory=list)
    offered_keys: list[OfferedKey] = field(default_factory=list)
    skipped_keys: list[OfferedKey] = field(default_factory=list)
    host: str | None = None  # after ~/.ssh/config (HostName)
    port: int | None = None
    known_hosts_file: Path | None = None
    auth_method: str | None = None
    exit_status: int | None = None
    stdout: str = ""
    stderr: str = ""
    lines: list[TranscriptLine] = field(default_factory=list)
    engine: str = "asyncssh"
    server_sig_algs: list[str] | None = None
    partial_success: list[str] = field(default_factory=list)
    failed_host: str | None = None  # the ProxyJump host that failed, when it was not the target
    certificate_problems: list[str] = field(default_factory=list)
    causes: list[Any] = field(default_factory=list)  # tui.core.refusal.Cause, ranked
    inspection: dict[str, Any] | None = None  # --inspect-with: the server-side facts read

    @property
    def accepted_key(self) -> OfferedKey | None:
        return next((key for key in self.offered_keys if key.used), None)

    def to_json(self) -> dict[str, Any]:
        """The document of ``sshdeck test --json`` (README, section test)."""
        used = self.accepted_key
        return {
            "ok": self.ok,
            "outcome": self.outcome,
            "diagnosis": self.diagnosis,
            "fix": self.fix,
            "stages": [{"name": s.name, "ok": s.ok, "ms": s.ms} for s in self.stages],
            "server_version": self.server_version,
            "kex": self.kex,
            "host_key": self.host_key,
            "auth_methods": self.auth_methods,
            "offered_keys": [
                {
                    "path": key.path,
                    "sha256": key.sha256,
                    "accepted": key.used or key.accepted,
                }
                for key in self.offered_keys
            ],
            "accepted_key": (used.path or used.sha256) if used else None,
            "auth_method": self.auth_method,
            "auth_attempts": self.attempts,
            "host_key_status": self.host_key_status,
            "exit_status": self.exit_status,
            "target": self.target,
            "engine": self.engine,
            "server_sig_algs": self.server_sig_algs,
            "partial_success": self.partial_success,
            "failed_host": self.failed_host,
            "certificate_problems": self.certificate_problems,
            "causes": [cause.to_json() for cause in self.causes],
            **({"inspection": self.inspection} if self.inspection is not None else {}),
        }


def transcript_name(host: str) -> str:
    """The guide's file name for a saved transcript: ``ssh.<host>.debug``."""
    safe = "".join(ch if ch.isalnum() or ch in ".-_:" else "_" for ch in host)
    return f"ssh.{safe}.debug"


def result_from_trace(
    trace: Trace, target: str, outcome: str, diagnosis: str, fix: str, engine: str
) -> ProbeResult:
    order = {name: index for index, name in enumerate(STAGES)}
    stages = sorted(trace.stages, key=lambda s: order.get(s.name, 99))
    return ProbeResult(
        ok=outcome == Outcome.OK,
        outcome=outcome,
        diagnosis=diagnosis,
        fix=fix,
        target=target,
        stages=stages,
        attempts=list(trace.attempts),
        server_version=trace.server_version,
        kex=trace.kex,
        host_key=trace.host_key,
        host_key_status=trace.host_key_status,
        host_public_key=trace.server_key,
        host_key_lines=list(trace.host_key_lines),
        auth_methods=list(trace.auth_methods),
        offered_keys=list(trace.offered),
        skipped_keys=list(trace.skipped),
        host=trace.host,
        port=trace.port,
        known_hosts_file=trace.known_hosts_file,
        auth_method=trace.auth_method,
        lines=list(trace.lines),
        engine=engine,
        server_sig_algs=trace.server_sig_algs,
        partial_success=list(trace.partial_success),
        failed_host=trace.failed_host,
        certificate_problems=list(trace.certificate_problems),
        causes=list(trace.causes),
    )


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


async def run_probe(
    options: ProbeOptions, sink: Callable[[Any], None] | None = None
) -> ProbeResult:
    """Run one probe to the end, passing every event to ``sink``; returns the result."""
    if options.engine == "openssh":
        from tui.core.probe_openssh import run_openssh

        return await run_openssh(options, sink)
    from tui.core.connect import open_connection

    connect = options.connect
    trace = Trace(sink=sink)
    target = connect.target.host
    try:
        conn = await open_connection(connect, trace)
    except ConnectionFailed as failure:
        return result_from_trace(
            trace,
            target,
            failure.outcome,
            _sentence(failure.diagnosis),
            _sentence(failure.fix),
            "asyncssh",
        )
    async with conn:
        status, out, err = await _session(conn, trace, options.command, connect.timeout)
    if status is None:
        result = result_from_trace(
            trace,
            target,
            Outcome.DISCONNECTED,
            f"Logged in to {trace.host}, but the server refused to open a session.",
            "Look at the server's sshd log (ForceCommand, MaxSessions, the user's shell).",
            "asyncssh",
        )
    elif status != 0 and options.command is None:
        # ``ssh host true`` fails: the account's shell refuses (nologin) or a ForceCommand
        # failed; ssh exits with that status and so does the test
        said = (out.strip() or err.strip()).splitlines()
        message = said[0] if said else ""
        shown = f' and said "{visible(message)}"' if message else ""
        how = "ended" if status != 255 else "failed"
        result = result_from_trace(
            trace,
            target,
            Outcome.SESSION_FAILED,
            f"Logged in to {trace.host} as {trace.user}, but the session {how} with exit status "
            f"{status}{shown} (what `ssh {_ssh_command_hint(connect, trace, None)} true` gives).",
            _session_fix(message),
            "asyncssh",
        )
    else:
        key = next((k for k in trace.offered if k.used and not k.partial), None)
        key = key or next((k for k in trace.offered if k.used), None)
        how = f"the key {visible(key.name)}" if key else f'"{trace.auth_method}"'
        if trace.partial_success and trace.auth_method:
            how += f" and {trace.auth_method}"
        result = result_from_trace(
            trace,
            target,
            Outcome.OK,
            f"Logged in to {trace.host} as {trace.user} with {how}.",
            "Nothing to fix: ssh " + _ssh_command_hint(connect, trace, key) + " will work.",
            "asyncssh",
        )
    result.exit_status, result.stdout, result.stderr = status, out, err
    trace.line(0, result.diagnosis if result.ok else f"{result.diagnosis} {result.fix}")
    result.lines = list(trace.lines)
    return result


def _session_fix(message: str) -> str:
    if "not available" in message.lower():
        return (
            "The account's login shell refuses logins (nologin): give it a real shell on the "
            "server (usermod -s /bin/bash USER) or log in as another user."
        )
    return (
        "The server's ForceCommand, the account's shell or its startup files failed: look at "
        "sshd_config (ForceCommand, Match blocks) and the user's shell on the server."
    )


def _ssh_command_hint(connect: ConnectOptions, trace: Trace, key: OfferedKey | None) -> str:
    parts = []
    if key and key.path and "explicit" in key.source:
        parts.append(f"-i {key.path}")
    if connect.effective_port != 22 and not connect.config_file:
        parts.append(f"-p {connect.effective_port}")
    who = f"{connect.target.user}@" if connect.target.user else ""
    parts.append(who + connect.target.host)
    return " ".join(parts)


async def _session(
    conn: Any, trace: Trace, command: str | None, timeout: float
) -> tuple[int | None, str, str]:
    """Open a session channel (running the command, or ``true``) like ``ssh host COMMAND``."""
    import asyncssh

    trace.begin("session opened")
    run = command if command is not None else "true"
    try:
        async with asyncio.timeout(timeout):
            process = await conn.create_process(run)
    except (asyncssh.Error, OSError, TimeoutError) as exc:
        trace.debug(1, f"channel 0: open failed: {exc}")
        trace.end("session opened", False)
        return None, "", ""
    trace.debug(1, "channel 0: new session [client-session]")
    trace.end("session opened", True)
    trace.debug(1, f"Sending command: {run}")
    result = await process.wait(check=False)
    status = result.exit_status if result.exit_status is not None else 255
    trace.debug(1, f"client_input_channel_req: channel 0 rtype exit-status reply 0 ({status})")
    return status, str(result.stdout or ""), str(result.stderr or "")


async def probe(options: ProbeOptions) -> AsyncIterator[Any]:
    """Yield events as they happen, then the :class:`ProbeResult`; closing it cancels."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    task = asyncio.create_task(run_probe(options, queue.put_nowait))
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
                continue
            getter.cancel()
            while not queue.empty():
                yield queue.get_nowait()
            yield task.result()
            return
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def save_transcript(lines: list[TranscriptLine], path: Path, level: int = 3) -> Path:
    """Write the transcript (up to ``level``); the lines were scrubbed of secrets already."""
    from tui.core.errors import TargetExists
    from tui.core.fsutil import atomic_write

    # a transcript replaces an older one, never a private key named by mistake (--log ~/.ssh/id_x)
    with contextlib.suppress(OSError), open(path, "rb") as existing:
        if b"PRIVATE KEY-----" in existing.read(64):
            raise TargetExists(f"{path} is a private key; choose another file for the transcript.")
    text = "".join(line.text + "\n" for line in lines if line.level <= level)
    atomic_write(path, text.encode(), 0o600, overwrite=True)
    return path

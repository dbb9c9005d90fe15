"""The asyncssh engine: sshdeck's own client logs in as ssh would and records every fact.

It shares :func:`tui.core.connect.client.open_connection` with the installer, so host keys are
checked the same way; after the login it opens a session (``true``, or the command) as
``ssh host true`` does, so a nologin shell or a failing ForceCommand is ``session-failed``.
The sentences of the outcomes both engines can reach come from
:mod:`tui.core.connect.session_outcomes`, so the two engines say the same thing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tui.core.connect.client import ConnectionFailed, open_connection
from tui.core.connect.engine import EngineName, ProbeOptions, Sink
from tui.core.connect.outcomes import Outcome
from tui.core.connect.result import ProbeResult, result_from_trace, sentence
from tui.core.connect.session_outcomes import after_login
from tui.core.connect.trace import Trace

__all__ = ["AsyncsshEngine"]


class AsyncsshEngine:
    name: EngineName = "asyncssh"

    async def run(self, options: ProbeOptions, sink: Sink | None) -> ProbeResult:
        connect = options.connect
        trace = Trace(sink=sink)
        target = connect.target.host
        try:
            conn = await open_connection(connect, trace)
        except ConnectionFailed as failure:
            return result_from_trace(
                trace,
                target,
                Outcome(failure.outcome),
                sentence(failure.diagnosis),
                sentence(failure.fix),
                self.name,
            )
        async with conn:
            status, out, err = await _session(conn, trace, options.command, connect.timeout)
        if status is None:
            outcome, diagnosis, fix = (
                Outcome.DISCONNECTED,
                f"Logged in to {trace.host}, but the server refused to open a session",
                "look at the server's sshd log (ForceCommand, MaxSessions, the user's shell)",
            )
        else:
            key = next((k for k in trace.offered if k.used and not k.partial), None)
            key = key or next((k for k in trace.offered if k.used), None)
            outcome, diagnosis, fix = after_login(
                trace, connect, options.command, status, out + err, key,
                bool(trace.partial_success),
            )  # fmt: skip
        diagnosis, fix = sentence(diagnosis), sentence(fix)
        trace.line(0, diagnosis if outcome == Outcome.OK else f"{diagnosis} {fix}")
        return result_from_trace(
            trace, target, outcome, diagnosis, fix, self.name,
            exit_status=status, stdout=out, stderr=err,
        )  # fmt: skip


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

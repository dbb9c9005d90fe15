"""The connection tester: log in like ``ssh -vvv`` would, stream what happens, end with a diagnosis.

Two ways to use it, same events::

    result = await run_probe(ProbeOptions(connect=options), sink=print)   # callback
    async for event in probe(ProbeOptions(connect=options)):               # async iterator
        ...  # TranscriptLine, StageEvent, and last a ProbeResult

Events are :class:`~tui.core.connect.trace.TranscriptLine` (level 0-3, ``debugN:`` prefixed like
OpenSSH), :class:`~tui.core.connect.trace.StageEvent` (resolve, connect, protocol version, key
exchange, host key check, authentication with one ``authentication: METHOD KEY`` sub-stage per
attempt, session opened) and finally the frozen :class:`~tui.core.connect.result.ProbeResult`
(outcome code, diagnosis, fix and the facts). The engine is chosen by name
(:func:`engine_named`): ``asyncssh`` (:mod:`tui.core.connect.engine_asyncssh`) or ``openssh``
(:mod:`tui.core.connect.probe_openssh`), both behind :class:`~tui.core.connect.engine.Engine`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from tui.core.connect.engine import ENGINE_NAMES, Engine, ProbeEvent, ProbeOptions, Sink
from tui.core.connect.result import ProbeResult
from tui.core.connect.trace import StageEvent, TranscriptLine
from tui.core.errors import InvalidArgument

__all__ = [
    "ProbeOptions",
    "ProbeResult",
    "StageEvent",
    "TranscriptLine",
    "engine_named",
    "probe",
    "run_probe",
    "save_transcript",
    "transcript_name",
]


def engine_named(name: str) -> Engine:
    """The engine called ``name`` (``asyncssh`` or ``openssh``).

    Each is imported when first chosen, so a run loads only its own engine (cold start counts
    in the tester's speed targets); neither engine imports this module or the other.
    """
    if name == "asyncssh":
        from tui.core.connect.engine_asyncssh import AsyncsshEngine

        return AsyncsshEngine()
    if name == "openssh":
        from tui.core.connect.probe_openssh import OpensshEngine

        return OpensshEngine()
    raise InvalidArgument(f"There is no engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}.")


def transcript_name(host: str) -> str:
    """The guide's file name for a saved transcript: ``ssh.<host>.debug``."""
    safe = "".join(ch if ch.isalnum() or ch in ".-_:" else "_" for ch in host)
    return f"ssh.{safe}.debug"


async def run_probe(options: ProbeOptions, sink: Sink | None = None) -> ProbeResult:
    """Run one probe to the end, passing every event to ``sink``; returns the result."""
    return await engine_named(options.engine).run(options, sink)


async def probe(options: ProbeOptions) -> AsyncIterator[ProbeEvent | ProbeResult]:
    """Yield events as they happen, then the :class:`ProbeResult`; closing it cancels."""
    queue: asyncio.Queue[ProbeEvent] = asyncio.Queue()
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


def save_transcript(lines: Iterable[TranscriptLine], path: Path, level: int = 3) -> Path:
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

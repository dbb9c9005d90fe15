"""What an engine of the connection tester is: the one interface both engines implement.

An engine takes :class:`ProbeOptions`, sends every event (:data:`ProbeEvent`, frozen
dataclasses) to a sink as it happens, and returns the frozen
:class:`~tui.core.connect.result.ProbeResult`. Two implement it: ``asyncssh``
(:class:`tui.core.connect.engine_asyncssh.AsyncsshEngine`, sshdeck's own client) and ``openssh``
(:class:`tui.core.connect.probe_openssh.OpensshEngine`, the system ``ssh -vvv``); they are
selected by name in :func:`tui.core.connect.probe.engine_named`. This module imports neither, so
the engines share it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

from tui.core.connect.options import ConnectOptions
from tui.core.connect.trace import StageEvent, TranscriptLine

if TYPE_CHECKING:
    from tui.core.connect.result import ProbeResult

__all__ = ["ENGINE_NAMES", "Engine", "EngineName", "ProbeEvent", "ProbeOptions", "Sink"]

EngineName: TypeAlias = Literal["asyncssh", "openssh"]
ENGINE_NAMES: tuple[EngineName, ...] = ("asyncssh", "openssh")

#: what streams while a probe runs; the :class:`ProbeResult` comes last
ProbeEvent: TypeAlias = TranscriptLine | StageEvent
Sink: TypeAlias = Callable[[ProbeEvent], None]


@dataclass(frozen=True)
class ProbeOptions:
    connect: ConnectOptions
    command: str | None = None  # run after login (``sshdeck test host -- COMMAND``)
    engine: EngineName = "asyncssh"


class Engine(Protocol):
    """One way to log in and tell what happened."""

    name: EngineName

    async def run(self, options: ProbeOptions, sink: Sink | None) -> ProbeResult:
        """Log in as ``options`` say, streaming events to ``sink``; the result comes last."""
        ...

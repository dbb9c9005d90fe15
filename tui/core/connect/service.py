"""The connection probe as one service: both engines (asyncssh and the system ssh) behind one
interface, events as frozen dataclasses, a frozen result.

The app gets it from ``make_app(services=...)`` (``app.services.probe``) and the CLI builds one
from :meth:`Settings.from_environment`; both hand in :class:`ProbeOptions` and receive the
events and the :class:`ProbeResult`::

    service = ProbeService(settings)
    result = await service.run(service.options(connect, engine="openssh"), sink)
    result = await service.inspect(result, connect, InspectRequest(password=...))

The service puts its :class:`~tui.core.settings.Settings` into the connect options it is
handed, so the agent socket (``SSH_AUTH_SOCK``) comes from the one settings object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.connect.client import ConnectOptions
from tui.core.connect.engine import ENGINE_NAMES, Engine, EngineName, ProbeEvent, ProbeOptions, Sink
from tui.core.connect.result import ProbeResult
from tui.core.connect.trace import TranscriptLine
from tui.core.settings import Settings

if TYPE_CHECKING:  # the inspection is imported when asked for: not on every test's path
    from tui.core.connect.inspect_server import InspectRequest

__all__ = ["ENGINE_NAMES", "Engine", "ProbeEvent", "ProbeOptions", "ProbeResult", "ProbeService"]


@dataclass(frozen=True)
class ProbeService:
    settings: Settings

    def options(
        self,
        connect: ConnectOptions,
        *,
        command: str | None = None,
        engine: EngineName = "asyncssh",
    ) -> ProbeOptions:
        """Probe options for ``connect``, with this service's settings."""
        return ProbeOptions(connect=self._with_settings(connect), command=command, engine=engine)

    def engine(self, name: str) -> Engine:
        from tui.core.connect.probe import engine_named

        return engine_named(name)

    async def run(self, options: ProbeOptions, sink: Sink | None = None) -> ProbeResult:
        """One probe to the end, every event to ``sink``; the result comes last."""
        from tui.core.connect.probe import run_probe

        options = replace(options, connect=self._with_settings(options.connect))
        return await run_probe(options, sink)

    async def events(self, options: ProbeOptions) -> AsyncIterator[ProbeEvent | ProbeResult]:
        """The same probe as an async iterator: the events, then the result."""
        from tui.core.connect.probe import probe

        options = replace(options, connect=self._with_settings(options.connect))
        async for event in probe(options):
            yield event

    async def inspect(
        self,
        result: ProbeResult,
        connect: ConnectOptions,
        request: InspectRequest,
        sink: Sink | None = None,
    ) -> ProbeResult:
        """After a refusal of every key: look on the server with the other credential."""
        from tui.core.connect.inspect_server import inspect_result

        return await inspect_result(result, self._with_settings(connect), request, sink)

    def save_transcript(self, lines: Iterable[TranscriptLine], path: Path) -> Path:
        from tui.core.connect.probe import save_transcript

        return save_transcript(lines, path)

    def _with_settings(self, connect: ConnectOptions) -> ConnectOptions:
        if connect.settings is self.settings:
            return connect
        return replace(connect, settings=self.settings)

"""The stage timeline beside the transcript: a mark and the milliseconds of each login stage.

``·`` not reached, ``…`` running, ``✓`` passed, ``✗`` failed; authentication attempts (one per
method and key) are listed under their stage. The screen feeds it ``StageEvent``s.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.core.trace import STAGES, StageEvent

MARKS = {None: ("…", "yellow"), True: ("✓", "green"), False: ("✗", "bold red")}


class StageTimeline(Static):
    DEFAULT_CSS = """
    StageTimeline { width: 40; height: 1fr; border: round $primary-darken-2; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.state: dict[str, StageEvent] = {}
        self.attempts: list[StageEvent] = []
        self.masked = False
        self.border_title = "Stages"
        self.refresh_text()

    def reset(self) -> None:
        self.state, self.attempts = {}, []
        self.refresh_text()

    def record(self, event: StageEvent) -> None:
        if event.name.startswith("authentication: "):
            self.attempts.append(event)
        else:
            self.state[event.name] = event
        self.refresh_text()

    def stop_running(self) -> None:
        """Mark a running stage as stopped (the run was cancelled)."""
        for name, event in self.state.items():
            if event.ok is None:
                self.state[name] = StageEvent(name, False, event.ms, "stopped")
        self.refresh_text()

    def mask_timings(self) -> None:
        """Show ``-- ms`` instead of timings (deterministic screenshots and snapshots)."""
        self.masked = True
        self.refresh_text()

    def marks(self) -> dict[str, bool | None]:
        return {name: event.ok for name, event in self.state.items()}

    def _ms(self, event: StageEvent) -> str:
        return "-- ms" if self.masked else f"{event.ms} ms"

    def refresh_text(self) -> None:
        text = Text()
        for name in STAGES:
            event = self.state.get(name)
            if event is None:
                text.append("· ", style="dim")
                text.append(f"{name}\n", style="dim")
            else:
                mark, style = MARKS[event.ok]
                text.append(mark + " ", style=style)
                text.append(name.ljust(17))
                if event.ok is not None:
                    text.append(f" {self._ms(event)}", style="dim")
                text.append("\n")
            if name == "authentication":
                for attempt in self.attempts:
                    mark, style = MARKS[attempt.ok]
                    method, _, key = attempt.name.removeprefix("authentication: ").partition(" ")
                    label = f"{method} {key.rsplit('/', 1)[-1]}".strip()
                    label = label if len(label) <= 24 else label[:23] + "…"
                    text.append(f"  {mark} ", style=style)
                    text.append(f"{label} {self._ms(attempt)}\n", style="dim")
        self.update(text)

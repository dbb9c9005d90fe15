"""The stage timeline beside the transcript: a mark and the milliseconds of each login stage.

``·`` not reached, ``…`` running, ``✓`` passed, ``✗`` failed; authentication attempts (one per
method and key) are listed under their stage. The screen feeds it ``StageEvent``s. Narrower
than 26 columns (an 80-column terminal), the stage names are shortened so that the timings
still fit; key names come from files and agents, so they are shown escaped (``\\033``).
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.core.connect.trace import STAGES, StageEvent
from tui.core.text import visible

MARKS = {None: ("…", "yellow"), True: ("✓", "green"), False: ("✗", "bold red")}
SHORT = {
    "resolve": "resolve",
    "connect": "connect",
    "protocol version": "version",
    "key exchange": "kex",
    "host key check": "host key",
    "authentication": "auth",
    "session opened": "session",
}
#: below this content width the timeline uses the short names
WIDE = 26


class StageTimeline(Widget):
    DEFAULT_CSS = """
    StageTimeline { width: 40; height: 1fr; border: round $primary-darken-2; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.state: dict[str, StageEvent] = {}
        self.attempts: list[StageEvent] = []
        self.masked = False
        self.border_title = "Stages"

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

    def timings(self) -> dict[str, int]:
        """Milliseconds of each ended stage and attempt, as shown."""
        ended = [*self.state.values(), *self.attempts]
        return {event.name: event.ms for event in ended if event.ok is not None}

    def _ms(self, event: StageEvent) -> str:
        return "-- ms" if self.masked else f"{event.ms} ms"

    def refresh_text(self) -> None:
        self.refresh()

    def render(self) -> Text:
        return self.timeline(self.content_region.width or 36)

    def timeline(self, width: int) -> Text:
        """The text for a content ``width``: full stage names when they fit, short ones if not."""
        wide = width >= WIDE
        names = {name: (name if wide else SHORT[name]) for name in STAGES}
        pad = max(len(label) for label in names.values()) + 1
        text = Text(no_wrap=True, overflow="ellipsis")
        for name in STAGES:
            event = self.state.get(name)
            if event is None:
                text.append("· ", style="dim")
                text.append(f"{names[name]}\n", style="dim")
            else:
                mark, style = MARKS[event.ok]
                text.append(mark + " ", style=style)
                text.append(names[name].ljust(pad))
                if event.ok is not None:
                    text.append(self._ms(event), style="dim")
                text.append("\n")
            if name == "authentication":
                for attempt in self.attempts:
                    mark, style = MARKS[attempt.ok]
                    method, _, key = attempt.name.removeprefix("authentication: ").partition(" ")
                    # a file shows its name; an agent key its comment or "agent key SHA256:…"
                    name = key.rsplit("/", 1)[-1] if key.startswith(("/", "~")) else key
                    label = visible(name or method)
                    if wide:
                        label = f"{method} {label}".strip() if key else label
                    room = max(width - 5 - len(self._ms(attempt)), 4)
                    label = label if len(label) <= room else label[: room - 1] + "…"
                    text.append(f"  {mark} ", style=style)
                    text.append(f"{label} {self._ms(attempt)}\n", style="dim")
        text.rstrip()
        return text

"""A passphrase strength bar with zxcvbn's advice under it (display only; the screen scores)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.core.keys.strength import EMPTY, Strength

_SEGMENTS = 5  # one per zxcvbn score 0..4
_SEGMENT_WIDTH = 4
_STYLES = ("$error", "$error", "$warning", "$success", "$success")


class StrengthMeter(Static):
    """Shows a :class:`~tui.core.keys.strength.Strength`; never sees the passphrase itself."""

    DEFAULT_CSS = """
    StrengthMeter { height: auto; width: 1fr; }
    """

    def __init__(self, strength: Strength = EMPTY, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.strength = strength
        self.update(self._render_strength(strength))

    def show_strength(self, strength: Strength) -> None:
        self.strength = strength
        self.update(self._render_strength(strength))

    @staticmethod
    def _render_strength(strength: Strength) -> Content:
        filled = 0 if strength is EMPTY else strength.score + 1
        style = _STYLES[strength.score]
        bar = Content.assemble(
            ("━" * (_SEGMENT_WIDTH * filled), style),
            ("━" * (_SEGMENT_WIDTH * (_SEGMENTS - filled)), "$panel"),
        )
        parts: list[str | Content | tuple[str, str]] = [
            "Strength ",
            bar,
            " ",
            (strength.label, f"bold {style}" if filled else "$text-muted"),
        ]
        if strength.crack_time:
            about = "about " if strength.crack_time[:1].isdigit() else ""
            parts.append((f" · {about}{strength.crack_time} to guess offline", "$text-muted"))
        for line in strength.advice:
            parts.append(("\n  " + line, "$text-muted"))
        return Content.assemble(*parts)

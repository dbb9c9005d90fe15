"""The live transcript: a RichLog of ``ssh -vvv``-style lines, coloured by level, searchable.

Lines arrive with their level (0 always shown, 1-3 for -v/-vv/-vvv); all are kept, the shown
ones follow ``verbosity``, and changing it redraws. ``search(term)`` highlights every match and
scrolls to the next one after the last found, wrapping around.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import RichLog

STYLES = {0: "bold", 1: "", 2: "cyan", 3: "dim"}


def line_style(level: int, text: str) -> str:
    if level == 0 and ("@@@" in text or "WARNING" in text or "failed" in text):
        return "bold red"
    if text.startswith("Authenticated to") or text.startswith("Logged in"):
        return "bold green"
    return STYLES.get(level, "")


class Transcript(RichLog):
    DEFAULT_CSS = """
    Transcript { background: $surface; border: round $primary-darken-2; }
    """

    verbosity: reactive[int] = reactive(1)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(wrap=False, highlight=False, markup=False, auto_scroll=True, **kwargs)  # type: ignore[arg-type]
        self.entries: list[tuple[int, str]] = []
        self.term = ""
        self.found = -1

    def clear_lines(self) -> None:
        self.entries = []
        self.found = -1
        self.clear()

    def add_line(self, level: int, text: str) -> None:
        self.entries.append((level, text))
        if level <= self.verbosity:
            self.write(self._styled(level, text))

    def shown(self) -> list[str]:
        return [text for level, text in self.entries if level <= self.verbosity]

    def _styled(self, level: int, text: str) -> Text:
        rendered = Text(text, style=line_style(level, text))
        if self.term:
            rendered.highlight_words([self.term], style="black on yellow", case_sensitive=False)
        return rendered

    def watch_verbosity(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        self.clear()
        for level, text in self.entries:
            if level <= self.verbosity:
                self.write(self._styled(level, text))

    def search(self, term: str) -> int | None:
        """Highlight ``term`` and scroll to its next match; returns the shown line index."""
        self.term = term
        self.redraw()
        if not term:
            return None
        shown = self.shown()
        lowered = term.lower()
        order = list(range(self.found + 1, len(shown))) + list(range(0, self.found + 1))
        for index in order:
            if lowered in shown[index].lower():
                self.found = index
                self.auto_scroll = False
                self.scroll_to(y=index, animate=False)
                return index
        return None

    def follow(self) -> None:
        self.auto_scroll = True
        self.scroll_end(animate=False)

"""The live transcript: a RichLog of ``ssh -vvv``-style lines, coloured by level, searchable.

Lines arrive with their level (0 always shown, 1-3 for -v/-vv/-vvv); all are kept, the shown
ones follow ``verbosity``, and changing it redraws. Long lines wrap at the widget's width, and
the view follows the last line while a test runs (``follow()`` resumes after a search).
``search(term)`` highlights every match and scrolls to the next one after the last found,
wrapping around. Lines come from servers (banners, remote stderr) and files (key names), so
they are shown through :func:`tui.core.text.visible`: control characters appear as ``\\033``,
and the text is never read as markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import RichLog

from tui.core.text import visible

STYLES = {0: "bold", 1: "", 2: "cyan", 3: "dim"}


def line_style(level: int, text: str) -> str:
    if level == 0 and ("@@@" in text or "WARNING" in text or "failed" in text):
        return "bold red"
    if text.startswith("Authenticated to") or text.startswith("Logged in"):
        return "bold green"
    return STYLES.get(level, "")


class Transcript(RichLog):
    DEFAULT_CSS = """
    Transcript {
        background: $surface; border: round $primary-darken-2;
        /* a steady width: lines wrap at it, none hides under a scrollbar that came later */
        overflow-y: scroll; overflow-x: hidden;
    }
    """

    verbosity: reactive[int] = reactive(1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            wrap=True, highlight=False, markup=False, auto_scroll=True, min_width=1, **kwargs
        )
        self.entries: list[tuple[int, str]] = []
        self.term = ""
        self.found = -1
        #: the first rendered row of each shown line (wrapped lines take several rows)
        self.starts: list[int] = []
        self._width = 0

    def clear_lines(self) -> None:
        """Forget every line (a new run) and follow the tail again."""
        self.entries = []
        self.found = -1
        self.starts = []
        self.auto_scroll = True
        self.clear()

    def add_line(self, level: int, text: str) -> None:
        self.entries.append((level, text))
        if level <= self.verbosity:
            self.starts.append(len(self.lines))
            self.write(self._styled(level, text))

    def shown(self) -> list[str]:
        """The lines on view, as they are shown (control characters escaped)."""
        return [visible(text) for level, text in self.entries if level <= self.verbosity]

    def _styled(self, level: int, text: str) -> Text:
        shown = visible(text)
        rendered = Text(shown, style=line_style(level, shown))
        if self.term:
            rendered.highlight_words([self.term], style="black on yellow", case_sensitive=False)
        return rendered

    def watch_verbosity(self) -> None:
        self.redraw()

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        # wrapped lines depend on the width: lay them out again when it changes
        if self._width and event.size.width != self._width:
            self.redraw()
        elif self.auto_scroll:  # shorter (the outcome panel grew): keep the last line in view
            self.scroll_end(animate=False, immediate=False)
        self._width = event.size.width

    def redraw(self) -> None:
        self.clear()
        self.starts = []
        for level, text in self.entries:
            if level <= self.verbosity:
                self.starts.append(len(self.lines))
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
                row = self.starts[index] if index < len(self.starts) else index
                self.scroll_to(y=row, animate=False, immediate=True)
                return index
        return None

    def follow(self) -> None:
        self.auto_scroll = True
        self.scroll_end(animate=False)

"""The table of keys on the main screen: one row per key pair, marks for lock, agent, problems.

Column headers are words. Below ``WIDE_FROM`` cells of width (an 80-column terminal) the
Bits and SHA256 columns are left out (the detail pane shows both), so every other column,
Problems included, stays in view. The Problems column names the worst problem in a word or
two (``open 0644``, ``no .pub``, ``weak``), ``+N`` when there are more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from tui.core.keys.scan import KeyEntry, Problem
from tui.core.text import visible

COLUMNS = ("File", "Type", "Bits", "SHA256", "Comment", "Locked", "Agent", "Problems")
NARROW_COLUMNS = ("File", "Type", "Comment", "Locked", "Agent", "Problems")
WIDE_FROM = 100
LOCK_MARK = "✓"
AGENT_MARK = "✓"

#: A problem code in a word or two; a code not listed shows as its words.
PROBLEM_WORDS = {
    "weak-key": "weak",
    "missing-public-key": "no .pub",
    "unencrypted-private-key": "no passphrase",
    "public-private-mismatch": ".pub differs",
    "leftover-temporary-file": "leftover temp",
}
_MODE = re.compile(r"\(mode (0[0-7]{3})\)")


def matches(entry: KeyEntry, needle: str) -> bool:
    """The ``/`` filter: a case-insensitive substring of file, comment, type or fingerprint."""
    needle = needle.strip().lower()
    if not needle:
        return True
    public = entry.public
    haystack = (
        entry.name,
        public.comment,
        public.key_type,
        public.label,
        public.sha256,
        public.md5,
    )
    return any(needle in field.lower() for field in haystack)


def short_sha256(entry: KeyEntry) -> str:
    """The first 12 characters after ``SHA256:``: enough to tell keys apart at a glance."""
    return entry.public.sha256[7:19]


def problem_word(problem: Problem) -> str:
    """``open 0644``, ``folder 0777``, ``no .pub``, ``weak``..."""
    if problem.code in ("unprotected-private-key", "ssh-dir-permissions"):
        found = _MODE.search(problem.message)
        mode = f" {found.group(1)}" if found else ""
        return ("open" if problem.code == "unprotected-private-key" else "folder") + mode
    return PROBLEM_WORDS.get(problem.code, problem.code.replace("-", " "))


def problem_mark(entry: KeyEntry) -> Text:
    """The worst problem named, errors before warnings, and ``+N`` for the others."""
    if not entry.problems:
        return Text("")
    ordered = sorted(entry.problems, key=lambda p: p.severity != "error")
    worst = ordered[0]
    more = f" +{len(ordered) - 1}" if len(ordered) > 1 else ""
    style = "bold red" if worst.severity == "error" else "yellow"
    return Text(problem_word(worst) + more, style=style)


class KeyTable(DataTable[str | Text]):
    """Rows are keyed by file name (unique within a directory), so a rescan keeps the cursor."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: tuple[tuple[KeyEntry, ...], frozenset[str]] | None = None
        self.columns_shown: tuple[str, ...] = ()
        self._keep: str | None = None  # the selected file across a change of columns

    def on_mount(self) -> None:
        self._set_columns(self._wanted_columns())

    def _wanted_columns(self) -> tuple[str, ...]:
        width = self.size.width or self.app.size.width  # before the first layout: the app's
        return COLUMNS if width >= WIDE_FROM else NARROW_COLUMNS

    def on_resize(self) -> None:
        if self._wanted_columns() != self.columns_shown:
            shown = self._shown
            self._set_columns(self._wanted_columns())
            if shown is not None:
                self.show(*shown)

    def _set_columns(self, names: tuple[str, ...]) -> None:
        current = self.selected_name
        self.clear(columns=True)
        self.columns_shown = names
        self._shown = None
        for name in names:
            self.add_column(name, key=name)
        self._keep = current

    def show(self, entries: Iterable[KeyEntry], agent: frozenset[str] = frozenset()) -> None:
        """Replace the rows, keeping the cursor on the same file when it is still listed."""
        entries = tuple(entries)
        if self.is_mounted and self._wanted_columns() != self.columns_shown:
            self._set_columns(self._wanted_columns())  # resized before the first rows came
        if (entries, agent) == self._shown:
            return  # nothing changed (a rescan after a poll, say): keep the rows as they are
        self._shown = (entries, agent)
        current = self.selected_name or self._keep
        self._keep = None
        self.clear()
        # narrow: long names and comments are cut (whole in the details pane), so the Problems
        # column stays on screen at 80 columns
        cap = 22 if self.columns_shown == NARROW_COLUMNS else 48
        for entry in entries:
            public = entry.public
            # Text, not str: DataTable reads a str cell as markup; file names and comments are
            # untrusted ("[/]" would crash it, "\x1b]52;..." would reach the terminal)
            cells: dict[str, str | Text] = {
                "File": Text(_cap(visible(entry.name), cap)),
                "Type": Text(visible(public.label)),
                "Bits": str(public.bits),
                "SHA256": short_sha256(entry),
                "Comment": Text(_cap(visible(public.comment), cap)),
                "Locked": LOCK_MARK if entry.encrypted else "",
                "Agent": Text(AGENT_MARK, style="green") if public.sha256 in agent else "",
                "Problems": problem_mark(entry),
            }
            self.add_row(*(cells[name] for name in self.columns_shown), key=entry.name)
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    @property
    def selected_name(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return key.value


def _cap(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis (cell widths, so wide characters count
    double)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"

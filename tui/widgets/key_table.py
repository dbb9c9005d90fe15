"""The table of keys on the main screen: one row per key pair, marks for lock, agent, problems."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from tui.core.scan import KeyEntry

COLUMNS = ("File", "Type", "Bits", "SHA256", "Comment", "Locked", "Agent", "Problems")
LOCK_MARK = "✓"
AGENT_MARK = "✓"


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


def problem_mark(entry: KeyEntry) -> Text:
    if not entry.problems:
        return Text("")
    errors = sum(1 for p in entry.problems if p.severity == "error")
    if errors:
        return Text(f"✗ {len(entry.problems)}", style="bold red")
    return Text(f"! {len(entry.problems)}", style="yellow")


class KeyTable(DataTable[str | Text]):
    """Rows are keyed by file name (unique within a directory), so a rescan keeps the cursor."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: tuple[tuple[KeyEntry, ...], frozenset[str]] | None = None

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def show(self, entries: Iterable[KeyEntry], agent: frozenset[str] = frozenset()) -> None:
        """Replace the rows, keeping the cursor on the same file when it is still listed."""
        entries = tuple(entries)
        if (entries, agent) == self._shown:
            return  # nothing changed (a rescan after a poll, say): keep the rows as they are
        self._shown = (entries, agent)
        current = self.selected_name
        self.clear()
        for entry in entries:
            public = entry.public
            self.add_row(
                entry.name,
                public.label,
                str(public.bits),
                short_sha256(entry),
                public.comment,
                LOCK_MARK if entry.encrypted else "",
                Text(AGENT_MARK, style="green") if public.sha256 in agent else "",
                problem_mark(entry),
                key=entry.name,
            )
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

"""The help screen (``?``): every binding of the key list and of the app, as a table."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

OTHER_KEYS = [
    ("↑ ↓  j k", "Move in the key list"),
    ("ctrl+p", "Command palette: every action by name"),
    ("escape", "Close a dialog, go back, clear the filter"),
]


def bindings_table(bindings: list[Binding]) -> Table:
    # tight columns: at 80 columns the descriptions keep one line each (or wrap, never cut)
    table = Table(box=None, padding=(0, 1), pad_edge=False, show_header=True, header_style="bold")
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    table.add_column("What it does", style="dim")
    for binding in bindings:
        key = binding.key_display or binding.key
        table.add_row(key, binding.description, binding.tooltip)
    for key, text in OTHER_KEYS:
        table.add_row(key, "", text)
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96; max-width: 100%; height: auto; max-height: 100%; padding: 0 1;
        border: thick $accent; background: $surface;
        border-subtitle-align: right; border-subtitle-color: $text-muted;
    }
    HelpScreen .title { text-style: bold; }
    HelpScreen .hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        from tui.screens.keys import KeysScreen

        bindings = [b for b in KeysScreen.BINDINGS if isinstance(b, Binding)]
        with VerticalScroll() as box:
            # always on the frame, even when a short terminal scrolls the list
            box.border_subtitle = "escape closes · ↑ ↓ scroll"
            yield Static("sshdeck keys", classes="title")
            yield Static(bindings_table(bindings))
            yield Static(
                "Greyed-out keys in the footer do not apply to the selected key; pressing one says "
                "why. A narrow footer leaves some keys out: all of them are here, and all work. "
                "Press escape to close.",
                classes="hint",
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

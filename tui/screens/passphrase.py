"""Ask for a passphrase in a modal: the one place the app reads a secret from the keyboard."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from tui.core.text import visible
from tui.screens.modals import frame


class AskPassphrase(ModalScreen[str | None]):
    """Dismisses with the passphrase typed, or None when cancelled (``escape``).

    The title and detail name a key file (untrusted): shown as plain text, escapes visible.
    """

    DEFAULT_CSS = """
    AskPassphrase { align: center middle; }
    AskPassphrase > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        overflow-y: auto; border-subtitle-color: $text-muted; border: thick $accent; background: $surface;
    }
    AskPassphrase .detail { color: $text-muted; margin-bottom: 1; }
    AskPassphrase Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    AskPassphrase Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, detail: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail

    def compose(self) -> ComposeResult:
        with frame():
            yield Label(visible(self.title_text), markup=False)
            if self.detail:
                yield Label(visible(self.detail, multiline=True), classes="detail", markup=False)
            yield Input(password=True, placeholder="passphrase", id="passphrase")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("OK", variant="primary", id="ok")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        self.dismiss(self.query_one("#passphrase", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""Ask for a password (or a keyboard-interactive answer) in a modal, for the connection tester.

The server's prompt is untrusted text: it is shown escaped (``\\033``) and never as markup.
The answer goes back to the caller only; it is never shown, logged or kept.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.core.text import visible
from tui.screens.modals import frame


class AskPassword(ModalScreen[str | None]):
    """Dismisses with the password typed, or None when cancelled (``escape``)."""

    DEFAULT_CSS = """
    AskPassword { align: center middle; }
    AskPassword > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        overflow-y: auto; border-subtitle-color: $text-muted; border: thick $accent;
        background: $surface;
    }
    AskPassword .detail { color: $text-muted; margin-bottom: 1; }
    AskPassword Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    AskPassword Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompt: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with frame():
            yield Static(visible(self.title_text), markup=False, id="password-title")
            if self.prompt:
                yield Static(visible(self.prompt, multiline=True), classes="detail", markup=False)
            yield Input(
                password=True, placeholder="password (used once, never stored)", id="password"
            )
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("OK", variant="primary", id="ok")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        self.dismiss(self.query_one("#password", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

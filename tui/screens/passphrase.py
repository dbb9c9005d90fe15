"""Ask for a secret in a modal: the one place the app reads a passphrase or a password from the
keyboard (:class:`AskPassphrase` here, ``tui.screens.password.AskPassword`` for the tester)."""

from __future__ import annotations

from collections.abc import Iterator

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label

from tui.core.text import visible
from tui.screens.modals import frame


class AskSecret(ModalScreen[str | None]):
    """Dismisses with the secret typed, or None when cancelled (``escape``).

    The title and detail are untrusted (a key file's name, a server's prompt): shown as plain
    text, escapes visible. The answer goes back to the caller only, never shown or kept.
    """

    #: the input's id and placeholder, set by each kind of secret
    INPUT_ID = "secret"
    PLACEHOLDER = ""

    DEFAULT_CSS = """
    AskSecret { align: center middle; }
    AskSecret > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        overflow-y: auto; border-subtitle-color: $text-muted; border: thick $accent; background: $surface;
    }
    AskSecret .detail { color: $text-muted; margin-bottom: 1; }
    AskSecret Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    AskSecret Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, detail: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail

    def heading(self) -> Iterator[Widget]:
        yield Label(visible(self.title_text), markup=False)
        if self.detail:
            yield Label(visible(self.detail, multiline=True), classes="detail", markup=False)

    def compose(self) -> ComposeResult:
        with frame():
            yield from self.heading()
            yield Input(password=True, placeholder=self.PLACEHOLDER, id=self.INPUT_ID)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("OK", variant="primary", id="ok")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        self.dismiss(self.query_one(f"#{self.INPUT_ID}", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AskPassphrase(AskSecret):
    """A key's passphrase; the title and detail name the key file."""

    INPUT_ID = "passphrase"
    PLACEHOLDER = "passphrase"

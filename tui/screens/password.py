"""Ask for a password (or a keyboard-interactive answer) in a modal, for the connection tester.

The server's prompt is untrusted text: it is shown escaped (``\\033``) and never as markup.
The answer goes back to the caller only; it is never shown, logged or kept.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.widget import Widget
from textual.widgets import Static

from tui.core.text import visible
from tui.screens.passphrase import AskSecret


class AskPassword(AskSecret):
    """Dismisses with the password typed, or None when cancelled (``escape``)."""

    INPUT_ID = "password"
    PLACEHOLDER = "password (used once, never stored)"

    def heading(self) -> Iterator[Widget]:
        yield Static(visible(self.title_text), markup=False, id="password-title")
        if self.detail:  # the server's prompt
            yield Static(visible(self.detail, multiline=True), classes="detail", markup=False)

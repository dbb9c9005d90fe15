"""SshDeckApp: the main screen (the key list), the help screen and the command palette.

Thin by design: the key list screen owns the state and the actions; the app only wires
screens together, so that tests, the screenshot runner and ``sshdeck`` build the same app
through ``make_app``.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from tui.commands import KeyCommands
from tui.core.scan import default_directory
from tui.screens.keys import KeysScreen


class SshDeckApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "sshdeck"
    COMMANDS = App.COMMANDS | {KeyCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__()
        self.directory = Path(directory).expanduser() if directory else default_directory()
        self.sub_title = str(self.directory)

    def get_default_screen(self) -> Screen[None]:
        return KeysScreen(self.directory)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(directory: Path | None = None) -> SshDeckApp:
    """The one way to build the app (CLI, tests, screenshots, benchmarks)."""
    return SshDeckApp(directory)

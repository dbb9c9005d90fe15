"""Upload pane (placeholder until its issue lands)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class UploadScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, key_path: Path | None = None, target: str = "stratos") -> None:
        super().__init__()
        self.key_path = key_path
        self.target = target

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Upload pane: coming soon.")
        yield Footer()

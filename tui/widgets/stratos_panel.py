"""Stratos for Power target of the upload pane (stub; its owner fills it in)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class StratosPanel(Vertical):
    def __init__(self, key_path: Path | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.key_path = key_path

    def compose(self) -> ComposeResult:
        yield Static("Stratos for Power: coming soon.")

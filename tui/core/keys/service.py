"""The key flows as one service: generation (RSA in a child process, cancellable) and edits
(passphrase, comment, delete/restore, permissions), with a small typed API and frozen dataclass
results. Screens call it from workers; the CLI calls the same functions."""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.settings import Settings

__all__ = ["KeyService"]


@dataclass(frozen=True)
class KeyService:
    settings: Settings

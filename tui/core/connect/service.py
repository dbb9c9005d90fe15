"""The connection probe as one service: both engines (asyncssh and the system ssh) behind one
interface, events as frozen dataclasses, a frozen result."""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.settings import Settings

__all__ = ["ProbeService"]


@dataclass(frozen=True)
class ProbeService:
    settings: Settings

"""Messages that cross screens, named in the past tense (attributes down, messages up)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message


@dataclass
class KeyGenerated(Message):
    """The wizard wrote a new key pair; the key list rescans and selects it."""

    path: Path
    public_path: Path


@dataclass
class KeysChanged(Message):
    """Files in the key directory changed (passphrase, comment, delete, restore, fix)."""

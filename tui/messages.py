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


@dataclass
class TestRequested(Message):
    """Open the connection tester on ``target`` (``[user@]host[:port]``) with ``key_path``
    offered alone (IdentitiesOnly) when given. Posted by any screen or widget; the app opens it."""

    __test__ = False  # not a pytest test class
    target: str
    key_path: Path | None = None


@dataclass
class InstallRequested(Message):
    """Install ``key_path`` into ``target``'s authorized_keys through the upload screen's Hosts
    flow (``target`` pre-filled, nothing runs until the user confirms)."""

    target: str
    key_path: Path | None = None

"""Screenshot scenes of the key list (owner: issue 4, app).

The keys are the fixed throwaway keys of ``tests/data/app_keys`` so fingerprints and randomart
are the same on every run; ``keys-list`` selects the encrypted RSA key and loads nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts.scenes import Scene
from tests.ui.app_keys import install_app_keys, loaded, select


def _prepare(home: Path) -> None:
    install_app_keys(home / ".ssh")


async def _drive_list(pilot: Any) -> None:
    await select(pilot, "id_rsa")


def _prepare_open_key(home: Path) -> None:
    install_app_keys(home / ".ssh")
    (home / ".ssh" / "id_ed25519").chmod(0o644)  # a problem for the Problems column to name


async def _drive_narrow(pilot: Any) -> None:
    await select(pilot, "id_ed25519")


async def _drive_help(pilot: Any) -> None:
    await loaded(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def _drive_empty(pilot: Any) -> None:
    await loaded(pilot)


SCENES = [
    Scene(
        "keys-list",
        "The key list with the selected key's details and randomart",
        _drive_list,
        _prepare,
        (120, 36),
    ),
    Scene(
        "keys-list-80x24",
        "The key list in an 80×24 terminal: problems named, ? Help and q Quit in the footer",
        _drive_narrow,
        _prepare_open_key,
        (80, 24),
    ),
    Scene("keys-help", "Every key binding (press ?)", _drive_help, _prepare, (120, 40)),
    Scene("keys-empty", "First start: no ~/.ssh yet", _drive_empty, None, (100, 24)),
]

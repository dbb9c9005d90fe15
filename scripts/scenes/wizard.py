"""Screenshot scenes of the key generation wizard (owner: issue 4, wizard).

``wizard-passphrase`` types a passphrase twice so the strength meter and the match line show.
``wizard-result`` goes through every step; generation is replaced by the fixed key in
``tests/data/wizard_ed25519`` (with the comment typed) so the fingerprint and randomart are
the same on every run. Everything else (writing the files, the result screen) is real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.scenes import Scene
from tui.core.keys import generate

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
FIXED_KEY = DATA / "wizard_ed25519"
COMMENT = "me@laptop"
PASSPHRASE = "copper kettle winter 9"  # a throwaway, shown only as dots


def fixed_key(
    key_type: str = "ed25519", bits: int | None = None, comment: str = ""
) -> generate.NewKey:
    """Stands in for ``generate.generate_private_key``: always the same key, with ``comment``."""
    from tui.core.keys.openssh_format import PrivateEntry
    from tui.core.keys.private import open_private_key_file

    opened = open_private_key_file(FIXED_KEY, None)
    entry = PrivateEntry(opened.entry.key_type, opened.entry.fields, comment)
    return generate.NewKey(opened.public.blob, entry)


def steady_cursors(pilot: Any) -> None:
    """Stop the text cursors blinking, so a screenshot never catches one half-way."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


def _prepare_empty(home: Path) -> None:
    (home / ".ssh").mkdir(mode=0o700, parents=True, exist_ok=True)


def _prepare_fixed_key(home: Path) -> Callable[[], None]:
    _prepare_empty(home)
    real = generate.generate_private_key
    generate.generate_private_key = fixed_key  # type: ignore[assignment]

    def restore() -> None:
        generate.generate_private_key = real

    return restore


async def _to_passphrase(pilot: Any) -> None:
    await pilot.press("n")
    await pilot.pause()
    steady_cursors(pilot)
    await pilot.press("enter", "enter")  # Ed25519, default file name
    await pilot.press("end", "ctrl+u", *COMMENT, "enter")
    await pilot.press(*PASSPHRASE, "enter", *PASSPHRASE)


async def _drive_passphrase(pilot: Any) -> None:
    await _to_passphrase(pilot)
    await pilot.pause()


async def _drive_result(pilot: Any) -> None:
    await _to_passphrase(pilot)
    await pilot.press("enter")
    screen = pilot.app.screen
    if screen.job is not None:
        await asyncio.to_thread(screen.job.finished.wait, 60)
    for _ in range(200):
        if screen.step == 5:
            break
        await pilot.pause(0.05)
    await pilot.pause()


SCENES = [
    Scene(
        "wizard-passphrase",
        "New key wizard: passphrase with strength meter",
        _drive_passphrase,
        _prepare_empty,
    ),
    Scene(
        "wizard-result",
        "New key wizard: the result, with randomart as ssh-keygen draws it",
        _drive_result,
        _prepare_fixed_key,
    ),
]

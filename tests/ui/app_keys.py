"""Fixed throwaway keys (tests/data/app_keys) and Pilot helpers shared by the app's tests.

Fixed key material keeps SVG snapshots and screenshots deterministic.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "app_keys"
RSA_PASSPHRASE = "correct horse battery"
ALL = ("deploy_ecdsa", "github.pub", "id_ed25519", "id_ed25519-cert.pub", "id_rsa")


def install_app_keys(ssh_dir: Path, names: tuple[str, ...] = ALL) -> Path:
    """Copy the named keys (with their .pub) into ssh_dir: private keys 0600, public 0644."""
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in names:
        for file in (name, name + ".pub"):
            source = DATA / file
            if file.endswith(".pub.pub") or not source.is_file():
                continue
            target = ssh_dir / file
            shutil.copyfile(source, target)
            target.chmod(0o644 if file.endswith(".pub") else 0o600)
    return ssh_dir


async def wait_for(pilot: Any, condition: Callable[[], object], timeout: float = 20) -> None:
    """Let the app run until ``condition()`` holds (workers, modals, rescans)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the app did not reach the expected state in time")
        await pilot.pause(0.05)


async def type_text(pilot: Any, text: str) -> None:
    """Type like a person: one key press per character."""
    keys = ["space" if ch == " " else ch for ch in text]
    await pilot.press(*keys)


async def loaded(pilot: Any) -> Any:
    """The key list screen once its first scan is shown."""
    from tui.screens.keys import KeysScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, KeysScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.result is not None)
    await pilot.pause()
    return screen


async def select(pilot: Any, name: str) -> Any:
    """Move the cursor with j/k until ``name`` is selected."""
    screen = await loaded(pilot)
    table = screen.query_one("KeyTable")
    target = table.get_row_index(name)
    while table.cursor_row != target:
        await pilot.press("j" if table.cursor_row < target else "k")
    await wait_for(pilot, lambda: screen.selected is not None and screen.selected.name == name)
    return screen


def rendered_text(widget: Any, width: int = 80) -> str:
    """The plain text a Static shows (Rich renderables rendered without colour)."""
    import io

    from rich.console import Console

    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def screen_lines(app: Any) -> list[str]:
    """The screen as plain text lines, read back from ``app.export_screenshot()`` (the SVG a
    snapshot test stores): what a person sees, cell for cell, without colours."""
    import html
    import re

    svg = app.export_screenshot()
    width, height = app.size
    lines = [[" "] * width for _ in range(height)]
    pattern = (
        r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
        r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>'
    )
    spans = re.findall(pattern, svg)
    # the narrowest cell width: every span's length divided by its characters
    char_width = min(
        float(length) / len(html.unescape(text)) for _, length, _, text in spans if text.strip()
    )
    for x, _, row, text in spans:
        column = round(float(x) / char_width)
        for offset, ch in enumerate(html.unescape(text).replace("\xa0", " ")):
            if int(row) < height and column + offset < width:
                lines[int(row)][column + offset] = ch
    return ["".join(line).rstrip() for line in lines]

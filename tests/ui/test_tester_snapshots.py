"""SVG snapshots of the tester screen: the form, and a finished run (timings masked), each at
120x36 and at 80x24 (where the form takes two rows, the timeline shortens its names and the
transcript keeps 60 columns).

The keys come from tests/data/tester, copied to a fixed folder so paths on screen never change;
the run goes to port 1 of 127.0.0.1 (closed everywhere), so no port or fingerprint varies. The
theme is fixed and HOME is a temporary folder (the autouse fixture).
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.app_keys import wait_for
from tui.screens import tester
from tui.widgets.stages import StageTimeline

DATA = Path(__file__).resolve().parent.parent / "data" / "tester"
ROOT = Path("/tmp/sshdeck-tester-snapshots")
SIZE = (120, 36)
SMALL = (80, 24)


class _Host(App[None]):
    def __init__(self, key: Path, target: str) -> None:
        super().__init__()
        self.key, self.target = key, target

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(tester.TesterScreen(key_path=self.key, target=self.target))


@pytest.fixture
def fixed_key() -> Iterator[Path]:
    ROOT.mkdir(exist_ok=True)
    with open(ROOT.parent / "sshdeck-tester-snapshots.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        keys = ROOT / "keys"
        shutil.rmtree(keys, ignore_errors=True)
        keys.mkdir(mode=0o700)
        for name in ("id_ed25519", "id_ed25519.pub"):
            shutil.copyfile(DATA / name, keys / name)
        (keys / "id_ed25519").chmod(0o600)
        try:
            yield keys / "id_ed25519"
        finally:
            shutil.rmtree(keys, ignore_errors=True)


async def _form(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, tester.TesterScreen))
    # the host field has the focus: a steady cursor, not one caught mid-blink
    pilot.app.screen.query_one("#target", Input).cursor_blink = False
    await pilot.pause()


def test_snapshot_form(snap_compare: Any, fixed_key: Path) -> None:
    host = _Host(fixed_key, "root@203.0.113.7:2222")
    assert snap_compare(host, terminal_size=SIZE, run_before=_form)


async def _refused(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, tester.TesterScreen))
    screen: Any = pilot.app.screen
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.result is not None and not screen.running)
    screen.query_one(StageTimeline).mask_timings()
    await pilot.pause()


def test_snapshot_connection_refused(snap_compare: Any, fixed_key: Path) -> None:
    host = _Host(fixed_key, "admin@127.0.0.1:1")
    assert snap_compare(host, terminal_size=SIZE, run_before=_refused)


def test_snapshot_form_80x24(snap_compare: Any, fixed_key: Path) -> None:
    host = _Host(fixed_key, "root@203.0.113.7:65022")
    assert snap_compare(host, terminal_size=SMALL, run_before=_form)


def test_snapshot_connection_refused_80x24(snap_compare: Any, fixed_key: Path) -> None:
    host = _Host(fixed_key, "admin@127.0.0.1:1")
    assert snap_compare(host, terminal_size=SMALL, run_before=_refused)

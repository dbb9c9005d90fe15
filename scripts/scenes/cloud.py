"""Screenshot scene of the upload pane's Stratos for Power tab (owner: issue 6, cloud).

``prepare`` starts the local emulator of IBM's APIs (tests/cloud_emulator.py) in a thread with
three demo workspaces, one of which already holds the demo key, and points the ``IBMCLOUD_*``
variables at it; nothing leaves 127.0.0.1. The scene opens the upload pane on the fixed RSA
demo key, picks the workspace and fills the description, so the mark on the matching key, the
form and the equivalent ``ibmcloud`` commands are all visible.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.scenes import Scene

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
DEMO_API_KEY = "demo-api-key-not-secret"
_state: dict[str, Any] = {}


def prepare_stratos(home: Path) -> Callable[[], None]:
    from tests.cloud_emulator import demo

    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(DATA / "stratos_rsa.pub", ssh / "id_rsa.pub")
    emulator = demo(0, DEMO_API_KEY)
    dallas = emulator.workspaces[0]
    emulator.add_key(dallas, "old-laptop", (DATA / "stratos_ed25519.pub").read_text().strip())
    emulator.add_key(dallas, "laptop", (DATA / "stratos_rsa.pub").read_text().strip())
    _state["crn"] = dallas.crn
    variables = {**emulator.env(), "IBMCLOUD_API_KEY": DEMO_API_KEY}
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)

    def cleanup() -> None:
        emulator.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return cleanup


async def drive_stratos(pilot: Any) -> None:
    from textual.widgets import Input, Select

    from tui.screens.upload.screen import UploadScreen
    from tui.screens.upload.stratos import StratosPanel

    key = Path.home() / ".ssh" / "id_rsa.pub"
    await pilot.app.push_screen(UploadScreen(key_path=key, target="stratos"))
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    panel = pilot.app.screen.query_one(StratosPanel)
    panel.query_one("#stratos-workspace", Select).value = _state["crn"]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    panel.query_one("#stratos-description", Input).value = "work laptop"
    panel.query_one("#stratos-keys").focus()
    await pilot.pause()


SCENES = [
    Scene(
        name="upload-stratos",
        title="Register a key with Stratos for Power: workspaces by zone, the key already "
        "there marked, and the equivalent ibmcloud commands",
        drive=drive_stratos,
        prepare=prepare_stratos,
    )
]

"""Screenshot scenes of the connection tester (owner: issue 5).

``tester-auth-failed``: a real run against a local sshd started in ``prepare`` with a fixed host
key (tests/data/tester) on port 2322 when free, logging in as root, whom that sshd refuses: the
transcript, the stage timeline and the diagnosis with its "Upload this key" button. The client
key is fixed too, and the stage timings are masked, so the picture is the same on every run.
``tester-unknown-host``: the same server without a known_hosts entry, showing the host key's
fingerprint and randomart and the "Trust this host key" button.
``tester-80x24``: the refused key again in an 80x24 terminal (two-row form, short stage names,
a 60-column transcript that wraps).
The form has two rows: host, user, port; then the key, "only this key", the verbosity and the
engine (asyncssh or OpenSSH).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.scenes import Scene

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "tester"
PORT = 2322
_server: dict[str, Any] = {}


def _prepare(home: Path, trusted: bool) -> Callable[[], None]:
    from tests.fixtures.sshd import _start_sshd

    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("id_ed25519", "id_ed25519.pub"):
        shutil.copyfile(DATA / name, ssh / name)
    (ssh / "id_ed25519").chmod(0o600)
    base = Path(tempfile.mkdtemp(prefix="sshdeck-scene-sshd-"))
    server = _start_sshd(
        base, host_key=DATA / "ssh_host_ed25519_key", port=PORT, password_auth=False
    )
    _server["port"] = server.port
    if trusted:
        (ssh / "known_hosts").write_text(server.known_hosts_line() + "\n")

    def cleanup() -> None:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    return cleanup


async def _drive(pilot: Any) -> None:
    from tests.ui.app_keys import wait_for
    from tui.screens.tester import TesterScreen
    from tui.widgets.stages import StageTimeline

    home = Path.home()
    screen = TesterScreen(home / ".ssh" / "id_ed25519", f"root@127.0.0.1:{_server['port']}")
    await pilot.app.push_screen(screen)
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.result is not None and not screen.running)
    screen.query_one(StageTimeline).mask_timings()
    screen.query_one("#transcript").scroll_end(animate=False)
    await pilot.pause()


SCENES = [
    Scene(
        "tester-auth-failed",
        "Connection tester: the key is refused, with the diagnosis and the next step",
        _drive,
        lambda home: _prepare(home, trusted=True),
        (120, 40),
    ),
    Scene(
        "tester-unknown-host",
        "Connection tester: an unknown host key, shown with its randomart before trusting it",
        _drive,
        lambda home: _prepare(home, trusted=False),
        (120, 40),
    ),
    Scene(
        "tester-80x24",
        "Connection tester in an 80x24 terminal: the same refusal, the transcript wrapped",
        _drive,
        lambda home: _prepare(home, trusted=True),
        (80, 24),
    ),
]

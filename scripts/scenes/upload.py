"""Screenshot scenes of the upload pane's Hosts tab (owner: issue 6, copy-id).

``upload-hosts`` is a real dry run: ``prepare`` starts an OpenSSH sshd on 127.0.0.1:2222 with a
demo account (password login) and the fixed host key of tests/data, and trusts that key; the
scene installs the fixed demo key on that account and on a closed port, with dry run on, so the
rows show both a "would install" and a clear failure. Needs root (sshd, useradd), like the
tests.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.scenes import Scene

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
DEMO_USER = "sshdeck-demo"
DEMO_PASSWORD = "demo-password-not-secret"
DEMO_PORT = 2222
CLOSED_PORT = 1
HOST_KEY = DATA / "tester" / "ssh_host_ed25519_key"  # fixed: the same host key on every run
_server: dict[str, int] = {"port": DEMO_PORT}


def _start_sshd(base: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The demo sshd, on DEMO_PORT when that is free (a free port otherwise, said on stderr).

    It serves the fixed host key of tests/data, and the port is checked free before and owned
    by this process after: an earlier run's sshd left on the port (or anyone else's) used to
    answer instead, with another host key, and the scene then showed "host key CHANGED".
    """
    from tests.fixtures.sshd import _start_sshd as start_test_sshd

    server = start_test_sshd(
        base,
        host_key=HOST_KEY,
        port=DEMO_PORT,
        extra_config=f"AllowUsers {DEMO_USER}\n",
    )
    assert server.process is not None
    if server.port != DEMO_PORT:
        print(
            f"upload-hosts: port {DEMO_PORT} is taken; the demo sshd listens on {server.port} "
            "and the screenshot will show that port.",
            file=sys.stderr,
        )
    return server.process, server.port


def prepare_hosts(home: Path) -> Callable[[], None]:
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("hosts_ed25519", "hosts_ed25519.pub"):
        shutil.copyfile(DATA / name, ssh / name.replace("hosts_", "id_"))
    (ssh / "id_ed25519").chmod(0o600)
    (ssh / "config").write_text("Host web-1\n  HostName 192.0.2.21\n  User deploy\n")
    subprocess.run(["userdel", "-r", DEMO_USER], capture_output=True)  # a leftover of a crash
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", DEMO_USER], check=True, capture_output=True)
    subprocess.run(["chpasswd"], input=f"{DEMO_USER}:{DEMO_PASSWORD}\n", text=True, check=True)
    base = Path(tempfile.mkdtemp(prefix="sshdeck-scene-"))
    process, port = _start_sshd(base)
    _server["port"] = port
    kind, blob = HOST_KEY.with_name(HOST_KEY.name + ".pub").read_text().split()[:2]
    (ssh / "known_hosts").write_text(f"[127.0.0.1]:{port} {kind} {blob}\n")

    def cleanup() -> None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        subprocess.run(["userdel", "-r", DEMO_USER], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)

    return cleanup


async def drive_hosts(pilot: Any) -> None:
    from textual.widgets import Checkbox, Input, RadioButton

    from tui.screens.upload.hosts import HostsPanel
    from tui.screens.upload.screen import UploadScreen

    key = Path.home() / ".ssh" / "id_ed25519.pub"
    await pilot.app.push_screen(UploadScreen(key_path=key, target="hosts"))
    await pilot.pause()
    panel = pilot.app.screen.query_one(HostsPanel)
    targets = f"{DEMO_USER}@127.0.0.1:{_server['port']} deploy@127.0.0.1:{CLOSED_PORT}"
    panel.query_one("#hosts-targets", Input).value = targets
    panel.query_one("#login-password", RadioButton).value = True
    await pilot.pause()
    panel.query_one("#hosts-password", Input).value = DEMO_PASSWORD
    panel.query_one("#hosts-dry-run", Checkbox).value = True
    await pilot.click("#hosts-install")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    panel.query_one("#hosts-table").focus()
    await pilot.pause()


SCENES = [
    Scene(
        name="upload-hosts",
        title="Install a key on hosts (ssh-copy-id): a dry run with a progress row per host",
        drive=drive_hosts,
        prepare=prepare_hosts,
    )
]

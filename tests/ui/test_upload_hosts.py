"""The Hosts tab of the upload pane, driven with Pilot against a real sshd on 127.0.0.1."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

from textual import on
from textual.app import App
from textual.widgets import Button, Checkbox, DataTable, Input, RadioButton, TabbedContent

from tests.fixtures.hosts import CopyHost
from tui.core.keys.public import read_public_key_file
from tui.messages import TestRequested
from tui.screens import tester
from tui.screens.upload.hosts import HostsPanel
from tui.screens.upload.screen import UploadScreen

DATA = Path(__file__).resolve().parent.parent / "data"


class UploadApp(App[None]):
    """Just the upload pane, on the Hosts tab, for the key given."""

    TITLE = "sshdeck"

    def __init__(self, key_path: Path | None, target: str = "hosts", hosts: str = "") -> None:
        super().__init__()
        self.key_path = key_path
        self.target = target
        self.hosts = hosts

    def on_mount(self) -> None:
        self.push_screen(UploadScreen(self.key_path, target=self.target, hosts=self.hosts))

    @on(TestRequested)
    def _test_requested(self, message: TestRequested) -> None:
        """As the real app does: the panel asks, the app opens the tester."""
        self.push_screen(tester.TesterScreen(key_path=message.key_path, target=message.target))


def _install_key(home: Path) -> Path:
    """The fixed test key in ~/.ssh, so that what the screen shows is the same on every run."""
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    for name in ("hosts_ed25519", "hosts_ed25519.pub"):
        shutil.copyfile(DATA / name, ssh / name.replace("hosts_", "id_"))
    (ssh / "id_ed25519").chmod(0o600)
    return ssh / "id_ed25519.pub"


def _trust(host: CopyHost) -> None:
    known = Path.home() / ".ssh" / "known_hosts"
    known.write_text(host.server.known_hosts_line() + "\n")


async def _fill(pilot, panel: HostsPanel, targets: str, password: str | None) -> None:
    panel.query_one("#hosts-targets", Input).value = targets
    if password is not None:
        panel.query_one("#login-password", RadioButton).value = True
        await pilot.pause()
        panel.query_one("#hosts-password", Input).value = password


async def _submit(pilot, panel: HostsPanel) -> None:
    """Enter in the targets input starts the run (like the Install button)."""
    panel.query_one("#hosts-targets", Input).focus()
    await pilot.press("enter")
    await pilot.pause()


async def _run(pilot, panel: HostsPanel) -> None:
    await _submit(pilot, panel)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _rows(panel: HostsPanel) -> list[list[str]]:
    table = panel.query_one("#hosts-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_dry_run_then_install_by_password_then_test_the_connection(
    isolated_home: Path, copy_host: CopyHost, copy_key: Path
) -> None:
    public = _install_key(isolated_home)
    _trust(copy_host)
    app = UploadApp(public, hosts=copy_host.target)  # as the tester's "Upload this key" does
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#upload-tabs", TabbedContent).active == "upload-hosts"
        panel = app.screen.query_one(HostsPanel)
        assert panel.query_one("#hosts-targets", Input).value == copy_host.target
        await _fill(pilot, panel, copy_host.target, copy_host.user.password)
        panel.query_one("#hosts-dry-run", Checkbox).value = True
        await _run(pilot, panel)
        assert _rows(panel)[0][:2] == [copy_host.target, "○ would install"], _rows(panel)
        assert "create ~/.ssh (0700)" in _rows(panel)[0][2]
        assert not copy_host.ssh_dir.exists()

        panel.query_one("#hosts-dry-run", Checkbox).value = False
        await _run(pilot, panel)
        assert _rows(panel)[0][:2] == [copy_host.target, "✓ installed"]
        assert "login with the new key works" in _rows(panel)[0][2]
        key = read_public_key_file(public)
        assert copy_host.authorized_keys.read_text() == key.line() + "\n"
        assert copy_host.user.password not in app.export_screenshot()

        assert not panel.query_one("#hosts-test", Button).disabled
        await pilot.click("#hosts-test")
        await pilot.pause()
        assert isinstance(app.screen, tester.TesterScreen)
        assert app.screen.target == copy_host.target
        assert app.screen.key_path == public.with_suffix("")


async def test_progress_rows_for_many_hosts_one_failing(
    isolated_home: Path, copy_host: CopyHost
) -> None:
    public = _install_key(isolated_home)
    _trust(copy_host)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = int(sock.getsockname()[1])
    app = UploadApp(public)
    stages: list[str] = []

    def hook(message: object) -> None:
        if isinstance(message, HostsPanel.Progressed):
            stages.append(message.event.stage)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        panel = app.screen.query_one(HostsPanel)
        await _fill(pilot, panel, f"{copy_host.target}, ghost@127.0.0.1:{dead}", "x")
        panel.query_one("#hosts-password", Input).value = copy_host.user.password
        await _run(pilot, panel)
        rows = _rows(panel)
        assert [row[1] for row in rows] == ["✓ installed", "✗ failed"]
        assert "refused" in rows[1][2]
        summary = str(panel.query_one("#hosts-summary").render())
        assert "1 installed" in summary and "1 failed" in summary
        assert {"waiting", "connecting", "installing", "done", "failed"} <= set(stages)


async def test_form_mistakes_are_one_sentence_and_start_nothing(isolated_home: Path) -> None:
    public = _install_key(isolated_home)
    app = UploadApp(public)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.screen.query_one(HostsPanel)
        await _fill(pilot, panel, "root@host:99999", None)
        await pilot.click("#hosts-install")
        await pilot.pause()
        assert "port" in str(panel.query_one("#hosts-error").render())
        assert not panel.running and _rows(panel) == []
        await _fill(pilot, panel, "root@192.0.2.1", "")
        await _submit(pilot, panel)
        assert "password" in str(panel.query_one("#hosts-error").render())


async def test_escape_cancels_then_goes_back(isolated_home: Path, silent_listener: int) -> None:
    public = _install_key(isolated_home)
    app = UploadApp(public)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.screen.query_one(HostsPanel)
        await _fill(pilot, panel, f"root@127.0.0.1:{silent_listener}", None)
        await pilot.click("#hosts-install")
        for _ in range(50):
            await asyncio.sleep(0.02)
            if _rows(panel) and _rows(panel)[0][1] != "· waiting":
                break
        assert panel.running and panel.query_one("#hosts-install", Button).disabled
        await pilot.press("escape")
        await pilot.pause()
        assert not panel.running and not panel.query_one("#hosts-install", Button).disabled
        assert _rows(panel)[0][1] == "- cancelled"
        assert isinstance(app.screen, UploadScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, UploadScreen)


def test_hosts_form_snapshot(snap_compare, isolated_home: Path) -> None:
    public = _install_key(isolated_home)
    (isolated_home / ".ssh" / "config").write_text("Host web-1\n  HostName 192.0.2.21\n")

    async def fill(pilot) -> None:
        panel = pilot.app.screen.query_one(HostsPanel)
        panel.query_one("#hosts-targets", Input).value = "root@192.0.2.10 admin@[2001:db8::5]:2222"
        panel.query_one("#hosts-dry-run", Checkbox).value = True
        await pilot.pause()

    assert snap_compare(UploadApp(public), terminal_size=(120, 40), run_before=fill)


async def test_targets_complete_from_ssh_config(isolated_home: Path) -> None:
    public = _install_key(isolated_home)
    (isolated_home / ".ssh" / "config").write_text("Host web-1 db\nHost *.lab\n")
    app = UploadApp(public)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.screen.query_one(HostsPanel)
        targets = panel.query_one("#hosts-targets", Input)
        targets.focus()
        await pilot.press(*"db root@we")
        await pilot.pause()
        await pilot.press("right")
        assert targets.value == "db root@web-1"
        assert "web-1, db" in str(panel.query_one("#hosts-config-hint").render())


async def test_target_picks_the_tab_and_keys_switch_it(isolated_home: Path) -> None:
    public = _install_key(isolated_home)
    app = UploadApp(public, target="stratos")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tabs = app.screen.query_one("#upload-tabs", TabbedContent)
        assert tabs.active == "upload-stratos"
        await pilot.press("ctrl+o")
        assert tabs.active == "upload-hosts"
        await pilot.press("ctrl+s")
        assert tabs.active == "upload-stratos"
        await pilot.press("escape")  # nothing runs: back to where the pane was opened from
        await pilot.pause()
        assert not isinstance(app.screen, UploadScreen)


async def test_hostile_comment_and_file_name_are_shown_literally(isolated_home: Path) -> None:
    """A comment with OSC 52 (clipboard write) and markup, in a file named with markup: the
    Hosts tab shows both escaped, as plain text, and stays up."""
    import subprocess

    ssh = isolated_home / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    comment = "evil\x1b]52;c;cm0gLXJmIH4=\x07[/][@click=app.quit]"
    key = ssh / "id_[b]x"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)], check=True
    )
    app = UploadApp(key.with_name(key.name + ".pub"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(HostsPanel)
        info = str(panel.query_one("#hosts-key-info").render())
        assert "evil\\033]52;c;cm0gLXJmIH4=\\007[/][@click=app.quit]" in info
        assert "\x1b" not in info and "\x07" not in info
        assert "Upload id_[b]x.pub" in str(app.screen.query_one("#upload-key").render())
        assert app.is_running

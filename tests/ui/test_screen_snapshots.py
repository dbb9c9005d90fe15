"""SVG snapshots at 80x24 and 120x36 of the screens a new user meets first: the help screen,
the delete confirmation, the empty state, and the upload pane's Hosts and Stratos tabs (logged
out, and logged in with keys and VMs from the local cloud emulator).

Fixed theme, HOME in the test's temporary folder (the autouse fixture), the fixed throwaway
keys of tests/data only. Each test also checks, from the screen's text, what a person at that
size must be able to read: the frame says how to leave, buttons and fields are not cut.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from tests.fixtures.cloud import CloudFixture
from tests.ui.app_keys import install_app_keys, loaded, screen_lines, select, wait_for
from tests.ui.test_upload_hosts import _install_key
from tests.ui.test_upload_stratos import DATA, settle
from tui.app import make_app
from tui.screens.help import HelpScreen
from tui.screens.modals import ConfirmScreen
from tui.screens.upload.screen import UploadScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]
THEME = "textual-dark"


def _fixed_theme(app: App[Any]) -> App[Any]:
    app.theme = THEME
    return app


class UploadApp(App[None]):
    """Just the upload pane on the tab asked for, with the fixed theme."""

    TITLE = "sshdeck"

    def __init__(self, key_path: Path, target: str) -> None:
        super().__init__()
        self.key_path, self.target = key_path, target

    def on_mount(self) -> None:
        self.theme = THEME
        self.push_screen(UploadScreen(self.key_path, target=self.target))


def _still(pilot: Pilot[Any]) -> None:
    """No blinking cursor caught mid-blink in the SVG."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_help(ssh_dir: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause()
        lines = screen_lines(pilot.app)
        assert any("escape closes" in line for line in lines)  # on the frame, always shown
        assert any("Fix the key's file permissions" in line for line in lines)
        assert all(len(line) <= size[0] for line in lines)

    assert snap_compare(_fixed_theme(make_app(ssh_dir)), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_delete_confirmation(
    ssh_dir: Path, snap_compare: Any, size: tuple[int, int]
) -> None:
    install_app_keys(ssh_dir, ("id_ed25519", "id_rsa"))

    async def ready(pilot: Pilot[Any]) -> None:
        await select(pilot, "id_rsa")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.pause()
        text = "\n".join(screen_lines(pilot.app))
        for words in ("Delete id_rsa?", "~/.ssh/id_rsa.pub", "Cancel", "Delete", "escape cancels"):
            assert words in text, words

    assert snap_compare(_fixed_theme(make_app(ssh_dir)), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_empty_state(
    isolated_home: Path, snap_compare: Any, size: tuple[int, int]
) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        lines = screen_lines(pilot.app)
        assert any("There is no ~/.ssh directory yet." in line for line in lines)
        assert lines[-1].rstrip().endswith("q Quit ? Help"), lines[-1]

    app = _fixed_theme(make_app(isolated_home / ".ssh"))
    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_upload_hosts(
    isolated_home: Path, snap_compare: Any, size: tuple[int, int]
) -> None:
    public = _install_key(isolated_home)
    (isolated_home / ".ssh" / "config").write_text("Host web-1\n  HostName 192.0.2.21\n")

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UploadScreen))
        await pilot.pause()
        _still(pilot)
        await pilot.pause()
        text = "\n".join(screen_lines(pilot.app))
        for words in (
            "user@host  user@host:2222  [2001:db8::1]  (space separated)",
            "~/.ssh/id_ed25519 (the host trusts it)",
            "password (used once, never stored)",
            "Trust unknown host keys (accept-new)",
            "Install",
            "Test the connection",
            "Host",
            "esc Cancel / back",
        ):
            assert words in text, words

    assert snap_compare(UploadApp(public, "hosts"), terminal_size=size, run_before=ready)


@pytest.fixture
def stratos_key(ssh_dir: Path) -> Path:
    target = ssh_dir / "id_rsa.pub"
    shutil.copyfile(DATA / "stratos_rsa.pub", target)
    return target


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_upload_stratos_logged_out(
    cloud: CloudFixture,
    stratos_key: Path,
    snap_compare: Any,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    monkeypatch.delenv("IBMCLOUD_API_KEY")

    async def ready(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        # the field takes the focus once the panel knows nobody is logged in
        await wait_for(pilot, lambda: getattr(pilot.app.focused, "id", None) == "stratos-api-key")
        await settle(pilot)
        _still(pilot)
        await pilot.pause()
        text = "\n".join(screen_lines(pilot.app))
        for words in (
            "Not logged in",
            "Paste an IBM Cloud API key",
            "Log in",
            "Log in to list your workspaces",
            "Add SSH key",
            "Copy ibmcloud command",
        ):
            assert words in text, words

    app = UploadApp(stratos_key, "stratos")
    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_upload_stratos_logged_in(
    cloud: CloudFixture, stratos_key: Path, snap_compare: Any, size: tuple[int, int]
) -> None:
    cloud.add_key(cloud.ws, "old-laptop", (DATA / "stratos_ed25519.pub").read_text().strip())
    cloud.add_key(cloud.ws, "laptop", stratos_key.read_text().strip())
    cloud.add_instance(cloud.ws, "web-1", "192.168.10.5", external_ip="169.48.1.2")
    cloud.add_instance(cloud.ws, "aix-db", "192.168.10.6", os_type="aix")

    async def ready(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        _still(pilot)
        await pilot.pause()
        text = "\n".join(screen_lines(pilot.app))
        for words in (
            "Logged in with IBMCLOUD_API_KEY from the environment",
            "prod-dallas  (dal12, active)",
            "old-laptop",
            "✔ this key    laptop",
            "aix-db",
            "root@169.48.1.2",
            "Add SSH key",
            "Copy ibmcloud command",
        ):
            assert words in text, words

    app = UploadApp(stratos_key, "stratos")
    assert snap_compare(app, terminal_size=size, run_before=ready)


KEYRING_MISSING = (
    "No secure keyring is available on this machine (install gnome-keyring or KWallet)."
)


def _dialogs() -> dict[str, Any]:
    from tui.core.upload.stratos import CloudKey
    from tui.screens.modals import AgentAddScreen, ChangePassphraseScreen, EditCommentScreen
    from tui.screens.passphrase import AskPassphrase
    from tui.screens.password import AskPassword
    from tui.screens.upload.stratos_edit import EditKeyScreen

    return {
        "add passphrase": lambda: ChangePassphraseScreen(
            "id_ed25519", True, KEYRING_MISSING, has_passphrase=False
        ),
        "change passphrase": lambda: ChangePassphraseScreen(
            "id_rsa", True, KEYRING_MISSING, error="Wrong passphrase."
        ),
        "agent": lambda: AgentAddScreen(
            "id_rsa", ask_remember=True, keyring_reason=KEYRING_MISSING
        ),
        "comment": lambda: EditCommentScreen("id_rsa", "evil\x1b[2J"),
        "confirm": lambda: ConfirmScreen(
            "Trust this host key?",
            detail="The server 127.0.0.1:2222 presented ED25519 SHA256:" + "x" * 43 + ". It "
            "is not in ~/.ssh/known_hosts. Compare it with the fingerprint your administrator "
            "gave you before trusting it.",
            command="ssh-keygen -F '[127.0.0.1]:2222'",
            confirm_label="Trust and save",
        ),
        "passphrase": lambda: AskPassphrase("Passphrase for ~/.ssh/id_rsa", "Used once."),
        "password": lambda: AskPassword("Password for root@127.0.0.1", "root's password:"),
        "edit cloud key": lambda: EditKeyScreen(
            CloudKey(
                name="laptop",
                ssh_key="",
                description="work laptop",
                visibility="workspace",
                id="k1",
                primary_workspace=True,
                creation_date=None,
            )
        ),
    }


@pytest.mark.parametrize("name", list(_dialogs()))
async def test_every_dialog_fits_80x24_with_its_buttons_and_escape(name: str) -> None:
    """The longest form each dialog takes (no keyring, an error shown) keeps its buttons whole
    on screen at 80x24, and its frame says escape cancels (the key list's footer shows
    through a dialog, and its keys do not apply there)."""
    from textual.widgets import Button

    make = _dialogs()[name]

    class Host(App[None]):
        def on_mount(self) -> None:
            self.theme = THEME
            self.push_screen(make())

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        buttons = list(screen.query(Button))
        assert len(buttons) == 2
        for button in buttons:
            region = button.region
            assert region.height == 3 and region.bottom <= 24, (button.id, region)
            assert str(button.label) in "\n".join(screen_lines(app))
        assert any("escape cancels" in line for line in screen_lines(app))

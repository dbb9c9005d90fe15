"""The upload pane shows a hostile key file name and comment escaped, as plain text, in both
tabs: OSC 52 (a clipboard write) becomes ``\\033]52;c;x\\007``, markup (``[b]`` in the name, since
a file name cannot hold ``/``; ``[/]`` in the comment) stays literal, and the exported screen holds
no control character."""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual.widgets import Input

from tests.fixtures.cloud import CloudFixture
from tests.ui.app_keys import screen_lines
from tests.ui.test_upload_hosts import UploadApp as HostsApp
from tests.ui.test_upload_stratos import UploadApp, settle
from tui.screens.upload.hosts import HostsPanel
from tui.screens.upload.stratos import StratosPanel

OSC52 = "\x1b]52;c;x\x07"
NAME, NAME_SHOWN = f"id{OSC52}[b]", "id\\033]52;c;x\\007[b]"
COMMENT, COMMENT_SHOWN = f"me{OSC52}[/]", "me\\033]52;c;x\\007[/]"


def _hostile_key(home: Path) -> Path:
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    key = ssh / NAME
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", COMMENT, "-f", str(key)], check=True
    )
    return key.with_name(key.name + ".pub")


def _no_control(app: object) -> str:
    svg = app.export_screenshot()  # type: ignore[attr-defined]
    assert "\x1b" not in svg and "\x07" not in svg
    return "\n".join(screen_lines(app))


async def test_hosts_tab_shows_a_hostile_file_name_and_comment_escaped(
    isolated_home: Path,
) -> None:
    public = _hostile_key(isolated_home)
    app = HostsApp(public)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(HostsPanel)
        assert f"Upload {NAME_SHOWN}.pub" in str(app.screen.query_one("#upload-key").render())
        info = str(panel.query_one("#hosts-key-info").render())
        assert COMMENT_SHOWN in info
        text = _no_control(app)
        assert f"Upload {NAME_SHOWN}.pub" in text and COMMENT_SHOWN in text
        assert app.is_running


async def test_stratos_tab_shows_a_hostile_file_name_and_comment_escaped(
    cloud: CloudFixture, isolated_home: Path
) -> None:
    public = _hostile_key(isolated_home)
    app = UploadApp(public)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(StratosPanel)
        info = str(panel.query_one("#stratos-key-info").render())
        assert COMMENT_SHOWN in info
        name = panel.query_one("#stratos-name", Input).value
        assert "\x1b" not in name and "\x07" not in name
        text = _no_control(app)
        assert f"Upload {NAME_SHOWN}.pub" in text and COMMENT_SHOWN in text
        assert app.is_running


async def test_stratos_edit_and_delete_dialogs_show_a_hostile_cloud_key_escaped(
    cloud: CloudFixture, isolated_home: Path
) -> None:
    """A key named and described by the cloud with OSC 52 and ``[/]``: the table, the edit
    dialog (its fields too) and the delete confirmation show it escaped; saving the dialog
    unchanged renames nothing."""
    from textual.widgets import DataTable

    from tui.screens.modals import ConfirmScreen
    from tui.screens.upload.stratos_edit import EditKeyScreen

    public = _hostile_key(isolated_home)
    cloud.add_key(cloud.ws, "placeholder", public.read_text().strip(), description="desc")
    stored = cloud.keys[cloud.ws.guid][0]
    stored["name"], stored["description"] = f"k{OSC52}[/]", f"d{OSC52}[/]"
    app = UploadApp(public)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(StratosPanel)
        assert "k\\033]52;c;x\\007[/]" in _no_control(app)
        table = panel.query_one("#stratos-keys", DataTable)
        table.focus()
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditKeyScreen)
        text = _no_control(app)
        assert "k\\033]52;c;x\\007[/]" in text and "d\\033]52;c;x\\007[/]" in text
        await pilot.press("enter")  # saved as shown: nothing changes
        await settle(pilot)
        assert not isinstance(app.screen, EditKeyScreen)
        assert cloud.count("PUT", "/v1/ssh-keys") == 0
        table.focus()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "k\\033]52;c;x\\007[/]" in _no_control(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running and len(cloud.workspace_keys(cloud.ws)) == 1

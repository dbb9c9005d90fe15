"""The Stratos for Power tab of the upload pane, driven with Pilot against the local emulator."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from tests.fixtures.cloud import CloudFixture
from tui.core import secrets
from tui.screens.upload.screen import UploadScreen
from tui.screens.upload.stratos import StratosPanel

DATA = Path(__file__).resolve().parent.parent / "data"
SIZE = (120, 40)


class UploadApp(App[None]):
    TITLE = "sshdeck"

    def __init__(self, key_path: Path | None) -> None:
        super().__init__()
        self.key_path = key_path

    def on_mount(self) -> None:
        self.push_screen(UploadScreen(self.key_path, target="stratos"))


@pytest.fixture
def rsa_pub(ssh_dir: Path) -> Path:
    """The fixed test key, so that what the panel shows is the same on every run."""
    target = ssh_dir / "id_rsa.pub"
    shutil.copyfile(DATA / "stratos_rsa.pub", target)
    return target


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs, twice in a row: a finished worker's message may start the
    next one (an add is followed by a refresh of the key list)."""
    quiet = 0
    for _ in range(100):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        busy = any(not worker.is_finished for worker in pilot.app.workers)
        quiet = 0 if busy else quiet + 1
        if quiet == 2:
            return


def panel_of(app: App[Any]) -> StratosPanel:
    return app.screen.query_one(StratosPanel)


def message(panel: StratosPanel) -> str:
    return str(panel.query_one("#stratos-message", Static).render())


def marks(panel: StratosPanel) -> list[tuple[str, str]]:
    table = panel.query_one("#stratos-keys", DataTable)
    return [
        (str(row[0]), str(row[1])) for row in (table.get_row_at(i) for i in range(table.row_count))
    ]


async def test_env_login_workspaces_and_mark_on_the_matching_key(
    cloud: CloudFixture, rsa_pub: Path
) -> None:
    london = cloud.add_workspace("dev-london", "lon06")
    cloud.add_key(london, "laptop", rsa_pub.read_text().strip())
    cloud.add_key(london, "other", (DATA / "stratos_ed25519.pub").read_text().strip())
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        state = str(panel.query_one("#stratos-login-state", Static).render())
        assert "IBMCLOUD_API_KEY" in state and "Logged in" in state
        assert message(panel) == "Choose a workspace."
        select = panel.query_one("#stratos-workspace", Select)
        select.value = london.crn
        await settle(pilot)
        assert marks(panel) == [("✔ this key", "laptop"), ("", "other")]
        assert "already in dev-london as 'laptop'" in message(panel)
        assert panel.query_one("#stratos-name", Input).value == "id_rsa"
    assert cloud.count("POST", "/identity/token") == 1


async def test_add_ssh_key_and_copy_the_command(cloud: CloudFixture, rsa_pub: Path) -> None:
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        assert panel.workspace and panel.workspace.guid == cloud.ws.guid  # the only one
        panel.query_one("#stratos-name", Input).value = "my laptop"
        panel.query_one("#stratos-description", Input).value = "work"
        panel.query_one("#stratos-visibility", Select).value = "account"
        await pilot.pause()
        command = str(panel.query_one("#stratos-command", Static).render())
        assert command.startswith(f"$ ibmcloud pi workspace target {cloud.ws.crn}")
        assert "$ ibmcloud pi ssh-key create 'my laptop' --key \"ssh-rsa AAAA" in command
        assert command.endswith('--description "work" --visibility account')
        await pilot.click("#stratos-add")
        await settle(pilot)
        assert message(panel).startswith("✔ Added 'my laptop' (SHA256:")
        assert marks(panel) == [("✔ this key", "my laptop")]
        await pilot.press("ctrl+y")
        assert rsa_pub.read_text().strip() in app.clipboard  # the full key, not the shortened one
        assert app.clipboard.startswith("ibmcloud pi workspace target ")
        await pilot.click("#stratos-add")  # again: already there, nothing created
        await settle(pilot)
        assert message(panel).startswith("✔ Already there")
    (stored,) = cloud.workspace_keys(cloud.ws)
    assert (stored["name"], stored["description"], stored["visibility"]) == (
        "my laptop",
        "work",
        "account",
    )
    assert cloud.count("POST", "/v1/ssh-keys") == 1


async def test_login_with_the_password_input(
    cloud: CloudFixture, rsa_pub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        field = panel.query_one("#stratos-api-key", Input)
        assert field.password and field.display
        assert "Not logged in" in str(panel.query_one("#stratos-login-state", Static).render())
        field.value = "wrong-key"
        await pilot.click("#stratos-login")
        await settle(pilot)
        assert "BXNIM0415E" in message(panel) and "wrong-key" not in message(panel)
        assert secrets.get_secret(secrets.API_KEY_NAME) is None
        field.value = cloud.api_key
        await pilot.click("#stratos-login")
        await settle(pilot)
        assert field.value == "" and not field.display
        assert secrets.get_secret(secrets.API_KEY_NAME) == cloud.api_key
        assert "keyring" in str(panel.query_one("#stratos-login-state", Static).render())
        assert panel.workspace and panel.workspace.name == "prod-dallas"
        await pilot.click("#stratos-login")  # now "Log out"
        await settle(pilot)
        assert secrets.get_secret(secrets.API_KEY_NAME) is None and field.display


async def test_errors_in_place_403(cloud: CloudFixture, rsa_pub: Path) -> None:
    cloud.fail(403, method="POST", path="/v1/ssh-keys")
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        await pilot.click("#stratos-add")
        await settle(pilot)
        assert "needs the Manager service role on workspace prod-dallas" in message(panel)
        assert panel.query_one("#stratos-message", Static).has_class("-error")
        assert cloud.api_key not in message(panel)


async def test_escape_cancels_a_hanging_request_without_freezing(
    cloud: CloudFixture, rsa_pub: Path
) -> None:
    cloud.hang(30, times=1, path="/v1/ssh-keys")
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):  # the UI keeps answering while the request hangs
            await pilot.pause(0.02)
            if cloud.count("GET", "/v1/ssh-keys"):
                break
        panel = panel_of(app)
        assert panel.busy
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, UploadScreen) and not panel.busy
        assert message(panel).startswith("Cancelled")
        await pilot.press("escape")  # nothing runs now: back
        await pilot.pause()
        assert not isinstance(app.screen, UploadScreen)


async def test_non_rsa_key_warns(cloud: CloudFixture, ssh_dir: Path) -> None:
    key = ssh_dir / "id_ed25519.pub"
    shutil.copyfile(DATA / "stratos_ed25519.pub", key)
    app = UploadApp(key)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        assert "RSA" in message(panel) and panel.query_one("#stratos-message").has_class("-warning")


def test_snapshot_upload_stratos(cloud: CloudFixture, rsa_pub: Path, snap_compare: Any) -> None:
    cloud.add_key(cloud.ws, "old-laptop", (DATA / "stratos_ed25519.pub").read_text().strip())
    cloud.add_key(cloud.ws, "laptop", rsa_pub.read_text().strip())
    cloud.add_instance(cloud.ws, "web-1", "192.168.10.5", external_ip="169.48.1.2")
    cloud.add_instance(cloud.ws, "aix-db", "192.168.10.6", os_type="aix")

    async def ready(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        panel_of(pilot.app).query_one("#stratos-description", Input).value = "work laptop"
        await pilot.pause()

    assert snap_compare(UploadApp(rsa_pub), terminal_size=SIZE, run_before=ready)


HOSTILE = "evil[/]\033]52;c;cm0gLXJmIH4=\007[@click=app.quit]"


class RecordingApp(UploadApp):
    """Records the messages the Stratos tab sends up to the app (instead of opening screens)."""

    def __init__(self, key_path: Path | None) -> None:
        super().__init__(key_path)
        self.requested: list[object] = []

    def on_test_requested(self, message: object) -> None:
        self.requested.append(message)

    def on_install_requested(self, message: object) -> None:
        self.requested.append(message)


async def test_api_key_field_focused_placeholder_whole_and_kept_for_the_app(
    cloud: CloudFixture, rsa_pub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    keyring.set_keyring(NoKeyring())  # no keyring: the login is kept only while the app runs
    cloud.add_workspace("dev-london", "lon06")
    app = UploadApp(rsa_pub)
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        field = panel.query_one("#stratos-api-key", Input)
        assert app.focused is field  # ready to paste into when the tab opens
        assert len(field.placeholder) <= field.content_region.width  # not cut at 80 columns
        select = panel.query_one("#stratos-workspace", Select)
        assert str(select.prompt) == "Log in to list your workspaces"
        field.value = "wrong-key"
        await pilot.press("enter")
        await settle(pilot)
        assert "BXNIM0415E" in message(panel)
        assert app.focused is field  # again, after a failed login
        await pilot.press(*cloud.api_key, "enter")
        await settle(pilot)
        assert str(select.prompt) == "Choose a workspace"  # no longer "Log in to ..."
        assert [ws.name for ws in panel.workspaces] == ["dev-london", "prod-dallas"]
        state = str(panel.query_one("#stratos-login-state", Static).render())
        assert "while sshdeck runs" in state  # no keyring: kept for the app's lifetime
        select.value = panel.workspaces[1].crn
        await settle(pilot)
        await pilot.press("escape")  # back to the key list ...
        await pilot.pause()
        app.push_screen(UploadScreen(rsa_pub, target="stratos"))  # ... and `u` again
        await settle(pilot)
        panel = panel_of(app)
        state = str(panel.query_one("#stratos-login-state", Static).render())
        assert "Logged in" in state and "Not logged in" not in state
        assert not panel.query_one("#stratos-api-key", Input).display
        assert panel.workspace and panel.workspace.name == "prod-dallas"  # the one chosen
    assert secrets.get_secret(secrets.API_KEY_NAME) is None  # nothing stored anywhere


async def test_cloud_texts_are_shown_escaped_and_plain(cloud: CloudFixture, rsa_pub: Path) -> None:
    cloud.workspaces[0].name = "prod" + HOSTILE
    cloud.add_key(cloud.ws, "ok-name", (DATA / "stratos_ed25519.pub").read_text().strip())
    cloud.keys[cloud.ws.guid][0]["name"] = HOSTILE  # a server may send any name
    cloud.add_instance(cloud.ws, HOSTILE, "10.0.0.7")
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        assert app.is_running  # [@click=app.quit] did nothing, [/] crashed nothing
        (row,) = marks(panel)
        assert row[1] == "evil[/]\\033]52;c;cm0gLXJmIH4=\\007[@click=app.quit]"
        vms = panel.query_one("#stratos-vms", DataTable)
        assert str(vms.get_row_at(0)[0]).startswith("evil[/]\\033]52")
        select = panel.query_one("#stratos-workspace", Select)
        shown = str(select.query_one("SelectCurrent Static").render())
        assert "\033" not in shown and "prodevil[/]\\033]52" in shown
        cloud.fail(403, method="POST", path="/v1/ssh-keys", body={"description": HOSTILE})
        await pilot.click("#stratos-add")
        await settle(pilot)
        assert "\033" not in message(panel)
        assert app.is_running


async def test_vms_t_tests_and_i_installs_with_the_selected_key(
    cloud: CloudFixture, rsa_pub: Path
) -> None:
    private = rsa_pub.with_suffix("")
    private.write_text("not read by the panel\n")
    private.chmod(0o600)
    cloud.add_instance(cloud.ws, "aix-1", "192.168.3.4", os_type="aix")
    cloud.add_instance(cloud.ws, "web-1", "192.168.3.5", external_ip="169.44.1.2")
    app = RecordingApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        vms = panel.query_one("#stratos-vms", DataTable)
        assert [str(vms.get_row_at(i)[2]) for i in range(vms.row_count)] == ["AIX", "rhel"]
        vms.focus()
        await pilot.press("down", "t")  # web-1: its external IP
        await pilot.press("up", "i")  # aix-1: its only (private) address
        await pilot.pause()
    from tui.messages import InstallRequested, TestRequested

    test, install = app.requested
    assert isinstance(test, TestRequested) and isinstance(install, InstallRequested)
    assert (test.target, test.key_path) == ("root@169.44.1.2", private)
    assert (install.target, install.key_path) == ("root@192.168.3.4", private)


async def test_rename_in_the_tab_and_no_delete_of_a_shared_key(
    cloud: CloudFixture, rsa_pub: Path
) -> None:
    from tui.screens.upload.stratos_edit import EditKeyScreen

    london = cloud.add_workspace("dev-london", "lon06")
    cloud.add_key(cloud.ws, "laptop", rsa_pub.read_text().strip())
    cloud.add_key(
        london, "team", (DATA / "stratos_ed25519.pub").read_text().strip(), visibility="account"
    )
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        panel.query_one("#stratos-workspace", Select).value = cloud.ws.crn
        await settle(pilot)
        table = panel.query_one("#stratos-keys", DataTable)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditKeyScreen)
        name = app.screen.query_one("#edit-name", Input)
        name.value = "work laptop"
        app.screen.query_one("#edit-description", Input).value = "desk"
        await pilot.click("#edit-save")
        await settle(pilot)
        assert message(panel).startswith("✔ Saved 'work laptop'")
        assert [m[1] for m in marks(panel)] == ["work laptop", "team"]
        table.focus()
        table.move_cursor(row=1)  # team: shared by dev-london
        await pilot.press("d")
        await settle(pilot)
        assert "not owned by workspace prod-dallas" in message(panel)
        assert not isinstance(app.screen, EditKeyScreen)
    (own,) = cloud.workspace_keys(cloud.ws)
    assert (own["name"], own["description"]) == ("work laptop", "desk")
    assert len(cloud.workspace_keys(london)) == 1 and cloud.count("DELETE", "/v1/") == 0


async def test_switching_tabs_from_a_focused_field_or_table_stays_switched(
    cloud: CloudFixture, rsa_pub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import TabbedContent

    cloud.add_instance(cloud.ws, "web-1", "192.168.3.5")
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        tabs = app.screen.query_one("#upload-tabs", TabbedContent)
        for widget in (
            "#stratos-vms",
            "#stratos-keys",
            "#stratos-name",
            "#stratos-visibility",
            "#stratos-copy",
        ):
            panel.query_one(widget).focus()
            await pilot.pause()
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert tabs.active == "upload-hosts", widget
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert tabs.active == "upload-stratos", widget


async def test_in_the_app_t_opens_the_tester_and_i_the_hosts_tab(
    cloud: CloudFixture, rsa_pub: Path
) -> None:
    from textual.widgets import TabbedContent

    from tui.app import make_app
    from tui.screens.tester import TesterScreen

    cloud.add_instance(cloud.ws, "web-1", "192.168.3.5", external_ip="169.44.1.2")
    app = make_app(rsa_pub.parent)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(UploadScreen(rsa_pub, target="stratos"))
        await settle(pilot)
        panel = panel_of(app)
        panel.query_one("#stratos-vms", DataTable).focus()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TesterScreen)
        assert (app.screen.target, app.screen.key_path) == ("root@169.44.1.2", rsa_pub)
        app.pop_screen()
        await pilot.pause()
        panel.query_one("#stratos-vms", DataTable).focus()
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, UploadScreen) and screen.hosts == "root@169.44.1.2"
        assert screen.query_one("#upload-tabs", TabbedContent).active == "upload-hosts"
        await app.workers.wait_for_complete()


async def test_the_key_file_and_the_keyring_stay_off_the_ui_thread(
    cloud: CloudFixture, rsa_pub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panel reads its key file and asks the keyring in workers: a slow disk or a keyring
    that asks a D-Bus service never freezes the screen."""
    import threading

    on_ui: list[str] = []
    read_text = Path.read_text
    get_secret = secrets.get_secret

    def watched_read(self: Path, *args: Any, **kwargs: Any) -> str:
        if self == rsa_pub and threading.current_thread() is threading.main_thread():
            on_ui.append(f"read {self.name}")
        return read_text(self, *args, **kwargs)

    def watched_secret(name: str) -> str | None:
        if threading.current_thread() is threading.main_thread():
            on_ui.append(f"keyring {name}")
        return get_secret(name)

    monkeypatch.setattr(Path, "read_text", watched_read)
    monkeypatch.setattr(secrets, "get_secret", watched_secret)
    monkeypatch.delenv("IBMCLOUD_API_KEY")  # so the keyring is asked
    assert StratosPanel(rsa_pub).public is None  # building the panel reads nothing
    app = UploadApp(rsa_pub)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = panel_of(app)
        assert panel.public is not None and "RSA" in panel.public.keygen_line()
        info = str(panel.query_one("#stratos-key-info", Static).render())
        assert panel.public.sha256 in info
        assert "Not logged in" in str(panel.query_one("#stratos-login-state", Static).render())
    assert on_ui == []

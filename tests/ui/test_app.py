"""The app around the key list: n/u/t open their screens with the selected key, help lists
every binding, the command palette runs actions, file changes are noticed, and SVG snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.keyfactory import keygen
from tests.ui.app_keys import (
    install_app_keys,
    loaded,
    rendered_text,
    screen_lines,
    select,
    type_text,
    wait_for,
)
from tui.app import make_app
from tui.messages import KeyGenerated
from tui.screens import tester
from tui.screens.help import HelpScreen
from tui.screens.keys import KeysScreen
from tui.screens.upload.screen import UploadScreen
from tui.screens.wizard import WizardScreen

SIZE = (120, 36)


async def test_n_u_t_open_their_screens_with_the_selected_key(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519", "id_rsa"))
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await select(pilot, "id_rsa")
        await pilot.press("u")
        opened: Any = app.screen
        assert isinstance(opened, UploadScreen) and opened.key_path == ssh_dir / "id_rsa.pub"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("t")
        opened = app.screen
        assert isinstance(opened, tester.TesterScreen) and opened.key_path == ssh_dir / "id_rsa"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("n")
        opened = app.screen
        assert isinstance(opened, WizardScreen) and opened.directory == ssh_dir


async def test_help_lists_every_binding(ssh_dir: Path) -> None:
    app = make_app(ssh_dir)
    async with app.run_test(size=(120, 50)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = rendered_text(app.screen.query("Static")[1], width=110)
        for binding in KeysScreen.BINDINGS:
            assert binding.description in shown, binding  # type: ignore[union-attr]
        assert "ctrl+p" in shown and "ctrl+z" in shown
        await pilot.press("escape")
        assert isinstance(app.screen, KeysScreen)


def _first_command(app: Any) -> str:
    from textual.command import CommandList

    found = app.screen.query(CommandList)
    if not found or not found.first().option_count:
        return ""
    return str(found.first().get_option_at_index(0).prompt)


async def test_command_palette_runs_actions(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519",))
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "id_ed25519")
        await pilot.press("ctrl+p")
        await type_text(pilot, "Copy")
        await wait_for(pilot, lambda: _first_command(app).startswith("Copy"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.clipboard))
        assert app.clipboard == (ssh_dir / "id_ed25519.pub").read_text().strip()


async def test_file_changes_and_new_keys_are_noticed(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519",))
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("KeyTable")
        keygen(ssh_dir / "added_outside", "ed25519")
        await wait_for(pilot, lambda: table.row_count == 2)  # polling saw it, no key pressed
        keygen(ssh_dir / "zz_new", "ed25519")
        app.post_message(KeyGenerated(ssh_dir / "zz_new", ssh_dir / "zz_new.pub"))
        await wait_for(
            pilot, lambda: screen.selected is not None and screen.selected.name == "zz_new"
        )


async def test_at_80x24_the_footer_keeps_help_and_quit_and_headers_are_words(
    ssh_dir: Path,
) -> None:
    install_app_keys(ssh_dir)
    (ssh_dir / "id_ed25519").chmod(0o644)
    app = make_app(ssh_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, "id_ed25519")
        await pilot.pause()
        lines = screen_lines(app)
        footer = lines[-1]
        assert footer.rstrip().endswith("q Quit ? Help"), footer
        assert "n New" in footer and "d Delete" in footer and "f Fix" in footer
        header = lines[1].split()
        assert header == ["File", "Type", "Comment", "Locked", "Agent", "Problems"], header
        assert any("id_ed25519" in line and "open 0644 +1" in line for line in lines)
        await pilot.press("r")  # left out of the footer at 80 columns, and still works
        await wait_for(pilot, lambda: any("Rescanning" in n.message for n in app._notifications))
    async with make_app(ssh_dir).run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        lines = screen_lines(pilot.app)
        assert lines[1].split()[:4] == ["File", "Type", "Bits", "SHA256"]
        for words in ("p Passphrase", "e Comment", "a Agent", "r Rescan", "q Quit", "? Help"):
            assert words in lines[-1]


def test_snapshot_key_list(ssh_dir: Path, snap_compare: Any) -> None:
    install_app_keys(ssh_dir)

    async def ready(pilot: Any) -> None:
        await select(pilot, "id_rsa")

    assert snap_compare(make_app(ssh_dir), terminal_size=SIZE, run_before=ready)


def test_snapshot_key_list_80x24(ssh_dir: Path, snap_compare: Any) -> None:
    install_app_keys(ssh_dir)
    (ssh_dir / "id_ed25519").chmod(0o644)

    async def ready(pilot: Any) -> None:
        await select(pilot, "id_ed25519")

    assert snap_compare(make_app(ssh_dir), terminal_size=(80, 24), run_before=ready)


def test_snapshot_help(ssh_dir: Path, snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")

    assert snap_compare(make_app(ssh_dir), terminal_size=(120, 40), run_before=ready)


def test_snapshot_empty_state(isolated_home: Path, snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await loaded(pilot)

    assert snap_compare(make_app(isolated_home / ".ssh"), terminal_size=(100, 24), run_before=ready)


def test_snapshot_delete_confirmation(ssh_dir: Path, snap_compare: Any) -> None:
    install_app_keys(ssh_dir, ("id_ed25519", "id_rsa"))

    async def ready(pilot: Any) -> None:
        await select(pilot, "id_rsa")
        await pilot.press("d")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmScreen")
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(make_app(ssh_dir), terminal_size=SIZE, run_before=ready)


async def test_new_key_through_the_wizard_is_selected_in_the_list(ssh_dir: Path) -> None:
    """n, the wizard by keystrokes (ed25519, default file, comment, passphrase twice), then
    back on the list the new key is there and selected; ssh-keygen reads it."""
    import subprocess

    install_app_keys(ssh_dir, ("id_rsa",))
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen: Any = await loaded(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen))
        await pilot.press("enter", "enter", "end", "ctrl+u")
        await type_text(pilot, "me@here")
        await pilot.press("enter")
        await type_text(pilot, "tall tree 42 river")
        await pilot.press("enter")
        await type_text(pilot, "tall tree 42 river")
        await pilot.press("enter")
        await wait_for(pilot, lambda: (ssh_dir / "id_ed25519.pub").exists(), timeout=60)
        await wait_for(pilot, lambda: screen.by_name.get("id_ed25519") is not None)
        while app.screen is not screen:
            await pilot.press("escape")
        await wait_for(
            pilot,
            lambda: (
                app.keys_screen.selected is not None
                and app.keys_screen.selected.name == "id_ed25519"
            ),
        )
        chosen = app.keys_screen.selected
        assert chosen is not None and chosen.encrypted and chosen.comment == "me@here"
        done = subprocess.run(
            ["ssh-keygen", "-y", "-P", "tall tree 42 river", "-f", str(ssh_dir / "id_ed25519")],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0 and done.stdout.startswith("ssh-ed25519 ")

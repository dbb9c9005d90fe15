"""Changing keys from the key list by keystrokes, checked with ssh-keygen: passphrase (with the
in-memory keyring and with no keyring), comment, delete and ctrl+z, permission fix."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from textual.widgets import Static

from tests.ui.app_keys import RSA_PASSPHRASE, install_app_keys, select, type_text, wait_for
from tui.app import make_app
from tui.core import secrets
from tui.screens.keys import KeysScreen
from tui.screens.modals import ChangePassphraseScreen, ConfirmScreen, EditCommentScreen
from tui.widgets.key_table import KeyTable

RSA_SHA256 = "SHA256:5tvEGDD4h5RG/HzI450SagIZNdZ9dqp4LkGeBWDysls"


def _opens(path: Path, passphrase: str) -> bool:
    done = subprocess.run(
        ["ssh-keygen", "-y", "-P", passphrase, "-f", str(path)], capture_output=True, text=True
    )
    return done.returncode == 0


def _notified(app, text: str, count: int = 1) -> bool:  # type: ignore[no-untyped-def]
    return sum(text in n.message for n in app._notifications) >= count


async def _change(
    pilot, current: str | None, new: str, confirm: str, remember: bool = False
) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChangePassphraseScreen))
    if current is not None:
        await type_text(pilot, current)
        await pilot.press("tab")
    await type_text(pilot, new)
    await pilot.press("tab")
    await type_text(pilot, confirm)
    if remember:
        await pilot.press("tab", "space")
    await pilot.press("enter") if not remember else await pilot.press("shift+tab", "enter")


async def test_change_passphrase_then_ssh_keygen_reads_it(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_rsa",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        await select(pilot, "id_rsa")
        await _change(pilot, RSA_PASSPHRASE, "n3w pw", "n3w pq")
        modal = app.screen
        assert isinstance(modal, ChangePassphraseScreen)  # mismatch blocks
        assert "do not match" in str(modal.query_one("#message", Static).content)
        await pilot.press("backspace")
        await type_text(pilot, "w")
        await pilot.press("enter")
        await wait_for(pilot, lambda: _notified(app, "was changed"))
        assert _opens(ssh_dir / "id_rsa", "n3w pw")
        assert not _opens(ssh_dir / "id_rsa", RSA_PASSPHRASE)
        assert secrets.get_passphrase(RSA_SHA256) is None  # not asked to remember
        assert stat.S_IMODE((ssh_dir / "id_rsa").stat().st_mode) == 0o600


async def test_wrong_current_passphrase_asks_again(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_rsa",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        await select(pilot, "id_rsa")
        await _change(pilot, "wrong", "x", "x")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ChangePassphraseScreen)
                and "passphrase" in str(app.screen.query_one("#message", Static).content).lower()
            ),
        )
        await pilot.press("escape")
        assert _opens(ssh_dir / "id_rsa", RSA_PASSPHRASE)


async def test_remember_in_keyring_then_keyring_is_used(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_rsa",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_rsa")
        await _change(pilot, RSA_PASSPHRASE, "kept", "kept", remember=True)
        await wait_for(pilot, lambda: secrets.get_passphrase(RSA_SHA256) == "kept")
        await wait_for(
            pilot, lambda: app.screen is screen and _notified(app, "saved in the keyring")
        )
        assert _opens(ssh_dir / "id_rsa", "kept")
        # the keyring now knows the current passphrase: the modal does not ask for it
        await _change(pilot, None, "2nd", "2nd")
        await wait_for(pilot, lambda: _notified(app, "was changed", 2))
        assert _opens(ssh_dir / "id_rsa", "2nd")
        assert secrets.get_passphrase(RSA_SHA256) == "2nd"  # kept in sync


async def test_no_keyring_backend(ssh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    install_app_keys(ssh_dir, ("id_rsa",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_rsa")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangePassphraseScreen))
        modal = app.screen
        assert modal.query_one("#remember").disabled
        assert "No secure system keyring" in str(modal.query_one(".detail", Static).content)
        await type_text(pilot, RSA_PASSPHRASE)
        await pilot.press("tab")
        await type_text(pilot, "fine")
        await pilot.press("tab")
        await type_text(pilot, "fine")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and _notified(app, "was changed"))
        assert _opens(ssh_dir / "id_rsa", "fine")


async def test_edit_comment(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_ed25519")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCommentScreen))
        await pilot.press(*["backspace"] * len("alice@laptop"))
        await type_text(pilot, "alice@desk")
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: screen.selected is not None and screen.selected.comment == "alice@desk"
        )
        assert (ssh_dir / "id_ed25519.pub").read_text().strip().endswith(" alice@desk")
        listing = subprocess.run(
            ["ssh-keygen", "-l", "-f", str(ssh_dir / "id_ed25519")], capture_output=True, text=True
        ).stdout
        assert "alice@desk" in listing


async def test_delete_and_restore(ssh_dir: Path, isolated_home: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519", "id_rsa"))
    before = (ssh_dir / "id_rsa").read_bytes()
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_rsa")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        shown = str(app.screen.query_one(".command", Static).content)
        assert shown == "~/.ssh/id_rsa\n~/.ssh/id_rsa.pub"
        await pilot.press("escape")  # cancel: nothing moves
        assert (ssh_dir / "id_rsa").exists()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # the confirm button has the focus: trash is undoable
        await wait_for(pilot, lambda: not (ssh_dir / "id_rsa").exists())
        assert not (ssh_dir / "id_rsa.pub").exists()
        trash = isolated_home / ".local/share/sshdeck/trash"
        assert [p.name for p in trash.glob("*/*id_rsa")] == ["0-id_rsa"]
        await wait_for(pilot, lambda: screen.query_one("KeyTable").row_count == 1)
        assert screen.active_bindings["ctrl+z"].enabled
        await pilot.press("ctrl+z")
        await wait_for(
            pilot, lambda: screen.selected is not None and screen.selected.name == "id_rsa"
        )
        assert (ssh_dir / "id_rsa").read_bytes() == before
        assert stat.S_IMODE((ssh_dir / "id_rsa").stat().st_mode) == 0o600
        assert not screen.active_bindings["ctrl+z"].enabled


async def test_fix_permissions_after_confirmation(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519",))
    (ssh_dir / "id_ed25519").chmod(0o644)
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_ed25519")
        assert screen.active_bindings["f"].enabled
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert (
            str(app.screen.query_one(".command", Static).content) == "chmod 600 ~/.ssh/id_ed25519"
        )
        await pilot.press("y")
        await wait_for(
            pilot, lambda: stat.S_IMODE((ssh_dir / "id_ed25519").stat().st_mode) == 0o600
        )
        await wait_for(pilot, lambda: not screen.active_bindings["f"].enabled)


async def test_removing_the_passphrase_needs_a_second_enter(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_rsa",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_rsa")
        await _change(pilot, RSA_PASSPHRASE, "", "")
        modal = app.screen
        assert isinstance(modal, ChangePassphraseScreen)  # not yet: a warning first
        assert "WITHOUT a passphrase" in str(modal.query_one("#message", Static).content)
        assert _opens(ssh_dir / "id_rsa", RSA_PASSPHRASE)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen is screen and _notified(app, "without a passphrase")
        )
        assert _opens(ssh_dir / "id_rsa", "")


async def test_a_key_deleted_while_its_comment_dialog_is_open_is_a_notification(
    ssh_dir: Path,
) -> None:
    """Another program deletes the pair while the dialog is open: saving says so in a
    notification (the core's sentence), the list drops the key, the app stays up (it used to
    end with WorkerFailed)."""
    install_app_keys(ssh_dir, ("id_ed25519", "id_rsa"))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen: KeysScreen = await select(pilot, "id_ed25519")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCommentScreen))
        (ssh_dir / "id_ed25519").unlink()
        (ssh_dir / "id_ed25519.pub").unlink()
        await type_text(pilot, "x")
        await pilot.press("enter")
        await wait_for(pilot, lambda: _notified(app, "does not exist"))
        assert app.is_running and app.screen is screen
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "id_ed25519" in errors[0].message
        await wait_for(pilot, lambda: screen.query_one(KeyTable).row_count == 1)
        assert not (ssh_dir / "id_ed25519").exists()  # nothing written in its place
        await pilot.press("e")  # the screen still works: the next key's dialog opens
        await wait_for(pilot, lambda: isinstance(app.screen, EditCommentScreen))
        await pilot.press("escape")
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 0


async def test_a_key_deleted_before_delete_is_confirmed_is_a_notification(
    ssh_dir: Path,
) -> None:
    """The same race for delete: the pair vanished while the confirmation was open."""
    install_app_keys(ssh_dir, ("id_ed25519", "id_rsa"))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen: KeysScreen = await select(pilot, "id_rsa")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        (ssh_dir / "id_rsa").unlink()
        (ssh_dir / "id_rsa.pub").unlink()
        await pilot.press("enter")
        await wait_for(pilot, lambda: _notified(app, "nothing to delete"))
        assert app.is_running and app.screen is screen
        assert not screen.undo_count  # nothing was moved: nothing to undo
        await wait_for(pilot, lambda: screen.query_one(KeyTable).row_count == 1)


async def test_a_key_without_a_passphrase_offers_to_add_one(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("deploy_ecdsa",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "deploy_ecdsa")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangePassphraseScreen))
        modal = app.screen
        assert str(modal.query_one(".title", Static).content) == "Add a passphrase to deploy_ecdsa"
        assert str(modal.query_one("#ok").label) == "Add"  # type: ignore[attr-defined]
        assert not modal.query("#current")  # there is no current one to ask for
        await pilot.press("enter", "enter")  # empty: refused, nothing to remove
        assert app.screen is modal
        assert "Type the passphrase twice" in str(modal.query_one("#message", Static).content)
        await _change_fields(pilot, "fresh pass", "fresh pass")
        await wait_for(pilot, lambda: app.screen is screen and _notified(app, "was added"))
        assert _opens(ssh_dir / "deploy_ecdsa", "fresh pass")


async def _change_fields(pilot, new: str, confirm: str) -> None:  # type: ignore[no-untyped-def]
    await type_text(pilot, new)
    await pilot.press("tab")
    await type_text(pilot, confirm)
    await pilot.press("enter")

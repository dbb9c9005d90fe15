"""The key list by keystrokes: order, j/k, details with ssh-keygen's randomart, filter, copy,
empty states and greyed-out actions."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.ui.app_keys import (
    ALL,
    install_app_keys,
    loaded,
    rendered_text,
    select,
    type_text,
    wait_for,
)
from tui.app import make_app


def _keygen_art(path: Path, hash_name: str = "sha256") -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-v", "-E", hash_name, "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "\n".join(out.splitlines()[1:])


async def test_rows_sorted_details_and_randomart(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir)
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("KeyTable")
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == list(ALL)
        await select(pilot, "id_rsa")
        assert _keygen_art(ssh_dir / "id_rsa.pub") in rendered_text(
            screen.query_one("#details-art")
        )
        details = rendered_text(screen.query_one("#details-body"))
        assert "SHA256:5tvEGDD4h5RG/HzI450SagIZNdZ9dqp4LkGeBWDysls" in details
        assert "MD5:" in details and "~/.ssh/id_rsa.pub" in details
        await pilot.press("m")
        await pilot.pause()
        assert _keygen_art(ssh_dir / "id_rsa.pub", "md5") in rendered_text(
            screen.query_one("#details-art")
        )
        await pilot.press("k", "k")
        assert screen.selected.name == "id_ed25519"
        details = rendered_text(screen.query_one("#details-body"), width=120)
        assert "unencrypted-private-key" not in details  # messages, not codes
        assert "has no passphrase" in details
        assert "fix: press p to add a passphrase" in details  # the app's key, not a CLI flag
        await pilot.press("j")
        details = rendered_text(screen.query_one("#details-body"), width=120)
        assert "alice, admin" in details and "forever" in details  # the certificate


async def test_filter_by_file_comment_type_fingerprint(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir)
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("KeyTable")
        for needle, expected in (
            ("deploy", ["deploy_ecdsa"]),
            ("alice@work", ["id_rsa"]),
            ("ecdsa", ["deploy_ecdsa"]),
            ("5O3rWUVZ", ["github.pub"]),
            ("ED25519", ["github.pub", "id_ed25519", "id_ed25519-cert.pub"]),
        ):
            await pilot.press("slash")
            await type_text(pilot, needle)
            await pilot.press("enter")
            rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            assert rows == expected, needle
            assert screen.selected is not None and screen.selected.name == expected[0]
            await pilot.press("escape")
            assert table.row_count == len(ALL)
        await pilot.press("slash", "escape")  # opened and closed with nothing typed
        assert not screen.query_one("#filter").has_class("shown")
        assert screen.focused is table
        await pilot.press("slash")
        await type_text(pilot, "nothing like this")
        assert not table.display
        assert "No key matches" in str(screen.query_one("#empty").content)
        assert screen.check_action("copy", ()) is None


async def test_copy_public_key(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir)
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        await select(pilot, "id_rsa")
        await pilot.press("c")
        assert app.clipboard == (ssh_dir / "id_rsa.pub").read_text().strip()
        assert any("Copied the public key of id_rsa" in n.message for n in app._notifications)


async def test_empty_states(isolated_home: Path) -> None:
    missing = isolated_home / ".ssh"
    app = make_app(missing)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await loaded(pilot)
        text = str(screen.query_one("#empty").content)
        assert "There is no ~/.ssh directory yet" in text and "Press n" in text
        assert screen.check_action("delete", ()) is None
        missing.mkdir(mode=0o700)
        await pilot.press("r")
        await wait_for(
            pilot, lambda: "No keys in ~/.ssh" in str(screen.query_one("#empty").content)
        )


async def test_greyed_out_actions(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir)
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "github.pub")  # a public key alone
        active = screen.active_bindings
        for key in ("p", "e", "a", "ctrl+z", "f"):
            assert not active[key].enabled, key
        for key in ("c", "d", "n", "u", "t", "r"):
            assert active[key].enabled, key
        await pilot.press("p", "e")  # greyed out: nothing opens
        assert app.screen is screen
        screen = await select(pilot, "id_rsa")
        assert screen.active_bindings["p"].enabled and screen.active_bindings["e"].enabled
        assert not screen.active_bindings["a"].enabled  # no agent in tests unless asked
        assert "no ssh-agent" in str(screen.query_one("#status").content)


async def test_a_greyed_out_key_says_why(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("github.pub", "id_rsa"))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "github.pub")  # a public key alone
        await pilot.press("p")
        await wait_for(pilot, lambda: bool(app._notifications))
        assert app.screen is screen  # nothing opened
        (note,) = list(app._notifications)
        assert note.severity == "warning" and note.message.startswith("Passphrase: ")
        assert "public key without its private key" in note.message
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: len(app._notifications) == 2)
        assert "Nothing to restore" in list(app._notifications)[-1].message
        await pilot.press("escape")  # no filter to clear: escape stays quiet
        await pilot.pause()
        assert len(app._notifications) == 2
        await pilot.press("slash")  # in the filter box a letter is typed, not explained
        await type_text(pilot, "p")
        await pilot.pause()
        assert len(app._notifications) == 2 and app.keys_screen.filter_text == "p"


async def test_problems_column_names_the_problem(ssh_dir: Path, tmp_path: Path) -> None:
    from tests.keyfactory import keygen

    install_app_keys(ssh_dir, ("id_ed25519", "deploy_ecdsa", "id_rsa"))
    (ssh_dir / "id_ed25519").chmod(0o644)  # open, and no passphrase either
    (ssh_dir / "id_rsa.pub").unlink()
    keygen(ssh_dir / "old_rsa", "rsa", 1024)
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("KeyTable")
        problems = {
            str(table.get_row_at(i)[0]): str(table.get_row_at(i)[-1])
            for i in range(table.row_count)
        }
        assert problems == {
            "deploy_ecdsa": "no passphrase",
            "id_ed25519": "open 0644 +1",
            "id_rsa": "no .pub",
            "old_rsa": "weak +1",
        }


async def test_narrowing_the_terminal_keeps_the_selection_and_drops_two_columns(
    ssh_dir: Path,
) -> None:
    install_app_keys(ssh_dir)
    app = make_app(ssh_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await select(pilot, "id_ed25519")
        table = screen.query_one("KeyTable")
        assert "SHA256" in table.columns_shown
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "SHA256" not in table.columns_shown)
        await pilot.pause()
        assert table.selected_name == "id_ed25519" and table.row_count == len(ALL)
        assert [str(c.label) for c in table.columns.values()][-1] == "Problems"
        await pilot.resize_terminal(120, 36)
        await wait_for(pilot, lambda: "SHA256" in table.columns_shown)
        await pilot.pause()
        assert table.selected_name == "id_ed25519"

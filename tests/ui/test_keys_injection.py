"""Hostile key comments and file names in the app: shown as plain text with visible escapes
(``\\033``, as ssh-keygen prints them), never as markup, never raw on the terminal; the app
survives them and q still quits (issue 11, item 2)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.ui.app_keys import DATA, install_app_keys, loaded, screen_lines, select, wait_for
from tui.app import make_app
from tui.core.keys.public import read_public_key_file
from tui.core.text import visible
from tui.screens.modals import ConfirmScreen, EditCommentScreen
from tui.widgets.key_details import KeyDetails
from tui.widgets.key_table import KeyTable
from tui.widgets.randomart import randomart_text

OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x1b\\"  # writes "rm -rf ~" to the clipboard of a raw terminal
COMMENT = f"{OSC52} [/] [link=x]l [@click=app.quit]q \x1b[2J\x07\u009b\u202ecba"
EVIL_NAME = "evil\x1b]52;c;eA==\x07[@click=app.quit]"
LONE_NAME = "[link=x]k\u202e"
RAW = ("\x1b", "\x07", "\u009b", "\u202e")


def _hostile_keys(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519",))
    kind, blob = (ssh_dir / "id_ed25519.pub").read_text().split()[:2]
    (ssh_dir / "id_ed25519.pub").write_text(f"{kind} {blob} {COMMENT}\n")
    shutil.copyfile(DATA / "id_ed25519", ssh_dir / EVIL_NAME)
    (ssh_dir / EVIL_NAME).chmod(0o600)
    (ssh_dir / f"{EVIL_NAME}.pub").write_text(f"{kind} {blob} [/]\n")
    (ssh_dir / f"{LONE_NAME}.pub").write_text(f"{kind} {blob} [@click=app.quit]\n")


def _shown(app: Any) -> str:
    svg = app.export_screenshot()
    for raw in RAW:  # nothing raw reaches the terminal (the SVG holds every cell drawn)
        assert raw not in svg, repr(raw)
    return "\n".join(screen_lines(app))


async def test_hostile_comments_and_names_show_escaped_and_the_app_survives(
    ssh_dir: Path,
) -> None:
    _hostile_keys(ssh_dir)
    app = make_app(ssh_dir)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one(KeyTable)
        await wait_for(pilot, lambda: table.row_count == 3)
        shown = _shown(app)
        # the table: names and comments as typed, escapes visible
        assert "evil\\033]52;c;eA==\\007[@click=app.quit]" in shown
        assert "[link=x]k\\342\\200\\256" in shown
        assert "\\033]52;c;cm0gLXJmIH4K\\033\\ [/] [link=x]l" in shown

        # the details of each key, selected in turn
        await select(pilot, "id_ed25519")
        shown = _shown(app)
        assert f"Comment      {visible(COMMENT)}"[:60] in shown
        assert "[@click=app.quit]q \\033[2J\\007\\302\\233\\342\\200\\256cba" in shown
        await select(pilot, EVIL_NAME)
        shown = _shown(app)
        assert "~/.ssh/evil\\033]52;c;eA==\\007[@click=app.quit]" in shown
        assert "Comment      [/]" in shown
        await select(pilot, f"{LONE_NAME}.pub")
        assert "Comment      [@click=app.quit]" in _shown(app)
        assert app.is_running

        # the dialogs and notifications name the key the same way
        await select(pilot, EVIL_NAME)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        shown = _shown(app)
        assert "Delete evil\\033]52;c;eA==\\007[@click=app.quit]?" in shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert (ssh_dir / EVIL_NAME).exists()
        await pilot.press("c")
        await wait_for(pilot, lambda: bool(app._notifications))
        notes = [str(n.message) for n in app._notifications]
        assert any("evil\\033]52;c;eA==\\007[@click=app.quit]" in n for n in notes), notes
        assert not any(raw in n for n in notes for raw in RAW)
        assert all(not n.markup for n in app._notifications)  # never read as markup

        await select(pilot, "id_ed25519")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCommentScreen))
        shown = _shown(app)
        assert "control characters" in shown and "[@click=app.quit]q" in shown
        await pilot.press("enter")  # unchanged: nothing is written, the escapes are not saved
        await wait_for(pilot, lambda: app.screen is screen)
        assert (ssh_dir / "id_ed25519.pub").read_text().endswith(f"{COMMENT}\n")

        # the palette lists every action and the app is still there
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.is_running and screen.query_one(KeyDetails).display
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 0


def test_the_randomart_caption_escapes_the_comment(ssh_dir: Path) -> None:
    _hostile_keys(ssh_dir)
    public = read_public_key_file(ssh_dir / "id_ed25519.pub")
    assert public.comment == COMMENT  # the core keeps the exact string
    for style in ("list", "generated"):
        text = randomart_text(public, style=style)  # type: ignore[arg-type]
        assert visible(COMMENT) in text
        assert not any(raw in text for raw in RAW)


async def test_the_palette_shows_a_hostile_reason_as_typed(
    ssh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The palette reads help lines as markup: a reason quoting an agent's error text (or any
    untrusted text) is escaped for it, and shown with visible escapes."""
    from textual.command import CommandList, CommandPalette

    from tui.core.keys import agent

    # what the key list says when there is no agent, as if it quoted hostile text
    monkeypatch.setattr(agent, "NO_AGENT", f"agent said {OSC52} [/] [@click=app.quit]x")
    install_app_keys(ssh_dir, ("id_ed25519",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_ed25519")
        await wait_for(pilot, lambda: screen.agent_message == agent.NO_AGENT)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        for ch in "Agent":
            await pilot.press(ch)
        options = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: options.option_count > 0)
        await pilot.pause()
        shown = _shown(app)
        assert "agent said \\033]52;c;cm0gLXJmIH4K\\033\\ [/] [@click=app.quit]x" in shown
        await pilot.press("enter")  # choosing it says why, and the app stays
        await wait_for(pilot, lambda: app.screen is screen)
        assert any("[@click=app.quit]x" in n.message for n in app._notifications)
        assert app.is_running

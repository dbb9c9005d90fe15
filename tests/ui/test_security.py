"""Secrets never reach the terminal when the app crashes: Textual's own crash report prints every
frame's local variables, so a passphrase held in a local would be printed on exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.app_keys import type_text, wait_for
from tui.app import make_app
from tui.screens.passphrase import AskPassphrase

CANARY = "canary-Secret-7f3a9"


async def test_a_crash_with_a_passphrase_in_a_local_does_not_print_it(
    ssh_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(passphrase: str | None) -> None:
        held = f"{passphrase}"  # a second local holding the secret, as real handlers do
        raise RuntimeError("handler failed" if held else "no passphrase")

    app = make_app(ssh_dir)
    with pytest.raises(RuntimeError, match="handler failed"):
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.screen is app.keys_screen)
            app.push_screen(AskPassphrase("Passphrase for id_test"), crash)
            await wait_for(pilot, lambda: isinstance(app.screen, AskPassphrase))
            await type_text(pilot, CANARY)
            await pilot.press("enter")
            await pilot.pause()
    printed = capsys.readouterr()
    report = printed.out + printed.err
    assert "RuntimeError" in report and "handler failed" in report  # the crash is still reported
    assert CANARY not in report

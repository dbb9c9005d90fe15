"""Secrets never reach the terminal when the app crashes: Textual's own crash report prints every
frame's local variables, so a passphrase held in a local would be printed on exit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.fixtures.cloud import CloudFixture
from tests.ui.app_keys import type_text, wait_for
from tests.ui.test_upload_stratos import UploadApp
from tui.app import make_app
from tui.screens.passphrase import AskPassphrase
from tui.widgets.stratos_panel import StratosPanel

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


def test_secret_dataclasses_keep_their_secrets_out_of_repr() -> None:
    from tui.screens.modals import PassphraseChange

    change = PassphraseChange(CANARY + "-old", CANARY + "-new", remember=True)
    assert CANARY not in repr(change) and "remember=True" in repr(change)


async def test_the_login_worker_does_not_describe_itself_with_the_api_key(
    cloud: CloudFixture, ssh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual describes a worker by its call, arguments included, in its repr and its logs."""
    from textual.worker import Worker

    monkeypatch.delenv("IBMCLOUD_API_KEY")
    described: list[str] = []
    original = Worker.__init__

    def recording(self: Worker[Any], *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        described.append(repr(self) + self.description)

    monkeypatch.setattr(Worker, "__init__", recording)
    app = UploadApp(None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        panel = app.screen.query_one(StratosPanel)
        panel.query_one("#stratos-api-key", Input).value = CANARY
        await pilot.click("#stratos-login")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert any("connect to IBM Cloud" in text for text in described)
    assert not any(CANARY in text for text in described)

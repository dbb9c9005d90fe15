"""Secrets never reach the terminal when the app crashes: Textual's own crash report prints every
frame's local variables, so a passphrase held in a local would be printed on exit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input

from tests.conftest import ssh_keygen
from tests.fixtures.cloud import CloudFixture
from tests.fixtures.hosts import CopyHost
from tests.ui.app_keys import type_text, wait_for
from tests.ui.test_upload_hosts import UploadApp as HostsApp
from tests.ui.test_upload_hosts import _fill, _install_key, _rows, _run
from tests.ui.test_upload_stratos import UploadApp
from tui.app import make_app
from tui.screens import tester
from tui.screens.modals import ConfirmScreen
from tui.screens.passphrase import AskPassphrase
from tui.screens.upload.hosts import HostsPanel
from tui.screens.upload.stratos import StratosPanel

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


def _wrong_host_key(tmp_path: Path, port: int) -> Path:
    """~/.ssh/known_hosts naming another key for the server: its host key "changed"."""
    other = tmp_path / "other_host_key"
    assert ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(other)).returncode == 0
    blob = other.with_suffix(".pub").read_text().split()[1]
    known = Path.home() / ".ssh" / "known_hosts"
    known.parent.mkdir(mode=0o700, exist_ok=True)
    known.write_text(f"[127.0.0.1]:{port} ssh-ed25519 {blob}\n")
    return known


async def test_a_changed_host_key_stops_the_hosts_panel_even_with_accept_new(
    copy_host: CopyHost, isolated_home: Path, tmp_path: Path
) -> None:
    public = _install_key(isolated_home)
    known = _wrong_host_key(tmp_path, copy_host.server.port)
    before = known.read_bytes()
    copy_host.write_authorized(b"# untouched\n")
    app = HostsApp(public)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.screen.query_one(HostsPanel)
        await _fill(pilot, panel, copy_host.target, copy_host.user.password)
        panel.query_one("#hosts-accept-new", Checkbox).value = True
        await _run(pilot, panel)
        rows = _rows(panel)
        assert rows[0][1] == "✗ failed" and "changed" in rows[0][2].lower(), rows
    assert known.read_bytes() == before
    assert copy_host.authorized_keys.read_bytes() == b"# untouched\n"


async def test_a_changed_host_key_stops_the_tester_with_no_way_to_trust_it(
    copy_host: CopyHost, isolated_home: Path, tmp_path: Path
) -> None:
    public = _install_key(isolated_home)
    known = _wrong_host_key(tmp_path, copy_host.server.port)
    before = known.read_bytes()
    app = make_app(public.parent)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen is app.keys_screen)
        screen = tester.TesterScreen(key_path=public.with_suffix(""), target=copy_host.target)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running)
        await pilot.pause()
        assert screen.result is not None
        assert screen.result.outcome == "host-key-changed"
        assert not screen.query_one("#trust").display
        asked = screen.trust()  # even asked directly, trusting a changed key is refused
        await wait_for(pilot, lambda: asked.is_finished or isinstance(app.screen, ConfirmScreen))
        assert not isinstance(app.screen, ConfirmScreen)
        asked.cancel()
    assert known.read_bytes() == before


def test_the_private_textual_crash_hook_is_the_one_checked() -> None:
    """tui.app overrides Textual's private ``App._fatal_error`` (its only private API) so a crash
    report shows no locals. When Textual changes that method, or the ``_handle_exception`` that
    calls it, this fails: re-read both, adapt ``NoLocalsCrashReport`` and record the new hashes."""
    import hashlib
    import inspect
    import textwrap

    from textual.app import App

    from tui.app import NoLocalsCrashReport, SshDeckApp

    assert issubclass(SshDeckApp, NoLocalsCrashReport)
    for name, recorded in NoLocalsCrashReport.TEXTUAL_PRIVATE_SOURCES.items():
        upstream = getattr(App, name, None)
        assert upstream is not None, f"Textual no longer has App.{name}: see tui/app.py"
        source = textwrap.dedent(inspect.getsource(upstream))
        digest = hashlib.sha256(source.encode()).hexdigest()
        assert digest == recorded, (
            f"Textual changed App.{name}; check NoLocalsCrashReport in tui/app.py against it "
            f"and record {digest}"
        )
    assert "self._fatal_error()" in inspect.getsource(App._handle_exception)

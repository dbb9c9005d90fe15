"""Pilot tests of the tester screen against a real sshd: run, stream, stop, next steps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser
from tests.ui.app_keys import type_text, wait_for
from tui.app import make_app
from tui.core.ssh_config import config_hosts
from tui.screens import tester
from tui.screens.modals import ConfirmScreen
from tui.screens.passphrase import AskPassphrase
from tui.screens.upload import UploadScreen
from tui.widgets.stages import StageTimeline
from tui.widgets.transcript import Transcript

SIZE = (120, 40)


def make_key(path: Path, passphrase: str = "") -> Path:
    assert ssh_keygen("-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)).returncode == 0
    return path


@pytest.fixture
def authorized(sshd: SshdServer, test_user: TestUser, ssh_dir: Path) -> tuple[str, Path]:
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    return f"{test_user.name}@127.0.0.1:{sshd.port}", key


async def open_tester(pilot: Any, screen: tester.TesterScreen) -> tester.TesterScreen:
    await pilot.app.push_screen(screen)
    await wait_for(pilot, lambda: pilot.app.screen is screen)
    await pilot.pause()
    return screen


async def finished(pilot: Any, screen: tester.TesterScreen) -> Any:
    await wait_for(pilot, lambda: screen.result is not None and not screen.running)
    await pilot.pause()
    return screen.result


async def test_run_streams_and_succeeds(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, key = authorized
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        assert screen.query_one("#key").value == str(key)  # type: ignore[attr-defined]
        assert screen.query_one("#port").value == str(sshd.port)  # type: ignore[attr-defined]
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "ok"
        lines = screen.query_one(Transcript).shown()
        assert any(line.startswith("Authenticated to 127.0.0.1") for line in lines)
        assert not any(line.startswith("debug2:") for line in lines)  # -v by default
        marks = screen.query_one(StageTimeline).marks()
        assert list(marks.values()) == [True] * 7
        assert screen.query_one("#outcome").has_class("-ok")
        assert not screen.query_one("#upload").display
        # more verbosity redraws with the lines kept
        screen.query_one(Transcript).verbosity = 2
        await pilot.pause()
        assert any(line.startswith("debug2:") for line in screen.query_one(Transcript).shown())
        # search jumps to a match
        screen.query_one(Transcript).focus()
        await pilot.press("slash")
        await type_text(pilot, "Server host key")
        await pilot.press("enter")
        assert screen.query_one(Transcript).found >= 0
        await pilot.press("escape")  # closes the search box first
        assert isinstance(app.screen, tester.TesterScreen)
        screen.query_one(Transcript).focus()
        await pilot.press("s")
        saved = Path.home() / "ssh.127.0.0.1.debug"
        await wait_for(pilot, saved.exists)
        assert "Authenticated to 127.0.0.1" in saved.read_text()
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, tester.TesterScreen))


async def test_auth_failed_offers_the_upload(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, _key = authorized
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    other = make_key(ssh_dir / "other")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=other, target=target))
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "auth-failed"
        assert screen.query_one("#outcome").has_class("-failed")
        assert "authorized_keys" in str(screen.query_one("#diagnosis").render())
        assert screen.query_one("#upload").display
        assert not screen.query_one("#trust").display
        screen.query_one("#upload").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen))
        upload: Any = app.screen
        assert upload.target == "hosts" and upload.key_path == other.with_suffix(".pub")


async def test_unknown_host_is_trusted_after_confirmation(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, key = authorized
    known = ssh_dir / "known_hosts"
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "host-key-unknown"
        assert str(screen.query_one("#hostkey").render()) == sshd.host_public_key.randomart()
        assert sshd.host_public_key.sha256 in str(screen.query_one("#diagnosis").render())
        assert screen.query_one("#trust").display and not known.exists()
        screen.query_one("#trust").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.result is not None and screen.result.ok)
        assert known.read_text() == sshd.known_hosts_line() + "\n"


async def test_fix_permissions_then_login(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, key = authorized
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    os.chmod(key, 0o644)
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        await pilot.press("enter")
        assert (await finished(pilot, screen)).outcome == "key-permissions"
        screen.query_one("#fix-permissions").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.result is not None and screen.result.ok)
        assert (key.stat().st_mode & 0o777) == 0o600


async def test_passphrase_is_asked_in_the_modal(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path
) -> None:
    secret = "modal-canary-passphrase"
    key = make_key(ssh_dir / "id_ed25519", secret)
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    target = f"{test_user.name}@127.0.0.1:{sshd.port}"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AskPassphrase))
        await type_text(pilot, secret)
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "ok"
        assert secret not in "\n".join(screen.query_one(Transcript).shown())


async def test_escape_stops_mid_connection(silent_listener: int, ssh_dir: Path) -> None:
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(
            pilot, tester.TesterScreen(target=f"127.0.0.1:{silent_listener}")
        )
        await pilot.press("enter")
        timeline = screen.query_one(StageTimeline)
        await wait_for(pilot, lambda: timeline.marks().get("protocol version", False) is None)
        assert screen.running
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.running)
        assert isinstance(app.screen, tester.TesterScreen)  # the first escape only stops
        assert timeline.marks()["protocol version"] is False
        assert "Stopped." in str(screen.query_one("#diagnosis").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, tester.TesterScreen))


async def test_bad_input_is_one_sentence(ssh_dir: Path) -> None:
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen())
        await pilot.press("enter")
        await pilot.pause()
        assert not screen.running and screen.result is None
        assert any("Type a host" in str(n.message) for n in app._notifications)


async def test_target_completes_from_ssh_config(ssh_dir: Path) -> None:
    (ssh_dir / "config").write_text(
        "Host prod-box staging\n  HostName 10.0.0.1\nHost *\n  User me\n"
    )
    assert config_hosts() == ["prod-box", "staging"]
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen())
        await type_text(pilot, "pro")
        await pilot.pause()
        await pilot.press("right")
        assert screen.query_one("#target").value == "prod-box"  # type: ignore[attr-defined]

"""Pilot tests of the tester screen against a real sshd: run, stream, stop, next steps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Select, TabbedContent

from tests.conftest import ssh_keygen
from tests.fixtures.agent import Agent
from tests.fixtures.sshd import SshdServer, TestUser
from tests.ui.app_keys import select, type_text, wait_for
from tui.app import make_app
from tui.core.connect.ssh_config import config_hosts
from tui.screens import tester
from tui.screens.modals import ConfirmScreen
from tui.screens.passphrase import AskPassphrase
from tui.screens.password import AskPassword
from tui.screens.upload.hosts import HostsPanel
from tui.screens.upload.screen import UploadScreen
from tui.widgets.stages import StageTimeline
from tui.widgets.transcript import Transcript

SIZE = (120, 40)


def make_key(path: Path, passphrase: str = "") -> Path:
    assert ssh_keygen("-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)).returncode == 0
    return path


@pytest.fixture
def sshd(sshd_factory: Any) -> SshdServer:
    """Keys only: a refused key ends the login, with no password to ask for (that flow is
    tested in test_tester_engine.py)."""
    server: SshdServer = sshd_factory(password_auth=False)
    return server


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
        # the evidence, then the ranked causes listed apart, each with its check on the server
        shown = str(screen.query_one("#diagnosis").render())
        causes = str(screen.query_one("#causes").render())
        assert result.offered_keys[0].sha256 in shown and "possible causes" not in shown
        assert causes.startswith("Possible causes, most likely first:\n1. ")
        assert "authorized_keys" in causes.split("\n2. ")[0]  # the first cause: not there
        assert len(result.causes) >= 3 and f"{len(result.causes)}. " in causes
        assert screen.query_one("#upload").display
        assert not screen.query_one("#trust").display
        screen.query_one("#upload").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen))
        upload: Any = app.screen
        assert upload.target == "hosts" and upload.key_path == other.with_suffix(".pub")
        # the tested user, host and port are carried into the Hosts tab
        assert upload.hosts == target
        await pilot.pause()
        panel = upload.query_one(HostsPanel)
        assert panel.query_one("#hosts-targets", Input).value == target
        assert upload.query_one("#upload-tabs", TabbedContent).active == "upload-hosts"


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
        # the app names its own button, not the CLI's flag (the core keeps --accept-new)
        shown = str(screen.query_one("#diagnosis").render()) + str(
            screen.query_one("#fix").render()
        )
        assert "Trust this host key" in shown and "--accept-new" not in shown
        assert "--accept-new" in result.fix + result.diagnosis
        assert screen.query_one("#trust").display and not known.exists()
        screen.query_one("#trust").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.result is not None and screen.result.ok)
        assert_known(known, sshd)


def assert_known(known: Path, sshd: SshdServer) -> list[str]:
    """ssh-keygen -F (the oracle) finds the server's key in ``known``, hashed or not."""
    name = f"[127.0.0.1]:{sshd.port}"
    found = ssh_keygen("-F", name, "-f", str(known))
    assert found.returncode == 0, found.stdout + found.stderr
    key = sshd.host_public_key.line(with_comment=False)
    lines = [line for line in known.read_text().splitlines() if line]
    assert len(lines) == 1 and lines[0].endswith(key)
    return lines


async def test_trust_hashes_the_name_when_the_config_says_so(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, key = authorized
    (ssh_dir / "config").write_text("Host *\n  HashKnownHosts yes\n")
    known = ssh_dir / "known_hosts"
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        await pilot.press("enter")
        assert (await finished(pilot, screen)).outcome == "host-key-unknown"
        screen.query_one("#trust").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.result is not None and screen.result.ok)
        [line] = assert_known(known, sshd)
        assert line.startswith("|1|") and "127.0.0.1" not in line


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


async def test_after_a_run_s_and_slash_act_instead_of_typing(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, key = authorized
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        host = screen.query_one("#target", Input)
        assert app.focused is host  # enter in the host field starts the run
        await pilot.press("enter")
        assert (await finished(pilot, screen)).outcome == "ok"
        assert not isinstance(app.focused, Input)
        await pilot.press("s")
        saved = Path.home() / "ssh.127.0.0.1.debug"
        await wait_for(pilot, saved.exists)
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        assert search.display and app.focused is search
        assert host.value == "127.0.0.1"  # nothing was typed into the target


async def test_test_this_key_from_the_key_list_offers_only_that_key(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path, ssh_agent: Agent
) -> None:
    """t on the key list tests the selected key alone; unticking "only this key" widens it."""
    chosen = make_key(ssh_dir / "id_chosen")
    other = make_key(ssh_dir / "other_in_agent")
    assert ssh_agent.ssh_add(str(other)).returncode == 0
    test_user.authorize(chosen.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "id_chosen")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, tester.TesterScreen))
        screen: Any = app.screen
        await pilot.pause()
        assert screen.query_one("#key", Select).value == str(chosen)
        only = screen.query_one("#only-key", Checkbox)
        assert only.value and not only.disabled
        await type_text(pilot, "127.0.0.1")
        screen.query_one("#user", Input).value = test_user.name
        screen.query_one("#port", Input).value = str(sshd.port)
        options = screen.options().connect
        assert options.identities == (chosen,) and options.identities_only is True
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "ok"
        assert result.accepted_key is not None and result.accepted_key.path == str(chosen)
        login = str(screen.query_one("#login-key").render())
        assert str(chosen) in login and result.accepted_key.sha256 in login
        # widen it: the agent's keys may be offered too (as ssh -i without IdentitiesOnly)
        only.focus()
        await pilot.press("space")
        assert not only.value
        assert screen.options().connect.identities_only is None
        # the default keys have no "only"
        screen.query_one("#key", Select).value = tester.DEFAULT_KEYS
        await pilot.pause()
        assert only.disabled and screen.options().connect.identities == ()


async def test_vvv_follows_the_tail_wraps_and_port_shows_five_digits(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, key = authorized
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        port = screen.query_one("#port", Input)
        assert port.content_region.width >= 6  # five digits and the cursor
        screen.query_one("#verbosity", Select).value = 3
        transcript = screen.query_one(Transcript)
        transcript.focus()
        await pilot.press("enter")
        assert (await finished(pilot, screen)).outcome == "ok"
        await wait_for(pilot, lambda: transcript.scroll_y == transcript.max_scroll_y)
        assert transcript.max_scroll_y > 0
        shown = transcript.shown()
        assert any(line.startswith("debug3:") for line in shown)
        width = transcript.scrollable_content_region.width
        assert width >= 56 and transcript.region.width >= 60
        assert any(len(line) > width for line in shown)  # long lines exist ...
        assert transcript.virtual_size.width <= width  # ... and wrap: nothing to scroll to
        assert len(transcript.lines) > len(shown)
        # every stage and the key's attempt are in view beside it, with their timings
        timeline = screen.query_one(StageTimeline)
        assert timeline.content_region.height >= 7 + len(timeline.attempts)
        assert transcript.region.height >= 8
        # a search stops following; the next run follows again
        await pilot.press("slash")
        await type_text(pilot, "Connecting")
        await pilot.press("enter")
        assert not transcript.auto_scroll
        await pilot.press("escape")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.running or screen.result is not None)
        await finished(pilot, screen)
        assert transcript.auto_scroll
        await wait_for(pilot, lambda: transcript.scroll_y == transcript.max_scroll_y)


async def test_passphrase_typing_is_not_counted_in_the_key_stage(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path
) -> None:
    import time

    secret = "timing-canary-passphrase"
    key = make_key(ssh_dir / "id_ed25519", secret)
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    target = f"{test_user.name}@127.0.0.1:{sshd.port}"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AskPassphrase))
        asked = time.monotonic()
        await wait_for(pilot, lambda: time.monotonic() - asked > 1.2)  # a person typing
        await type_text(pilot, secret)
        typed_ms = int((time.monotonic() - asked) * 1000)  # at least this long in the modal
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "ok"
        timings = screen.query_one(StageTimeline).timings()
        name = f"authentication: publickey {key}"
        raw = next(a["ms"] for a in result.attempts if a["key"] == str(key))
        assert raw >= typed_ms  # the core's figure includes the typing
        assert timings[name] <= raw - typed_ms + 1
        auth = next(stage.ms for stage in result.stages if stage.name == "authentication")
        assert timings["authentication"] <= auth - typed_ms + 1


async def test_engine_can_be_chosen(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    target, key = authorized
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        engine = screen.query_one("#engine", Select)
        assert engine.value == "asyncssh"
        engine.focus()
        await pilot.press("enter", "down", "enter")  # open the list, pick OpenSSH
        await wait_for(pilot, lambda: engine.value == "openssh")
        screen.query_one(Transcript).focus()
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.engine == "openssh" and result.outcome == "ok"


async def test_password_is_asked_in_a_modal_and_never_shown(ssh_dir: Path) -> None:
    """The screen's side of ConnectOptions.ask_password: the server's prompt shown escaped,
    the answer returned to the engine, never on screen."""
    app = make_app(ssh_dir)
    secret = "password-canary-123"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(target="root@127.0.0.1:2222"))
        options = screen.options()
        assert options.connect.ask_password is not None
        # the engine calls it from the probe's worker, as here
        asked = screen.run_worker(options.connect.ask_password("\x1b]52;c;cm0=\x07[/]Password: "))
        await wait_for(pilot, lambda: isinstance(app.screen, AskPassword))
        shown = app.export_screenshot()
        assert "\\033]52;c;cm0=\\007[/]Password:" in shown.replace("&#160;", " ")
        await type_text(pilot, secret)
        assert secret not in app.export_screenshot()
        await pilot.press("enter")
        await wait_for(pilot, lambda: asked.is_finished)
        assert asked.result == secret
        assert isinstance(app.screen, tester.TesterScreen)


async def test_known_hosts_write_failure_is_one_sentence(
    authorized: tuple[str, Path], sshd: SshdServer, ssh_dir: Path
) -> None:
    """Trusting a host key when known_hosts cannot be written: a notification, the app lives."""
    target, key = authorized
    blocked = ssh_dir / "not-a-folder"
    blocked.write_text("a file where a folder should be\n")
    (ssh_dir / "config").write_text(f"Host *\n  UserKnownHostsFile {blocked}/known_hosts\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        await pilot.press("enter")
        assert (await finished(pilot, screen)).outcome == "host-key-unknown"
        screen.query_one("#trust").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "known_hosts" in errors[0] and "\n" not in errors[0]
        assert "Traceback" not in errors[0]
        assert app.is_running and app.screen is screen
        assert blocked.read_text() == "a file where a folder should be\n"
        await pilot.press("escape")  # still usable
        await wait_for(pilot, lambda: not isinstance(app.screen, tester.TesterScreen))


async def test_banner_and_names_are_shown_escaped(
    sshd_factory: Any, test_user: TestUser, ssh_dir: Path
) -> None:
    """A banner with OSC 52 and markup, and a key file named with markup: shown literally."""
    banner = "Welcome \x1b]52;c;cm0gLXJmIH4=\x07 [/] [@click=app.quit]quit[/]\n"
    server = sshd_factory(banner=banner, password_auth=False)
    key = make_key(ssh_dir / "id_[b]weird")
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "ok"
        shown = screen.query_one(Transcript).shown()
        assert any(
            "Welcome \\033]52;c;cm0gLXJmIH4=\\007 [/] [@click=app.quit]quit[/]" in line
            for line in shown
        )
        assert not any("\x1b" in line or "\x07" in line for line in shown)
        assert "id_[b]weird" in str(screen.query_one("#login-key").render())
        assert app.is_running and app.screen is screen


async def test_test_requested_opens_the_tester_for_that_key(ssh_dir: Path) -> None:
    """Any screen may post TestRequested; the tester opens on that target with the key alone."""
    from tui.messages import TestRequested

    key = make_key(ssh_dir / "id_ed25519")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(TestRequested("deploy@192.0.2.5:2222", key))
        await wait_for(pilot, lambda: isinstance(app.screen, tester.TesterScreen))
        screen: Any = app.screen
        await pilot.pause()
        options = screen.options().connect
        assert options.target.user == "deploy" and options.target.host == "192.0.2.5"
        assert options.target.port == 2222
        assert options.identities == (key,) and options.identities_only is True


async def test_a_probe_that_cannot_start_is_one_sentence(ssh_dir: Path) -> None:
    """An error before any connection (a broken ~/.ssh/config): a notification, the screen
    stays usable and says the test did not run."""
    (ssh_dir / "config").write_text("Host *\n  Port notanumber\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tester(pilot, tester.TesterScreen(target="127.0.0.1"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        await wait_for(pilot, lambda: not screen.running)
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "config" in errors[0] and "Traceback" not in errors[0]
        assert "could not run" in str(screen.query_one("#diagnosis").render())
        assert not isinstance(app.focused, Input)
        assert app.screen is screen and not screen.query_one("#run").disabled


@pytest.mark.parametrize(
    ("cli", "app"),
    [
        (
            "compare the fingerprint with the one shown by the server's console, then run again "
            "with --accept-new (or trust it in the tester)",
            'press "Trust this host key"',
        ),
        ("upload the key first (sshdeck copy-id or the upload screen)", '"Upload this key"'),
        (
            "give its passphrase (--passphrase-stdin, the keyring, or the tester's prompt) or "
            "load it into ssh-agent with ssh-add",
            "type it when asked",
        ),
        (
            "give the password too: --password-stdin, or type it when the tester asks",
            "type it when asked",
        ),
        ("create a key (sshdeck keygen) and upload it to the server", "n on the key list"),
    ],
)
def test_diagnoses_name_the_apps_buttons(cli: str, app: str) -> None:
    shown = tester.app_words(cli)
    assert app in shown and "--" not in shown


def test_timeline_names_keys_by_file_and_agent_keys_by_comment() -> None:
    from tui.core.connect.trace import StageEvent

    timeline = StageTimeline()
    timeline.record(StageEvent("authentication", None, 0))
    timeline.record(StageEvent("authentication: publickey /home/u/.ssh/id_ed25519", False, 12))
    timeline.record(StageEvent("authentication: publickey laptop\x1b]52;c;eA==\x07[/]", True, 3))
    timeline.record(StageEvent("authentication: publickey agent key SHA256:ab/cd", False, 4))
    wide = timeline.timeline(80).plain
    assert "publickey id_ed25519 12 ms" in wide
    assert "laptop\\033]52;c;eA==\\007[/]" in wide and "\x1b" not in wide
    assert "agent key SHA256:ab/cd" in wide
    narrow = timeline.timeline(18).plain
    assert all(len(line) <= 18 for line in narrow.splitlines())
    assert "auth" in narrow and "id_ed" in narrow


async def test_an_aix_host_gets_its_note_through_the_apps_probe_service(
    sshd_factory: Any, test_user: TestUser, ssh_dir: Path
) -> None:
    from tui.core.connect.power_os import NOTES

    server = sshd_factory(password_auth=False, extra_config="VersionAddendum AIX 7.3")
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        target = f"{test_user.name}@127.0.0.1:{server.port}"
        screen = await open_tester(pilot, tester.TesterScreen(key_path=key, target=target))
        assert screen.service is app.services.probe  # the injected service, not a new one
        assert not screen.query_one("#power-os").display
        await pilot.press("enter")
        result = await finished(pilot, screen)
        assert result.outcome == "ok" and "AIX" in str(result.server_version)
        note = screen.query_one("#power-os")
        shown = str(note.render())
        assert note.display and shown == tester.app_words(NOTES["aix"])
        assert "/.ssh/authorized_keys" in shown and "RSA" in shown
        assert "sshdeck keygen" not in shown  # the app's own key, not the CLI's command
        assert not screen.query_one("#causes").display  # a login has no causes to rank

"""Pilot tests of the tester screen through the engine's side of two interfaces:
``ConnectOptions.identities_only`` (offer the chosen key alone) and ``ConnectOptions.ask_password``
(a password asked after the keys). Real sshd, real ssh-agent, real PAM user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Checkbox

from tests.conftest import ssh_keygen
from tests.fixtures.agent import Agent
from tests.fixtures.sshd import SshdServer, TestUser
from tests.ui.app_keys import type_text, wait_for
from tui.app import make_app
from tui.core.keys.public import read_public_key_file
from tui.screens import tester
from tui.screens.password import AskPassword
from tui.widgets.transcript import Transcript

SIZE = (120, 40)


def make_key(path: Path) -> Path:
    assert ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(path)).returncode == 0
    return path


def fingerprint(key: Path) -> str:
    return read_public_key_file(key.with_name(key.name + ".pub")).sha256


async def run(pilot: Any, screen: tester.TesterScreen) -> Any:
    screen.query_one(Transcript).focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.running or screen.result is not None)
    await wait_for(pilot, lambda: screen.result is not None and not screen.running)
    await pilot.pause()
    return screen.result


async def test_only_this_key_keeps_the_agents_other_keys_out(
    sshd_factory: Any, test_user: TestUser, ssh_dir: Path, ssh_agent: Agent
) -> None:
    server: SshdServer = sshd_factory(password_auth=False)
    chosen = make_key(ssh_dir / "id_chosen")
    other = make_key(ssh_dir / "other_in_agent")
    assert ssh_agent.ssh_add(str(other)).returncode == 0
    test_user.authorize(chosen.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    async with app.run_test(size=SIZE) as pilot:
        screen = tester.TesterScreen(key_path=chosen, target=target)
        await app.push_screen(screen)
        await pilot.pause()
        result = await run(pilot, screen)
        assert result.outcome == "ok"
        assert [k.sha256 for k in result.offered_keys] == [fingerprint(chosen)]
        assert str(chosen) in str(screen.query_one("#login-key").render())
        # widened: the agent's key is offered too (first, as ssh offers agent keys)
        only = screen.query_one("#only-key", Checkbox)
        only.focus()
        await pilot.press("space")
        result = await run(pilot, screen)
        assert result.outcome == "ok"
        offered = [k.sha256 for k in result.offered_keys]
        assert fingerprint(other) in offered and offered[-1] == fingerprint(chosen)


async def test_password_only_server_asks_in_the_modal(
    sshd_factory: Any, test_user: TestUser, ssh_dir: Path
) -> None:
    server: SshdServer = sshd_factory(pubkey_auth=False)
    key = make_key(ssh_dir / "id_ed25519")
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    app = make_app(ssh_dir)
    target = f"{test_user.name}@127.0.0.1:{server.port}"
    async with app.run_test(size=SIZE) as pilot:
        screen = tester.TesterScreen(key_path=key, target=target)
        await app.push_screen(screen)
        await pilot.pause()
        screen.query_one(Transcript).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AskPassword))
        assert target in app.export_screenshot()
        await type_text(pilot, test_user.password)
        assert test_user.password not in app.export_screenshot()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running)
        await pilot.pause()
        result = screen.result
        assert result is not None
        assert result.outcome == "ok" and result.auth_method == "password"
        assert "password" in str(screen.query_one("#login-key").render())
        assert test_user.password not in "\n".join(screen.query_one(Transcript).shown())
        assert test_user.password not in app.export_screenshot()

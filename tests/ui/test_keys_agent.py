"""``a`` on the key list against a real ssh-agent, checked with ``ssh-add -l``."""

from __future__ import annotations

from pathlib import Path

from tests.ui.app_keys import RSA_PASSPHRASE, install_app_keys, select, type_text, wait_for
from tui.app import make_app
from tui.core import secrets
from tui.screens.modals import AgentAddScreen
from tui.screens.passphrase import AskPassphrase

RSA_SHA256 = "SHA256:5tvEGDD4h5RG/HzI450SagIZNdZ9dqp4LkGeBWDysls"


async def test_add_with_lifetime_and_passphrase_then_remove(ssh_dir: Path, ssh_agent) -> None:  # type: ignore[no-untyped-def]
    install_app_keys(ssh_dir, ("id_ed25519", "id_rsa"))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_rsa")
        await wait_for(pilot, lambda: screen.agent_message is None)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AgentAddScreen))
        await type_text(pilot, "10m")
        await pilot.press("tab", "space", "shift+tab", "enter")  # and remember the passphrase
        await wait_for(pilot, lambda: isinstance(app.screen, AskPassphrase))
        await type_text(pilot, "wrong")
        await pilot.press("enter")  # asked again, with the reason
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, AskPassphrase) and "passphrase" in app.screen.detail.lower()
            ),
        )
        await type_text(pilot, RSA_PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: RSA_SHA256 in screen.agent_keys)
        assert ssh_agent.fingerprints() == [RSA_SHA256]
        assert secrets.get_passphrase(RSA_SHA256) == RSA_PASSPHRASE  # asked to remember
        table = screen.query_one("KeyTable")
        assert str(table.get_row("id_rsa")[6]) == "✓"
        await pilot.press("a")  # loaded: a removes it
        await wait_for(pilot, lambda: not screen.agent_keys)
        assert ssh_agent.fingerprints() == []


async def test_keyring_passphrase_is_tried_first(ssh_dir: Path, ssh_agent) -> None:  # type: ignore[no-untyped-def]
    install_app_keys(ssh_dir, ("id_rsa",))
    assert secrets.store_passphrase(RSA_SHA256, RSA_PASSPHRASE)
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_rsa")
        await wait_for(pilot, lambda: screen.agent_message is None)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AgentAddScreen))
        assert not app.screen.query("#remember")  # already stored: nothing to ask
        await pilot.press("enter")  # no lifetime
        await wait_for(pilot, lambda: RSA_SHA256 in screen.agent_keys)
        assert ssh_agent.fingerprints() == [RSA_SHA256]


async def test_keys_added_outside_are_marked(ssh_dir: Path, ssh_agent) -> None:  # type: ignore[no-untyped-def]
    install_app_keys(ssh_dir, ("id_ed25519",))
    app = make_app(ssh_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_ed25519")
        assert ssh_agent.ssh_add(str(ssh_dir / "id_ed25519")).returncode == 0
        await wait_for(pilot, lambda: len(screen.agent_keys) == 1)  # noticed by polling
        assert "ssh-agent: 1 loaded" in str(screen.query_one("#status").content)


async def test_the_key_list_uses_the_agent_of_the_services_it_was_given(
    ssh_dir: Path,
    ssh_agent,  # type: ignore[no-untyped-def]
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """make_app(services=...) decides the agent: not whatever SSH_AUTH_SOCK says later."""
    import dataclasses

    from tui.core.settings import Settings
    from tui.services import Services

    install_app_keys(ssh_dir, ("id_ed25519",))
    assert ssh_agent.ssh_add(str(ssh_dir / "id_ed25519")).returncode == 0
    settings = Settings.from_environment()
    monkeypatch.delenv("SSH_AUTH_SOCK")
    app = make_app(ssh_dir, Services.create(settings))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_ed25519")
        await wait_for(pilot, lambda: len(screen.agent_keys) == 1)
        assert "ssh-agent: 1 loaded" in str(screen.query_one("#status").content)

    monkeypatch.setenv("SSH_AUTH_SOCK", str(ssh_agent.socket))
    no_agent = Services.create(dataclasses.replace(settings, ssh_auth_sock=None))
    app = make_app(ssh_dir, no_agent)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await select(pilot, "id_ed25519")
        await wait_for(pilot, lambda: screen.agent_message is not None)
        assert not screen.agent_keys
        assert "no ssh-agent" in str(screen.query_one("#status").content)

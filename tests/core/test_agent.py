"""tui.core.keys.agent against a real ssh-agent, with ssh-add as the oracle."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.keyfactory import keygen
from tui.core.errors import InvalidArgument, PassphraseRequired, WrongPassphrase
from tui.core.keys import agent
from tui.core.keys.public import read_public_key_file


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("600", 600), ("10m", 600), ("1h30m", 5400), ("2d", 172800), ("1w", 604800)],
)
def test_parse_lifetime(text: str, seconds: int) -> None:
    assert agent.parse_lifetime(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "soon", "10x", "-5", "1.5h", "99999999999"])
def test_parse_lifetime_refuses(text: str) -> None:
    with pytest.raises(InvalidArgument, match="not a lifetime"):
        agent.parse_lifetime(text)


async def test_list_add_remove(ssh_dir: Path, ssh_agent) -> None:  # type: ignore[no-untyped-def]
    plain = keygen(ssh_dir / "id_ed25519", "ed25519", comment="")  # no comment: the path is used
    locked = keygen(ssh_dir / "id_ecdsa", "ecdsa", 384, passphrase="pw", comment="ec@test")
    assert await agent.list_keys() == []
    await agent.add_key(plain)
    with pytest.raises(PassphraseRequired):
        await agent.add_key(locked)
    with pytest.raises(WrongPassphrase):
        await agent.add_key(locked, "nope")
    added = await agent.add_key(locked, "pw", lifetime=300)
    assert added.comment == "ec@test"
    listed = await agent.list_keys()
    assert [k.public.line() for k in listed] == ssh_agent.ssh_add("-L").stdout.splitlines()
    assert listed[0].public.comment == str(plain)
    assert listed[1].to_json()["sha256"] == read_public_key_file(Path(f"{locked}.pub")).sha256
    await agent.remove_key(agent.public_key_for(plain))
    assert ssh_agent.fingerprints() == [listed[1].sha256]
    with pytest.raises(agent.AgentError, match="does not hold"):
        await agent.remove_key(agent.public_key_for(plain))


async def test_lifetime_reaches_the_agent(ssh_dir: Path, ssh_agent) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    key = keygen(ssh_dir / "id_rsa", "rsa", 1024)
    await agent.add_key(key, lifetime=1)
    assert len(ssh_agent.fingerprints()) == 1
    for _ in range(100):  # the agent drops it after a second; bounded wait, no timing assert
        if not ssh_agent.fingerprints():
            break
        await asyncio.sleep(0.1)
    assert ssh_agent.fingerprints() == []


async def test_no_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(agent.AgentUnavailable, match="SSH_AUTH_SOCK is not set"):
        await agent.list_keys()
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "gone.sock"))
    with pytest.raises(agent.AgentUnavailable, match="Cannot reach the ssh-agent"):
        await agent.list_keys()

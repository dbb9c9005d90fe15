"""Passwords after keys, as ssh asks them (issue 10, section 1): keyboard-interactive through
``ConnectOptions.ask_password`` (the app) and ``password`` (the CLI's --password-stdin), against
a real sshd with PAM; the secret never reaches the transcript."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.sshd import SshdServer, TestUser
from tui.core.connect import ConnectionFailed, ConnectOptions, Target, open_connection
from tui.core.negotiation import mismatch
from tui.core.probe import ProbeOptions, run_probe
from tui.core.trace import Trace


def _known(server: SshdServer, home: Path) -> Path:
    known = home / "kh"
    known.write_text(server.known_hosts_line() + "\n")
    return known


async def test_keyboard_interactive_asks_like_ssh_and_keeps_the_answer_secret(
    engine_sshd: Callable[..., SshdServer], test_user: TestUser, tmp_path: Path
) -> None:
    server = engine_sshd(
        settings={"KbdInteractiveAuthentication": "yes", "PasswordAuthentication": "no"}
    )
    known = _known(server, tmp_path)
    prompts: list[str] = []

    async def ask(prompt: str) -> str | None:
        prompts.append(prompt)
        return test_user.password

    target = Target(test_user.name, "127.0.0.1", server.port)
    options = ConnectOptions(
        target=target, known_hosts_file=known, use_agent=False, ask_password=ask
    )
    trace = Trace()
    async with await open_connection(options, trace) as conn:
        assert (await conn.run("echo ok")).stdout.strip() == "ok"
    assert trace.auth_method == "keyboard-interactive"
    assert prompts and prompts[0].startswith(f"({test_user.name}@127.0.0.1) ")
    assert "assword" in prompts[0]
    assert all(test_user.password not in line.text for line in trace.lines)
    # giving up (None) is a refusal, not a hang
    refused = ConnectOptions(
        target=target, known_hosts_file=known, use_agent=False, ask_password=_none
    )
    with pytest.raises(ConnectionFailed) as failed:
        await open_connection(refused)
    assert failed.value.outcome == "auth-failed"
    # the CLI's --password-stdin: the same password, tried once, no prompt
    given = ConnectOptions(
        target=target, known_hosts_file=known, use_agent=False, password=test_user.password
    )
    result = await run_probe(ProbeOptions(connect=given))
    assert (result.outcome, result.auth_method) == ("ok", "keyboard-interactive")
    assert all(test_user.password not in line.text for line in result.lines)


async def _none(prompt: str) -> str | None:
    return None


def test_mismatch_follows_ssh_order_and_skips_mac_for_aead() -> None:
    theirs = {
        "kex": ["curve25519-sha256", "kex-strict-s-v00@openssh.com"],
        "hostkey": ["ssh-ed25519"],
        "cipher": ["aes128-cbc"],
        "mac": ["hmac-md5"],
        "compression": ["none"],
    }
    ours = {
        "kex": ["curve25519-sha256", "ext-info-c"],
        "hostkey": ["ssh-ed25519"],
        "cipher": ["aes128-ctr"],
        "mac": ["hmac-sha2-256"],
        "compression": ["none"],
    }
    found = mismatch(theirs, ours)
    assert found is not None and found.kind == "cipher"  # before the MAC, as ssh checks
    assert found.message("h", 22) == (
        "Unable to negotiate with h port 22: no matching cipher found. Their offer: aes128-cbc"
    )
    assert found.fix_line() == "Ciphers +aes128-cbc"
    aead = dict(theirs, cipher=["aes256-gcm@openssh.com"])
    assert mismatch(aead, dict(ours, cipher=["aes256-gcm@openssh.com"])) is None
    kex = mismatch(dict(theirs, kex=["diffie-hellman-group1-sha1"]), ours)
    assert kex is not None and kex.fix_line() == "KexAlgorithms +diffie-hellman-group1-sha1"

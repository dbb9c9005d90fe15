"""tui.core.connect against a real sshd."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser
from tui.core.connect import (
    ConnectionFailed,
    ConnectOptions,
    InvalidTarget,
    Target,
    open_connection,
    parse_target,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host", Target(None, "host", None)),
        ("root@10.0.0.1:2222", Target("root", "10.0.0.1", 2222)),
        ("u@[::1]:22", Target("u", "::1", 22)),
        ("::1", Target(None, "::1", None)),
    ],
)
def test_parse_target(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["", "@host", "host:0", "host:x", "[::1", "a b"])
def test_parse_target_rejects(text: str) -> None:
    with pytest.raises(InvalidTarget):
        parse_target(text)


async def test_key_login_and_accept_new(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path
) -> None:
    key = ssh_dir / "id_ed25519"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(key))
    test_user.authorize(key.with_suffix(".pub").read_text())
    target = Target(test_user.name, "127.0.0.1", sshd.port)
    with pytest.raises(ConnectionFailed) as unknown:
        await open_connection(ConnectOptions(target=target, identities=(key,), use_agent=False))
    assert unknown.value.outcome == "host-key-unknown"
    options = ConnectOptions(target=target, identities=(key,), use_agent=False, accept_new=True)
    async with await open_connection(options) as conn:
        assert (await conn.run("echo ok")).stdout.strip() == "ok"
    # written as ssh writes it: hashed when /etc/ssh/ssh_config says HashKnownHosts yes
    found = ssh_keygen("-F", f"[127.0.0.1]:{sshd.port}", "-f", str(ssh_dir / "known_hosts"))
    assert sshd.known_hosts_line().split()[2] in found.stdout


async def test_wrong_password_and_refused(sshd: SshdServer, test_user: TestUser) -> None:
    known = Path.home() / "kh"
    known.write_text(sshd.known_hosts_line() + "\n")
    target = Target(test_user.name, "127.0.0.1", sshd.port)
    options = ConnectOptions(target=target, known_hosts_file=known, password="wrong-canary")
    with pytest.raises(ConnectionFailed) as failed:
        await open_connection(options)
    assert failed.value.outcome == "auth-failed"
    assert "wrong-canary" not in str(failed.value)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with pytest.raises(ConnectionFailed) as refused:
        await open_connection(ConnectOptions(target=Target(None, "127.0.0.1", closed)))
    assert refused.value.outcome == "connection-refused"

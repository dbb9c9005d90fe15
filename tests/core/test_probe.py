"""tui.core.connect.probe and tui.core.connect.known_hosts: events in order, known_hosts like OpenSSH's."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
from pathlib import Path
from typing import Any

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser
from tests.waiting import eventually, tcp_established
from tui.core.connect import known_hosts as kh
from tui.core.connect.client import ConnectOptions, Target
from tui.core.connect.probe import ProbeOptions, ProbeResult, probe, run_probe, transcript_name
from tui.core.connect.trace import StageEvent, Trace, TranscriptLine
from tui.core.keys.public import read_public_key_file


def _key(path: Path) -> Path:
    assert ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(path)).returncode == 0
    return path


def test_known_hosts_lookup_like_ssh_keygen_F(tmp_path: Path) -> None:
    key = read_public_key_file(_key(tmp_path / "a").with_suffix(".pub"))
    other = read_public_key_file(_key(tmp_path / "b").with_suffix(".pub"))
    salt = b"0123456789abcdef0123"
    digest = hmac.new(salt, b"[10.0.0.5]:2222", hashlib.sha1).digest()
    hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
    known = tmp_path / "known_hosts"
    known.write_text(
        "# comment\n"
        f"[10.0.0.4]:2222 {key.key_type} {key.base64}\n"
        f"{hashed} {key.key_type} {key.base64}\n"
        f"*.example.com,!bad.example.com {other.key_type} {other.base64}\n"
    )
    files = (known,)
    found = kh.check(files, "10.0.0.5", 2222, key)
    assert (found.status, found.matched and found.matched.line) == ("known", 3)
    # ssh-keygen -F finds the same hashed entry
    assert "line 3" in ssh_keygen("-F", "[10.0.0.5]:2222", "-f", str(known)).stdout
    changed = kh.check(files, "10.0.0.4", 2222, other)
    assert changed.status == "changed" and changed.matched and changed.matched.line == 2
    block = "\n".join(kh.changed_lines(changed, other))
    assert f"Offending ED25519 key in {known}:2" in block
    assert key.sha256 in block and other.sha256 in block
    assert kh.check(files, "10.0.0.4", 22, key).status == "unknown"  # port matters
    assert kh.check(files, "www.example.com", 22, other).status == "known"
    assert kh.check(files, "bad.example.com", 22, other).status == "unknown"
    assert kh.known_types(files, "10.0.0.4", 2222) == ["ssh-ed25519"]
    revoked = tmp_path / "revoked"
    revoked.write_text(f"@revoked * {key.key_type} {key.base64}\n")
    assert kh.check((revoked,), "any", 22, key).status == "revoked"


def test_append_matches_ssh_keygen(tmp_path: Path) -> None:
    key = read_public_key_file(_key(tmp_path / "a").with_suffix(".pub"))
    known = tmp_path / "kh"
    known.write_text("host1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBadKey")  # no final newline
    assert kh.append(known, "127.0.0.1", 2222, key) == 2
    assert known.read_text().splitlines()[1] == f"[127.0.0.1]:2222 ssh-ed25519 {key.base64}"
    assert kh.append(known, "server", 22, key) == 3
    assert "line 3" in ssh_keygen("-F", "server", "-f", str(known)).stdout


def test_trace_scrubs_secrets() -> None:
    seen: list[Any] = []
    trace = Trace(sink=seen.append)
    trace.add_secret("hunter2-canary")
    trace.debug(1, "password is hunter2-canary")
    assert seen == [TranscriptLine(1, "debug1: password is ********")]
    assert transcript_name("10.0.0.1") == "ssh.10.0.0.1.debug"
    assert transcript_name("a/b") == "ssh.a_b.debug"


async def test_probe_streams_events_in_order(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path
) -> None:
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    target = Target(test_user.name, "127.0.0.1", sshd.port)
    options = ProbeOptions(connect=ConnectOptions(target=target, debug_level=3))
    events = [event async for event in probe(options)]
    result = events[-1]
    assert isinstance(result, ProbeResult)
    assert result.ok, result.diagnosis
    texts = [e.text for e in events if isinstance(e, TranscriptLine)]
    ends = [e.name for e in events if isinstance(e, StageEvent) and e.ok is not None]
    assert [n for n in ends if not n.startswith("authentication:")] == [
        "resolve",
        "connect",
        "protocol version",
        "key exchange",
        "host key check",
        "authentication",
        "session opened",
    ]
    assert f"authentication: publickey {key}" in ends
    expected = [
        f"debug1: Connecting to 127.0.0.1 [127.0.0.1] port {sshd.port}.",
        f"debug1: Server host key: ssh-ed25519 {sshd.host_public_key.sha256}",
        f"debug1: Host '[127.0.0.1]:{sshd.port}' is known and matches the ED25519 host key.",
        "debug1: Authentications that can continue: publickey,password",
        f'Authenticated to 127.0.0.1 ([127.0.0.1]:{sshd.port}) using "publickey".',
    ]
    positions = [texts.index(line) for line in expected]
    assert positions == sorted(positions)
    assert any(
        t.startswith("debug1: Remote protocol version 2.0, remote software version") for t in texts
    )
    assert any(t.startswith("debug1: kex: algorithm: ") for t in texts)
    offer = f"debug1: Offering public key: {key} ED25519 {read_public_key_file(key.with_suffix('.pub')).sha256}"
    assert offer in texts  # a default name: no "explicit", as ssh prints it
    assert any(t.startswith("debug3: ") for t in texts)  # packet names at -vvv ...
    assert not any("  00000000:" in t or "\n" in t for t in texts)  # ... never their bytes


async def test_cancel_during_connect_leaves_nothing_running(silent_listener: int) -> None:
    target = Target(None, "127.0.0.1", silent_listener)
    task = asyncio.ensure_future(run_probe(ProbeOptions(connect=ConnectOptions(target=target))))
    await eventually(lambda: tcp_established(silent_listener), what="the probe to connect")
    assert not task.done()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()


def test_diagnoses_of_network_errors() -> None:
    import errno

    from tui.core.connect.diagnosis import diagnose

    options = ConnectOptions(target=Target("root", "203.0.113.9", 22))
    trace = Trace(host="203.0.113.9", port=22, user="root")
    unreachable = OSError(errno.ENETUNREACH, "Network is unreachable")
    code, diagnosis, fix = diagnose(unreachable, trace, options, "connect")
    assert code == "network-unreachable" and "203.0.113.9" in diagnosis and fix
    code, diagnosis, _ = diagnose(TimeoutError(), trace, options, "connect")
    assert code == "timeout" and "did not answer within 15 s" in diagnosis
    code, _, _ = diagnose(ConnectionResetError(errno.ECONNRESET, "reset"), trace, options, "kex")
    assert code == "disconnected"
    trace.auth_methods = ["publickey"]
    code, diagnosis, fix = diagnose(_permission_denied(), trace, options, "authentication")
    assert code == "auth-failed" and "no key was offered" in diagnosis


def _permission_denied() -> Exception:
    import asyncssh

    return asyncssh.PermissionDenied("Permission denied")

"""The openssh engine reaches the new outcomes from ssh's own lines, against real sshd set-ups.

Each case is checked against real ``ssh -o BatchMode=yes`` (the oracle): the words the
diagnosis quotes are the words ssh printed, and a suggested fix, applied, logs in.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser, account_tool
from tui.core.connect.client import ConnectOptions, Target
from tui.core.connect.probe import ProbeOptions, ProbeResult, run_probe


def _key(path: Path) -> Path:
    assert ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(path)).returncode == 0
    return path


def _probe(connect: ConnectOptions, command: str | None = None) -> ProbeResult:
    return asyncio.run(run_probe(ProbeOptions(connect=connect, command=command, engine="openssh")))


def _options(user: TestUser, server: SshdServer, key: Path, **changes: Any) -> ConnectOptions:
    base: dict[str, Any] = {
        "target": Target(user.name, "127.0.0.1", server.port),
        "identities": (key,),
        "use_agent": False,
        "timeout": 10,
    }
    base.update(changes)
    return ConnectOptions(**base)


def _ssh(server: SshdServer, user: TestUser, key: Path, *opts: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-i", str(key), "-p", str(server.port), *opts, f"{user.name}@127.0.0.1", "true"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_no_common_cipher_and_kex(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path
) -> None:
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    for extra, keyword, alg in (
        ("Ciphers aes128-cbc", "Ciphers", "aes128-cbc"),
        ("KexAlgorithms diffie-hellman-group14-sha1", "KexAlgorithms", "diffie-hellman-group14-sha1"),
    ):  # fmt: skip
        server = sshd_factory(extra_config=extra)
        (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
        real = _ssh(server, test_user, key, "-o", f"UserKnownHostsFile={ssh_dir / 'known_hosts'}")
        unable = next(ln for ln in real.stderr.splitlines() if ln.startswith("Unable to negotiate"))
        result = _probe(_options(test_user, server, key))
        assert (result.outcome, result.ok) == ("no-common-algorithm", False)
        assert unable in result.diagnosis  # ssh's own words
        fix = f"{keyword} +{alg}"
        assert fix in result.fix
        fixed = _ssh(
            server, test_user, key, "-o", f"{keyword}=+{alg}",
            "-o", f"UserKnownHostsFile={ssh_dir / 'known_hosts'}",
        )  # fmt: skip
        assert fixed.returncode == 0, fixed.stderr  # the fix it names works


def test_partial_success_then_password(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path
) -> None:
    server = sshd_factory(extra_config="AuthenticationMethods publickey,password")
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    real = _ssh(server, test_user, key, "-o", f"UserKnownHostsFile={ssh_dir / 'known_hosts'}")
    assert real.returncode == 255 and "Permission denied (password)" in real.stderr
    partial = _probe(_options(test_user, server, key))
    assert partial.outcome == "auth-partial"
    assert str(key) in partial.diagnosis and "password" in partial.diagnosis
    assert partial.offered_keys[0].accepted
    both = _probe(_options(test_user, server, key, password=test_user.password))
    assert (both.outcome, both.auth_method) == ("ok", "password"), both.diagnosis
    assert all(test_user.password not in line.text for line in both.lines)
    wrong = _probe(_options(test_user, server, key, password="not-it"))
    assert wrong.outcome in ("auth-partial", "auth-failed") and not wrong.ok


def test_password_only_server_with_a_password(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path
) -> None:
    server = sshd_factory(pubkey_auth=False)
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    key = _key(ssh_dir / "id_ed25519")
    ok = _probe(_options(test_user, server, key, password=test_user.password))
    assert (ok.outcome, ok.auth_method) == ("ok", "password"), ok.diagnosis
    assert all(test_user.password not in line.text for line in ok.lines)
    refused = _probe(_options(test_user, server, key))  # BatchMode: no password asked
    assert refused.outcome == "auth-failed"


def test_session_failed(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path
) -> None:
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    server = sshd_factory(extra_config=f"Match User {test_user.name}\n  ForceCommand exit 7")
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    forced = _probe(_options(test_user, server, key))
    assert (forced.outcome, forced.exit_status) == ("session-failed", 7)
    assert "7" in forced.diagnosis
    plain = sshd_factory()
    (ssh_dir / "known_hosts").write_text(plain.known_hosts_line() + "\n")
    account_tool("usermod", "-s", "/usr/sbin/nologin", test_user.name)
    real = _ssh(plain, test_user, key, "-o", f"UserKnownHostsFile={ssh_dir / 'known_hosts'}")
    nologin = _probe(_options(test_user, plain, key))
    assert (nologin.outcome, nologin.exit_status) == ("session-failed", real.returncode)
    assert real.stdout.strip() in nologin.diagnosis  # "This account is currently not available."


def test_changed_key_type_is_never_trusted(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path
) -> None:
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    server = sshd_factory(host_key_type="rsa")
    old = _key(ssh_dir / "old_host").with_suffix(".pub").read_text().split()
    known = ssh_dir / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} {old[0]} {old[1]}\n")
    real = _ssh(server, test_user, key, "-o", f"UserKnownHostsFile={known}",
                "-o", "StrictHostKeyChecking=accept-new")  # fmt: skip
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in real.stderr
    for accept in (False, True):
        result = _probe(_options(test_user, server, key, accept_new=accept))
        assert (result.outcome, result.host_key_status) == ("host-key-changed", "changed")
    assert known.read_text() == f"[127.0.0.1]:{server.port} {old[0]} {old[1]}\n"


def test_proxyjump_names_the_unknown_jump_host(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path
) -> None:
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    jump, target = sshd_factory(), sshd_factory()
    known = ssh_dir / "known_hosts"
    known.write_text(target.known_hosts_line() + "\n")  # the target is known, the jump is not
    (ssh_dir / "config").write_text(
        f"Host far\n  HostName 127.0.0.1\n  Port {target.port}\n  User {test_user.name}\n"
        f"  ProxyJump {test_user.name}@127.0.0.1:{jump.port}\n"
        f"Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n"
    )
    options = ConnectOptions(target=Target(None, "far", None), use_agent=False, timeout=15)
    unknown = _probe(options)
    assert unknown.outcome == "host-key-unknown", unknown.diagnosis
    assert "jump host 127.0.0.1" in unknown.diagnosis
    assert unknown.host_key is not None
    assert unknown.host_key["sha256"] == jump.host_public_key.sha256
    trusted = _probe(ConnectOptions(target=Target(None, "far", None), use_agent=False,
                                    timeout=15, accept_new=True))  # fmt: skip
    assert trusted.outcome == "ok", trusted.diagnosis
    # the jump host's key was added (hashed or not, as /etc/ssh/ssh_config says)
    assert ssh_keygen("-F", f"[127.0.0.1]:{jump.port}", "-f", str(known)).returncode == 0


def test_certificates_checked_as_sshd_checks_them(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path, tmp_path: Path
) -> None:
    ca = _key(tmp_path / "ca")
    server = sshd_factory(extra_config=f"TrustedUserCAKeys {ca.with_suffix('.pub')}")
    known = ssh_dir / "known_hosts"
    known.write_text(server.known_hosts_line() + "\n")
    test_user.authorize(_key(tmp_path / "unrelated").with_suffix(".pub").read_text())
    cases = {
        "valid": (test_user.name, "-1d:+1d", "ok"),
        "expired": (test_user.name, "20200101:20200102", "certificate-invalid"),
        "principal": ("someone-else", "-1d:+1d", "certificate-invalid"),
    }
    for name, (principal, validity, outcome) in cases.items():
        key = _key(ssh_dir / f"id_{name}")
        signed = ssh_keygen("-q", "-s", str(ca), "-I", name, "-n", principal, "-V", validity,
                            str(key.with_suffix(".pub")))  # fmt: skip
        assert signed.returncode == 0, signed.stderr
        real = _ssh(server, test_user, key, "-o", f"UserKnownHostsFile={known}")
        assert real.returncode == (0 if outcome == "ok" else 255), real.stderr
        result = _probe(_options(test_user, server, key))
        assert result.outcome == outcome, (name, result.diagnosis)
        if name == "expired":
            assert "expired" in result.diagnosis
        if name == "principal":
            assert "not a listed principal" in result.diagnosis

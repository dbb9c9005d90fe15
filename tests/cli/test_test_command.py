"""``sshdeck test`` against a real sshd: outcomes, exit codes, JSON, known_hosts, secrets."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser

RunCli = Callable[..., subprocess.CompletedProcess[str]]
STAGES = [
    "resolve",
    "connect",
    "protocol version",
    "key exchange",
    "host key check",
    "authentication",
    "session opened",
]


def make_key(path: Path, passphrase: str = "") -> Path:
    assert ssh_keygen("-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)).returncode == 0
    return path


@pytest.fixture
def login(sshd: SshdServer, test_user: TestUser, ssh_dir: Path) -> tuple[str, str, Path]:
    """A user whose authorized_keys holds ~/.ssh/id_ed25519, and a known_hosts that trusts sshd."""
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    return f"{test_user.name}@127.0.0.1", str(sshd.port), key


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_success_by_key_json_and_command(
    login: tuple[str, str, Path], run_cli: RunCli, sshd: SshdServer
) -> None:
    target, port, key = login
    ok = run_cli("test", target, "-p", port, "-i", str(key), "--json")
    assert ok.returncode == 0, ok.stderr
    doc = report(ok)
    assert doc["ok"] is True and doc["outcome"] == "ok"
    assert [s["name"] for s in doc["stages"]] == STAGES
    assert all(s["ok"] and s["ms"] >= 0 for s in doc["stages"])
    assert doc["host_key"] == {"type": "ssh-ed25519", "sha256": sshd.host_public_key.sha256}
    assert str(doc["server_version"]).startswith("SSH-2.0-OpenSSH_")
    assert doc["kex"] and doc["auth_methods"] == ["publickey", "password"]
    assert doc["accepted_key"] == str(key)
    assert doc["offered_keys"] == [
        {
            "path": str(key),
            "sha256": ssh_keygen("-lf", str(key)).stdout.split()[1],
            "accepted": True,
        }
    ]
    hi = run_cli("test", target, "-p", port, "-i", str(key), "--", "echo", "hi there")
    assert (hi.returncode, hi.stdout) == (0, "hi there\n")
    failing = run_cli("test", target, "-p", port, "-i", str(key), "--", "exit 3")
    assert failing.returncode == 3  # like ssh: the remote command's exit status
    assert "userauth-request" in sshd.log_text()


def test_key_not_authorized(login: tuple[str, str, Path], run_cli: RunCli, ssh_dir: Path) -> None:
    target, port, _key = login
    other = make_key(ssh_dir / "other")
    failed = run_cli("test", target, "-p", port, "-i", str(other), "--json")
    assert failed.returncode == 255
    doc = report(failed)
    assert doc["outcome"] == "auth-failed" and doc["ok"] is False
    user = target.split("@")[0]
    assert f"{user}'s authorized_keys" in str(doc["diagnosis"])
    assert str(other) in str(doc["diagnosis"])
    assert "upload" in str(doc["fix"]).lower()
    assert doc["offered_keys"] == [{"path": str(other), "sha256": doc["offered_keys"][0]["sha256"],
                                    "accepted": False}]  # fmt: skip
    assert doc["accepted_key"] is None
    stage = {s["name"]: s["ok"] for s in doc["stages"]}
    assert stage["host key check"] is True and stage["authentication"] is False
    # the plain run says the same thing on stderr
    plain = run_cli("test", target, "-p", port, "-i", str(other))
    assert plain.returncode == 255 and "authorized_keys" in plain.stderr


def test_password_only_server(
    sshd_factory: Callable[..., SshdServer], test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    server = sshd_factory(pubkey_auth=False)
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    key = make_key(ssh_dir / "id_ed25519")
    failed = run_cli("test", f"{test_user.name}@127.0.0.1", "-p", str(server.port), "--json")
    assert failed.returncode == 255
    doc = report(failed)
    assert doc["outcome"] == "auth-failed"
    assert doc["auth_methods"] == ["password"]
    assert "password" in str(doc["diagnosis"]) and "not keys" in str(doc["diagnosis"])
    assert key.exists()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_closed_port_refused(run_cli: RunCli) -> None:
    result = run_cli("test", "127.0.0.1", "-p", str(_closed_port()), "--json")
    assert result.returncode == 255
    doc = report(result)
    assert doc["outcome"] == "connection-refused"
    assert {k: v for k, v in doc["stages"][-1].items() if k != "ms"} == {
        "name": "connect",
        "ok": False,
    }


def test_silent_listener_times_out(run_cli: RunCli, silent_listener: int, tmp_path: Path) -> None:
    log = tmp_path / "ssh.127.0.0.1.debug"
    start = time.monotonic()
    result = run_cli(
        "test", "127.0.0.1", "-p", str(silent_listener), "--timeout", "1", "--json",
        "--log", str(log),
    )  # fmt: skip
    assert time.monotonic() - start < 20
    assert result.returncode == 255
    doc = report(result)
    assert doc["outcome"] == "timeout"
    assert "no SSH greeting" in str(doc["diagnosis"])
    text = log.read_text()
    assert f"debug1: Connecting to 127.0.0.1 [127.0.0.1] port {silent_listener}." in text
    assert "debug1: Connection established." in text


def test_http_listener_is_not_ssh(run_cli: RunCli, http_listener: int) -> None:
    result = run_cli("test", "127.0.0.1", "-p", str(http_listener), "--timeout", "5", "--json")
    assert result.returncode == 255
    assert report(result)["outcome"] == "not-ssh"


def test_dns_failure(run_cli: RunCli) -> None:
    result = run_cli("test", "no-such-host.invalid", "--timeout", "5", "--json")
    assert result.returncode == 255
    assert report(result)["outcome"] == "dns-failure"


def test_unknown_host_then_accept_new(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    known = tmp_path / "kh"
    target = f"{test_user.name}@127.0.0.1"
    args = ("test", target, "-p", str(sshd.port), "-o", f"UserKnownHostsFile={known}")
    unknown = run_cli(*args)
    assert unknown.returncode == 255
    assert not known.exists()
    assert f"ED25519 key fingerprint is {sshd.host_public_key.sha256}." in unknown.stderr
    assert sshd.host_public_key.randomart() in unknown.stderr
    assert report(run_cli(*args, "--json"))["outcome"] == "host-key-unknown"
    accepted = run_cli(*args, "--accept-new", "--json")
    assert accepted.returncode == 0, accepted.stderr
    assert report(accepted)["outcome"] == "ok"
    # the line ``ssh -o StrictHostKeyChecking=accept-new`` writes (hashed when
    # /etc/ssh/ssh_config says HashKnownHosts yes, as Debian's does)
    name, key_fields = sshd.known_hosts_line().split(" ", 1)
    line = known.read_text()
    assert line.endswith(" " + key_fields + "\n") and line.count("\n") == 1
    assert ssh_keygen("-F", name, "-f", str(known)).returncode == 0
    assert (known.stat().st_mode & 0o777) == 0o600
    again = run_cli(*args, "--accept-new")
    assert again.returncode == 0 and known.read_text().count("\n") == 1
    real = subprocess.run(
        ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known}",
         "-o", "StrictHostKeyChecking=yes", "-i", str(key), "-p", str(sshd.port), target,
         "echo", "trusted"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert real.stdout.strip() == "trusted", real.stderr


def test_changed_host_key_stops_before_authentication(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    impostor = make_key(ssh_dir / "impostor")
    old = impostor.with_suffix(".pub").read_text().split()
    known = ssh_dir / "known_hosts"
    name = f"[127.0.0.1]:{sshd.port}"
    known.write_text(f"# first line\n{name} {old[0]} {old[1]}\n")
    result = run_cli("test", f"{test_user.name}@127.0.0.1", "-p", str(sshd.port), "-i", str(key))
    assert result.returncode == 255
    assert "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @" in result.stderr
    assert f"Offending ED25519 key in {known}:2" in result.stderr
    assert sshd.host_public_key.sha256 in result.stderr
    assert ssh_keygen("-lf", str(impostor)).stdout.split()[1] in result.stderr
    log = sshd.wait_connections_ended()
    assert "Connection from 127.0.0.1" in log
    assert "userauth-request" not in log and "Accepted" not in log
    doc = report(run_cli("test", f"{test_user.name}@127.0.0.1", "-p", str(sshd.port), "--json"))
    assert doc["outcome"] == "host-key-changed" and doc["offered_keys"] == []
    assert known.read_text().count("\n") == 2  # never rewritten


def test_config_alias(
    login: tuple[str, str, Path], run_cli: RunCli, ssh_dir: Path, tmp_path: Path
) -> None:
    target, port, key = login
    user = target.split("@")[0]
    moved = tmp_path / "deploy_key"
    key.rename(moved)
    config = tmp_path / "cfg"
    config.write_text(
        f"Host box\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
        f"  IdentityFile {moved}\n  IdentitiesOnly yes\n"
    )
    doc = report(run_cli("test", "box", "-F", str(config), "--json"))
    assert doc["outcome"] == "ok", doc
    assert doc["accepted_key"] == str(moved)
    (ssh_dir / "config").write_text(config.read_text())
    assert run_cli("test", "box").returncode == 0


def test_encrypted_key_with_passphrase_on_stdin_and_secret_free_log(
    login: tuple[str, str, Path], run_cli: RunCli, ssh_dir: Path, tmp_path: Path
) -> None:
    target, port, _key = login
    canary = "canary-Passphrase-7f3a"
    locked = make_key(ssh_dir / "locked", canary)
    user_home = Path("/home") / target.split("@")[0]
    (user_home / ".ssh" / "authorized_keys").write_text(locked.with_suffix(".pub").read_text())
    args = ("test", target, "-p", port, "-i", str(locked))
    missing = run_cli(*args, "--json")
    assert missing.returncode == 255
    doc = report(missing)
    assert doc["outcome"] == "key-needs-passphrase"
    assert "Skipping" in missing.stderr
    log = tmp_path / "ssh.127.0.0.1.debug"
    ok = run_cli(*args, "-vvv", "--passphrase-stdin", "--log", str(log), input=canary + "\n")
    assert ok.returncode == 0, ok.stderr
    assert "debug3:" in ok.stderr and 'using "publickey"' in ok.stderr
    wrong = run_cli(*args, "--passphrase-stdin", "--json", input="not-it\n")
    assert report(wrong)["outcome"] == "key-needs-passphrase"
    assert "wrong" in str(report(wrong)["diagnosis"])
    text = log.read_text()
    assert "Authenticated to 127.0.0.1 ([127.0.0.1]:" in text
    for output in (ok.stdout, ok.stderr, text, wrong.stdout, wrong.stderr):
        assert canary not in output
        assert "PRIVATE KEY" not in output
    assert (log.stat().st_mode & 0o777) == 0o600


def test_unprotected_key_is_refused_like_ssh(login: tuple[str, str, Path], run_cli: RunCli) -> None:
    target, port, key = login
    os.chmod(key, 0o644)
    result = run_cli("test", target, "-p", port, "-i", str(key), "--json")
    assert result.returncode == 255
    doc = report(result)
    assert doc["outcome"] == "key-permissions"
    assert f"chmod 600 {key}" in str(doc["fix"])
    assert "UNPROTECTED PRIVATE KEY FILE" in result.stderr


def test_usage_errors_exit_2(run_cli: RunCli) -> None:
    assert run_cli("test", "host", "--engine", "telnet").returncode == 2
    unknown = run_cli("test", "host", "-o", "ForwardX11=yes")
    assert unknown.returncode == 2 and "ForwardX11" in unknown.stderr  # named, not honoured
    assert run_cli("test", "@host").returncode == 2
    assert run_cli("test").returncode == 2
    missing = run_cli("test", "host", "-F", "/nonexistent/config")
    assert missing.returncode == 2 and "check -F" in missing.stderr
    assert run_cli("test", "host", "-i", "/nonexistent/key").returncode == 2


def test_proxy_jump_from_config(
    login: tuple[str, str, Path], run_cli: RunCli, tmp_path: Path
) -> None:
    target, port, key = login
    user = target.split("@")[0]
    config = tmp_path / "cfg"
    config.write_text(
        f"Host jump\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {key}\n"
        f"Host inner\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
        f"  IdentityFile {key}\n  ProxyJump jump\n"
    )
    result = run_cli("test", "inner", "-F", str(config), "--json", "-v")
    assert result.returncode == 0, result.stderr
    doc = report(result)
    assert doc["outcome"] == "ok" and doc["accepted_key"] == str(key)
    assert [s["name"] for s in doc["stages"]] == STAGES  # resolve: done by the jump host


def test_agent_keys_first_and_banner(
    sshd_factory: Callable[..., SshdServer],
    test_user: TestUser,
    ssh_dir: Path,
    run_cli: RunCli,
    ssh_agent: Any,
) -> None:
    server = sshd_factory(banner="Authorized use only.\n")
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    in_agent = make_key(ssh_dir / "agent_key")
    on_disk = make_key(ssh_dir / "id_ed25519")
    assert ssh_agent.ssh_add(str(in_agent)).returncode == 0
    test_user.authorize(on_disk.with_suffix(".pub").read_text())
    target = f"{test_user.name}@127.0.0.1"
    result = run_cli("test", target, "-p", str(server.port), "-v", "--json")
    assert result.returncode == 0, result.stderr
    doc = report(result)
    # the agent's key first (refused), then the default file (accepted), as ssh orders them
    assert [k["accepted"] for k in doc["offered_keys"]] == [False, True]
    assert doc["offered_keys"][0]["path"] is None  # an agent key without a file
    assert doc["accepted_key"] == str(on_disk)
    assert "Authorized use only." in result.stderr
    offers = [ln for ln in result.stderr.splitlines() if "Offering public key" in ln]
    assert offers[0].endswith(" agent") and not offers[1].endswith(" agent")
    # IdentitiesOnly: only the named file, the agent's other key is not offered
    config = ssh_dir / "config"
    config.write_text(f"Host *\n  IdentitiesOnly yes\n  IdentityFile {on_disk}\n")
    only = report(run_cli("test", target, "-p", str(server.port), "--json"))
    assert [k["path"] for k in only["offered_keys"]] == [str(on_disk)]


def test_encrypted_key_passphrase_from_the_keyring(
    login: tuple[str, str, Path], run_cli: RunCli, ssh_dir: Path
) -> None:
    from tui.core.secrets import store_passphrase

    target, port, _key = login
    locked = make_key(ssh_dir / "locked", "kept in the keyring")
    home = Path("/home") / target.split("@")[0]
    (home / ".ssh" / "authorized_keys").write_text(locked.with_suffix(".pub").read_text())
    sha256 = ssh_keygen("-lf", str(locked)).stdout.split()[1]
    assert store_passphrase(sha256, "kept in the keyring")
    result = run_cli("test", target, "-p", port, "-i", str(locked), "-v")
    assert result.returncode == 0, result.stderr
    assert "found in the keyring" in result.stderr
    assert "kept in the keyring" not in result.stderr.replace("found in the keyring", "")

"""``--engine openssh`` on the same cases: system ssh's own lines, same outcomes and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_test_command import (
    RunCli,
    _closed_port,
    login,
    make_key,
)
from tests.fixtures.listeners import canned_listener
from tests.fixtures.sshd import SshdServer, TestUser

__all__ = ["login"]  # fixtures used here


def both(run_cli: RunCli, *args: str) -> tuple[dict[str, Any], dict[str, Any], int, int]:
    ours = run_cli("test", *args, "--json")
    theirs = run_cli("test", *args, "--json", "--engine", "openssh")
    return json.loads(ours.stdout), json.loads(theirs.stdout), ours.returncode, theirs.returncode


def test_success_and_wrong_key(
    login: tuple[str, str, Path], run_cli: RunCli, ssh_dir: Path
) -> None:
    target, port, key = login
    ours, theirs, rc1, rc2 = both(run_cli, target, "-p", port, "-i", str(key))
    assert (ours["outcome"], theirs["outcome"], rc1, rc2) == ("ok", "ok", 0, 0)
    assert theirs["engine"] == "openssh"
    assert theirs["host_key"] == ours["host_key"]
    assert theirs["server_version"] == ours["server_version"]
    assert theirs["accepted_key"] == str(key)
    assert [s["name"] for s in theirs["stages"]] == [s["name"] for s in ours["stages"]]
    streamed = run_cli("test", target, "-p", port, "-i", str(key), "--engine", "openssh", "-v")
    assert "Authenticated to 127.0.0.1 ([127.0.0.1]:" in streamed.stderr
    assert "debug1: Remote protocol version 2.0" in streamed.stderr
    echoed = run_cli(
        "test", target, "-p", port, "-i", str(key), "--engine", "openssh", "--", "exit 4"
    )
    assert echoed.returncode == 4
    other = make_key(ssh_dir / "other")
    ours, theirs, rc1, rc2 = both(run_cli, target, "-p", port, "-i", str(other))
    assert (ours["outcome"], theirs["outcome"], rc1, rc2) == ("auth-failed",) * 2 + (255, 255)
    assert theirs["offered_keys"] == ours["offered_keys"]
    assert theirs["auth_methods"] == ["publickey", "password"]


def test_network_failures(run_cli: RunCli, silent_listener: int, http_listener: int) -> None:
    cases = {
        "connection-refused": str(_closed_port()),
        "timeout": str(silent_listener),
        "not-ssh": str(http_listener),
    }
    for outcome, port in cases.items():
        ours, theirs, rc1, rc2 = both(run_cli, "127.0.0.1", "-p", port, "--timeout", "2")
        assert (ours["outcome"], theirs["outcome"], rc1, rc2) == (outcome, outcome, 255, 255)


def test_host_keys(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    key = make_key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    target = f"{test_user.name}@127.0.0.1"
    known = tmp_path / "kh"
    args = (target, "-p", str(sshd.port), "-i", str(key), "-o", f"UserKnownHostsFile={known}")
    ours, theirs, rc1, rc2 = both(run_cli, *args)
    assert (ours["outcome"], theirs["outcome"], rc1, rc2) == ("host-key-unknown",) * 2 + (255,) * 2
    real = run_cli("test", *args, "--accept-new", "--engine", "openssh")
    assert real.returncode == 0, real.stderr
    ssh_line = known.read_text()
    known.unlink()
    assert run_cli("test", *args, "--accept-new").returncode == 0
    # the same key real ssh wrote (hashed or not as /etc/ssh/ssh_config says: Debian's has
    # HashKnownHosts yes, which both engines read, each with its own salt)
    assert known.read_text().split()[1:] == ssh_line.split()[1:]
    impostor = make_key(ssh_dir / "impostor").with_suffix(".pub").read_text().split()
    known.write_text(f"[127.0.0.1]:{sshd.port} {impostor[0]} {impostor[1]}\n")
    ours, theirs, rc1, rc2 = both(run_cli, *args)
    assert (ours["outcome"], theirs["outcome"]) == ("host-key-changed",) * 2
    assert (rc1, rc2) == (255, 255)


@pytest.mark.parametrize("problem", ["permissions", "passphrase"])
def test_key_problems(
    login: tuple[str, str, Path], run_cli: RunCli, ssh_dir: Path, problem: str
) -> None:
    target, port, key = login
    if problem == "permissions":
        os.chmod(key, 0o640)
        expected = "key-permissions"
    else:
        locked = make_key(ssh_dir / "locked", "a passphrase")
        home = Path("/home") / target.split("@")[0]
        (home / ".ssh" / "authorized_keys").write_text(locked.with_suffix(".pub").read_text())
        key, expected = locked, "key-needs-passphrase"
    ours, theirs, rc1, rc2 = both(run_cli, target, "-p", port, "-i", str(key))
    assert (ours["outcome"], theirs["outcome"], rc1, rc2) == (expected, expected, 255, 255)


def test_passphrase_on_stdin(login: tuple[str, str, Path], run_cli: RunCli, ssh_dir: Path) -> None:
    target, port, _key = login
    canary = "openssh-engine-canary-42"
    locked = make_key(ssh_dir / "locked", canary)
    home = Path("/home") / target.split("@")[0]
    (home / ".ssh" / "authorized_keys").write_text(locked.with_suffix(".pub").read_text())
    args = ("test", target, "-p", port, "-i", str(locked), "--passphrase-stdin", "--json")
    for engine in ("asyncssh", "openssh"):
        ok = run_cli(*args, "--engine", engine, "-vvv", input=canary + "\n")
        assert (ok.returncode, json.loads(ok.stdout)["outcome"]) == (0, "ok"), ok.stderr
        assert canary not in ok.stdout + ok.stderr
        wrong = run_cli(*args, "--engine", engine, input="wrong\n")
        assert wrong.returncode == 255
        doc = json.loads(wrong.stdout)
        assert doc["outcome"] == "key-needs-passphrase" and "wrong" in doc["diagnosis"]


def test_server_that_hangs_up_after_its_greeting(run_cli: RunCli) -> None:
    with canned_listener(b"SSH-2.0-OpenSSH_9.2p1 overloaded\r\n") as port:
        ours, theirs, rc1, rc2 = both(run_cli, "127.0.0.1", "-p", str(port), "--timeout", "5")
    assert (ours["outcome"], theirs["outcome"], rc1, rc2) == ("disconnected",) * 2 + (255,) * 2
    assert ours["server_version"] == "SSH-2.0-OpenSSH_9.2p1 overloaded"

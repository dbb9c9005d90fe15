"""``sshdeck agent``: checked against the real ssh-add, with a real ssh-agent per test."""

from __future__ import annotations

import json
from pathlib import Path

from tests.keyfactory import keygen
from tui.core import secrets
from tui.core.keys.public import read_public_key_file


def _fp(pub: Path) -> str:
    return read_public_key_file(pub).sha256


def test_list_add_remove_match_ssh_add(ssh_dir: Path, ssh_agent, run_cli) -> None:  # type: ignore[no-untyped-def]
    plain = keygen(ssh_dir / "id_ed25519", "ed25519", comment="plain@test")
    locked = keygen(ssh_dir / "id_rsa", "rsa", 2048, passphrase="secret words", comment="rsa@test")
    assert run_cli("agent", "list").stdout == "The agent has no identities.\n"

    done = run_cli("agent", "add", "-f", str(plain))
    assert done.returncode == 0, done.stderr
    done = run_cli(
        "agent", "add", "-f", str(locked), "-t", "600", "--passphrase-stdin", input="secret words\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Lifetime set to 600 seconds" in done.stdout
    assert sorted(ssh_agent.fingerprints()) == sorted(
        [_fp(Path(f"{plain}.pub")), _fp(Path(f"{locked}.pub"))]
    )

    listed = run_cli("agent", "list")
    assert listed.stdout == ssh_agent.ssh_add("-l").stdout
    assert run_cli("agent", "list", "--public").stdout == ssh_agent.ssh_add("-L").stdout
    document = json.loads(run_cli("agent", "list", "--json").stdout)
    assert {k["sha256"] for k in document["keys"]} == set(ssh_agent.fingerprints())

    removed = run_cli("agent", "remove", "-f", str(locked), "--json")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout)["removed"]["sha256"] == _fp(Path(f"{locked}.pub"))
    assert ssh_agent.fingerprints() == [_fp(Path(f"{plain}.pub"))]
    again = run_cli("agent", "remove", "-f", str(locked))
    assert again.returncode == 1 and "does not hold" in again.stderr


def test_add_takes_the_passphrase_from_the_keyring(ssh_dir: Path, ssh_agent, run_cli) -> None:  # type: ignore[no-untyped-def]
    locked = keygen(ssh_dir / "id_ecdsa", "ecdsa", 256, passphrase="from keyring")
    assert secrets.store_passphrase(_fp(Path(f"{locked}.pub")), "from keyring")
    done = run_cli("agent", "add", "-f", str(locked))
    assert done.returncode == 0, done.stderr
    assert ssh_agent.fingerprints() == [_fp(Path(f"{locked}.pub"))]


def test_wrong_or_missing_passphrase_and_usage(ssh_dir: Path, ssh_agent, run_cli) -> None:  # type: ignore[no-untyped-def]
    locked = keygen(ssh_dir / "id_rsa", "rsa", 1024, passphrase="right")
    wrong = run_cli("agent", "add", "-f", str(locked), "-P", "wrong")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    missing = run_cli("agent", "add", "-f", str(locked))  # no terminal to ask on
    assert missing.returncode == 1 and "passphrase" in missing.stderr.lower()
    assert run_cli("agent", "add", "-f", str(locked), "-t", "soon").returncode == 2
    assert run_cli("agent", "frobnicate").returncode == 2
    assert ssh_agent.fingerprints() == []


def test_no_agent(ssh_dir: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    plain = keygen(ssh_dir / "id_ed25519", "ed25519")
    for args in (("agent", "list"), ("agent", "add", "-f", str(plain))):
        done = run_cli(*args)
        assert done.returncode == 1
        assert "No ssh-agent is running" in done.stderr and "Traceback" not in done.stderr


def test_add_prompts_on_a_terminal(ssh_dir: Path, ssh_agent) -> None:  # type: ignore[no-untyped-def]
    """No -P and nothing in the keyring: the passphrase is asked on the terminal (util-linux
    ``script`` provides a real pty as the controlling terminal)."""
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    locked = keygen(ssh_dir / "id_ed25519", "ed25519", passphrase="typed at the prompt")
    command = f"{sys.executable} -m tui agent add -f {locked}"
    proc = subprocess.Popen(
        ["script", "-qec", command, "/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    seen = b""
    while b"Enter passphrase" not in seen:
        chunk = proc.stdout.read1(256)  # type: ignore[attr-defined]
        assert chunk, seen
        seen += chunk
    proc.stdin.write(b"typed at the prompt\n")
    proc.stdin.flush()
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, seen + rest
    assert b"Identity added" in rest and b"typed at the prompt" not in seen + rest
    assert ssh_agent.fingerprints() == [_fp(Path(f"{locked}.pub"))]

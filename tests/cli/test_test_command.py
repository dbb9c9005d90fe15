"""``sshdeck test`` against a real sshd: exit codes and JSON."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_login_with_key_and_command(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path, run_cli: RunCli
) -> None:
    key = ssh_dir / "id_ed25519"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(key))
    test_user.authorize(key.with_suffix(".pub").read_text())
    target = f"{test_user.name}@127.0.0.1"
    port = str(sshd.port)
    unknown = run_cli("test", target, "-p", port, "-i", str(key), "--json")
    assert unknown.returncode == 255
    assert json.loads(unknown.stdout)["outcome"] == "host-key-unknown"
    ok = run_cli("test", target, "-p", port, "-i", str(key), "--accept-new", "--", "echo", "hi")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "hi"
    again = run_cli("test", target, "-p", port, "-i", str(key), "--json")
    report = json.loads(again.stdout)
    assert report["ok"] is True
    assert report["host_key"]["sha256"] == sshd.host_public_key.sha256


def test_usage_error_exits_2(run_cli: RunCli) -> None:
    assert run_cli("test", "host", "--engine", "telnet").returncode == 2


def test_silent_listener_times_out_and_log_is_saved(run_cli: RunCli, tmp_path: Path) -> None:
    import socket

    silent = socket.create_server(("127.0.0.1", 0))
    try:
        log = tmp_path / "ssh.127.0.0.1.debug"
        port = str(silent.getsockname()[1])
        quiet = run_cli(
            "test", "127.0.0.1", "-p", port, "--timeout", "1", "--json", "--log", str(log)
        )
        assert quiet.returncode == 255
        assert json.loads(quiet.stdout)["outcome"] == "timeout"
        assert "debug1: Connecting to 127.0.0.1 [127.0.0.1] port" in log.read_text()
    finally:
        silent.close()

"""The sshd and test-user fixtures themselves: a real login with OpenSSH's ssh client."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser


def test_key_login_against_fixture_sshd(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path
) -> None:
    key = ssh_dir / "id_ed25519"
    assert ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(key)).returncode == 0
    test_user.authorize(key.with_suffix(".pub").read_text())
    known = ssh_dir / "known_hosts"
    known.write_text(sshd.known_hosts_line() + "\n")
    result = subprocess.run(
        [
            "ssh",
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={known}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-i",
            str(key),
            "-p",
            str(sshd.port),
            f"{test_user.name}@127.0.0.1",
            "echo ok",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.strip() == "ok", result.stderr + sshd.log_text()
    assert "Accepted publickey" in sshd.log_text()

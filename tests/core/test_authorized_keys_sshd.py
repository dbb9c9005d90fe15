"""The installer against a real OpenSSH sshd on 127.0.0.1 with a real test user.

Stopgap: the shared ``sshd``/``test_user`` fixtures (tests/fixtures/sshd.py) had not landed
when this was written, so a minimal local server and user are started here; switch to the
shared fixtures once they exist.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tui.core.keys import read_public_key_file
from tui.core.upload.authorized_keys import (
    ConnectOptions,
    HostProgress,
    HostTarget,
    install,
    install_many,
)


@dataclass
class LocalSshd:
    port: int
    user: str
    home: Path
    known_hosts: Path
    login_key: Path
    password: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def local_sshd(tmp_path: Path) -> Iterator[LocalSshd]:
    # not under /tmp: the test user must reach its home, and StrictModes refuses /tmp (1777)
    base = Path(tempfile.mkdtemp(prefix="sshdeck-sshd-", dir="/home"))
    os.chmod(base, 0o755)
    host_key = base / "host_ed25519"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(host_key))
    name = "sdk" + secrets.token_hex(4)
    home = base / name
    subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/sh", name], check=True)
    password = "pw-" + secrets.token_hex(8)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    try:
        home.mkdir(mode=0o755)
        pw = subprocess.run(["id", "-u", name], capture_output=True, text=True, check=True)
        gid = subprocess.run(["id", "-g", name], capture_output=True, text=True, check=True)
        os.chown(home, int(pw.stdout), int(gid.stdout))
        login_key = base / "login"
        ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(login_key))
        auth_dir = base / "auth"
        auth_dir.mkdir(mode=0o755)
        (auth_dir / name).write_text((base / "login.pub").read_text())
        os.chmod(auth_dir / name, 0o644)
        port = _free_port()
        config = base / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1:{port}\nHostKey {host_key}\nPidFile none\n"
            f"AuthorizedKeysFile .ssh/authorized_keys {auth_dir}/%u\n"
            "StrictModes yes\nUsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
            f"AllowUsers {name}\nSubsystem sftp internal-sftp\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        process = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(base / "log")]
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        known = base / "known_hosts"
        line = (base / "host_ed25519.pub").read_text().split()
        known.write_text(f"[127.0.0.1]:{port} {line[0]} {line[1]}\n")
        try:
            yield LocalSshd(port, name, home, known, login_key, password)
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def new_key(tmp_path: Path) -> Path:
    path = tmp_path / "new_key"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-C", "new@test", "-f", str(path))
    return path


def _options(server: LocalSshd, **changes: object) -> ConnectOptions:
    values: dict[str, object] = {
        "target": HostTarget("127.0.0.1", server.user, server.port),
        "identities": (server.login_key,),
        "known_hosts_file": server.known_hosts,
        "use_agent": False,
    }
    values.update(changes)
    return ConnectOptions(**values)  # type: ignore[arg-type]


def _ssh_with(server: LocalSshd, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", "none", "-i", str(key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", f"UserKnownHostsFile={server.known_hosts}", "-o", "StrictHostKeyChecking=yes",
         "-p", str(server.port), f"{server.user}@127.0.0.1", "echo", "ok"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


async def test_creates_ssh_dir_and_file_then_new_key_logs_in(
    local_sshd: LocalSshd, new_key: Path
) -> None:
    assert _ssh_with(local_sshd, new_key).returncode != 0
    public = read_public_key_file(new_key.with_suffix(".pub"))
    events: list[HostProgress] = []
    result = await install(
        public, _options(local_sshd), verify_with=new_key, on_progress=events.append
    )
    assert (result.result, result.error) == ("installed", None), result.error
    ssh_dir = local_sshd.home / ".ssh"
    assert stat.S_IMODE(ssh_dir.stat().st_mode) == 0o700
    auth = ssh_dir / "authorized_keys"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    assert auth.read_bytes() == public.line().encode() + b"\n"
    assert [e.stage for e in events] == [
        "connecting",
        "checking",
        "installing",
        "verifying",
        "done",
    ]
    assert _ssh_with(local_sshd, new_key).stdout.strip() == "ok"
    again = await install(public, _options(local_sshd))
    assert again.result == "already-present"


async def test_keeps_file_without_final_newline_and_its_mode(
    local_sshd: LocalSshd, new_key: Path
) -> None:
    ssh_dir = local_sshd.home / ".ssh"
    ssh_dir.mkdir(mode=0o700)
    auth = ssh_dir / "authorized_keys"
    existing = b"# kept as is\r\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJunk no-newline"
    auth.write_bytes(existing)
    os.chmod(auth, 0o640)
    uid, gid = local_sshd.home.stat().st_uid, local_sshd.home.stat().st_gid
    os.chown(ssh_dir, uid, gid)
    os.chown(auth, uid, gid)
    public = read_public_key_file(new_key.with_suffix(".pub"))
    result = await install(public, _options(local_sshd))
    assert result.result == "installed"
    assert auth.read_bytes() == existing + b"\n" + public.line().encode() + b"\n"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o640


async def test_dry_run_changes_nothing(local_sshd: LocalSshd, new_key: Path) -> None:
    public = read_public_key_file(new_key.with_suffix(".pub"))
    result = await install(public, _options(local_sshd), dry_run=True)
    assert result.result == "would-install"
    assert not (local_sshd.home / ".ssh").exists()


async def test_options_prefixed_line_counts_as_present(
    local_sshd: LocalSshd, new_key: Path
) -> None:
    public = read_public_key_file(new_key.with_suffix(".pub"))
    ssh_dir = local_sshd.home / ".ssh"
    ssh_dir.mkdir(mode=0o700)
    auth = ssh_dir / "authorized_keys"
    content = f'no-pty,from="127.0.0.1" {public.key_type} {public.base64} other\n'.encode()
    auth.write_bytes(content)
    uid, gid = local_sshd.home.stat().st_uid, local_sshd.home.stat().st_gid
    os.chown(ssh_dir, uid, gid)
    os.chown(auth, uid, gid)
    result = await install(public, _options(local_sshd))
    assert result.result == "already-present"
    assert auth.read_bytes() == content


async def test_unknown_host_key_refused_and_one_unreachable_host_does_not_stop_others(
    local_sshd: LocalSshd, new_key: Path, tmp_path: Path
) -> None:
    public = read_public_key_file(new_key.with_suffix(".pub"))
    refused = await install(
        public, _options(local_sshd, known_hosts_file=tmp_path / "missing_known_hosts")
    )
    assert refused.result == "failed" and "host key" in (refused.error or "")
    results = await install_many(
        public,
        [
            _options(local_sshd, target=HostTarget("127.0.0.1", local_sshd.user, _free_port())),
            _options(local_sshd),
        ],
        parallel=2,
    )
    assert [r.result for r in results] == ["failed", "installed"]


def test_cli_password_bootstrap_then_key_login(
    run_cli, local_sshd: LocalSshd, new_key: Path
) -> None:
    target = f"{local_sshd.user}@127.0.0.1:{local_sshd.port}"
    known = f"UserKnownHostsFile={local_sshd.known_hosts}"
    pub = str(new_key.with_suffix(".pub"))
    dry = run_cli("copy-id", "-i", pub, "-n", "--password-stdin", "-o", known, "--json", target,
                  input=local_sshd.password + "\n")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["hosts"][0]["result"] == "would-install"
    assert not (local_sshd.home / ".ssh").exists()
    result = run_cli("copy-id", "-i", pub, "--password-stdin", "-o", known, "--json", target,
                     input=local_sshd.password + "\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "hosts": [
            {
                "host": "127.0.0.1",
                "user": local_sshd.user,
                "port": local_sshd.port,
                "result": "installed",
                "error": None,
            }
        ]
    }
    assert local_sshd.password not in result.stdout + result.stderr
    assert _ssh_with(local_sshd, new_key).stdout.strip() == "ok"
    wrong = run_cli("copy-id", "-i", pub, "--password-stdin", "-o", known, target, input="nope\n")
    assert wrong.returncode == 1
    assert "refused" in wrong.stderr and "Traceback" not in wrong.stderr


async def test_changed_host_key_is_refused(
    local_sshd: LocalSshd, new_key: Path, tmp_path: Path
) -> None:
    impostor = tmp_path / "impostor"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(impostor))
    kind, blob = impostor.with_suffix(".pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{local_sshd.port} {kind} {blob}\n")
    public = read_public_key_file(new_key.with_suffix(".pub"))
    result = await install(public, _options(local_sshd, known_hosts_file=known, accept_new=True))
    assert result.result == "failed" and "host key" in (result.error or "")
    assert not (local_sshd.home / ".ssh").exists()


async def test_accept_new_records_the_host_key(
    local_sshd: LocalSshd, new_key: Path, tmp_path: Path
) -> None:
    known = tmp_path / "fresh" / "known_hosts"
    public = read_public_key_file(new_key.with_suffix(".pub"))
    result = await install(public, _options(local_sshd, known_hosts_file=known, accept_new=True))
    assert result.result == "installed", result.error
    assert known.read_text() == local_sshd.known_hosts.read_text()
    assert stat.S_IMODE(known.stat().st_mode) == 0o600


async def test_encrypted_private_key_skips_verification(
    local_sshd: LocalSshd, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    ssh_keygen("-q", "-t", "ed25519", "-N", "a passphrase", "-f", str(locked))
    public = read_public_key_file(locked.with_suffix(".pub"))
    events: list[HostProgress] = []
    result = await install(
        public, _options(local_sshd), verify_with=locked, on_progress=events.append
    )
    assert result.result == "installed", result.error
    assert "verifying" not in [e.stage for e in events]


async def test_failed_verification_says_the_key_was_added(
    local_sshd: LocalSshd, new_key: Path
) -> None:
    os.chmod(local_sshd.home, 0o777)  # sshd's StrictModes then ignores ~/.ssh/authorized_keys
    public = read_public_key_file(new_key.with_suffix(".pub"))
    result = await install(public, _options(local_sshd), verify_with=new_key)
    assert result.result == "failed"
    assert "was added" in (result.error or "")

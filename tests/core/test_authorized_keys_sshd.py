"""The installer against a real OpenSSH sshd on 127.0.0.1 with a real test user."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from tests.conftest import ssh_keygen
from tests.fixtures.agent import Agent
from tests.fixtures.hosts import CopyHost
from tui.core.connect.client import Target
from tui.core.keys.public import read_public_key_file
from tui.core.secrets import store_passphrase
from tui.core.upload.authorized_keys import HostProgress
from tui.core.upload.install_run import install, install_many


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_password_bootstrap_creates_ssh_dir_then_new_key_logs_in(
    copy_host: CopyHost, copy_key: Path
) -> None:
    assert not copy_host.ssh_dir.exists()
    assert copy_host.ssh_login(copy_key).returncode != 0
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    events: list[HostProgress] = []
    result = await install(
        public, copy_host.options(), verify_with=copy_key, on_progress=events.append
    )
    assert (result.result, result.error, result.verified) == ("installed", None, True)
    assert result.user == copy_host.user.name
    assert stat.S_IMODE(copy_host.ssh_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(copy_host.authorized_keys.stat().st_mode) == 0o600
    owner = copy_host.authorized_keys.stat()
    assert (owner.st_uid, owner.st_gid) == (copy_host.user.uid, copy_host.user.gid)
    assert copy_host.authorized_keys.read_bytes() == public.line().encode() + b"\n"
    assert [e.stage for e in events] == [
        "connecting",
        "checking",
        "installing",
        "verifying",
        "done",
    ]
    assert events[-1].result == result
    login = copy_host.ssh_login(copy_key)
    assert login.stdout.strip() == "ok", login.stderr
    again = await install(public, copy_host.options())
    assert again.result == "already-present"
    assert copy_host.authorized_keys.read_bytes() == public.line().encode() + b"\n"


async def test_key_login_keeps_file_without_final_newline_and_its_mode(
    copy_host: CopyHost, copy_key: Path, tmp_path: Path
) -> None:
    login = tmp_path / "login"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(login))
    existing = (
        b"# kept as is\r\n"
        + login.with_suffix(".pub").read_bytes().rstrip(b"\n")
        + b"\n\xff not utf-8 junk\tno final newline"
    )
    copy_host.write_authorized(existing, mode=0o640)
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    options = copy_host.options(password=None, identities=(login,))
    result = await install(public, options, verify_with=copy_key)
    assert (result.result, result.verified) == ("installed", True), result.error
    assert (
        copy_host.authorized_keys.read_bytes() == existing + b"\n" + public.line().encode() + b"\n"
    )
    assert stat.S_IMODE(copy_host.authorized_keys.stat().st_mode) == 0o640
    assert [p.name for p in copy_host.ssh_dir.iterdir()] == ["authorized_keys"]  # no temp left


async def test_options_prefixed_line_counts_as_present(copy_host: CopyHost, copy_key: Path) -> None:
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    content = f'no-pty,from="127.0.0.1" {public.key_type} {public.base64} other\n'.encode()
    copy_host.write_authorized(content)
    before = copy_host.authorized_keys.stat()
    result = await install(public, copy_host.options(), verify_with=copy_key)
    assert (result.result, result.verified) == ("already-present", None)
    assert copy_host.authorized_keys.read_bytes() == content
    assert copy_host.authorized_keys.stat().st_ino == before.st_ino  # not even rewritten


async def test_dry_run_changes_nothing_not_even_known_hosts(
    copy_host: CopyHost, copy_key: Path, tmp_path: Path
) -> None:
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    fresh_known = tmp_path / "fresh_known_hosts"
    result = await install(
        public, copy_host.options(known_hosts_file=fresh_known, accept_new=True), dry_run=True
    )
    assert result.result == "would-install", result.error
    assert "create ~/.ssh (0700)" in (result.detail or "")
    assert not copy_host.ssh_dir.exists()
    assert not fresh_known.exists()
    copy_host.write_authorized(b"# only a comment")
    result = await install(public, copy_host.options(), dry_run=True)
    assert result.result == "would-install"
    assert copy_host.authorized_keys.read_bytes() == b"# only a comment"


async def test_unknown_and_changed_host_keys_are_refused(
    copy_host: CopyHost, copy_key: Path, tmp_path: Path
) -> None:
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    unknown = await install(public, copy_host.options(known_hosts_file=tmp_path / "none"))
    assert unknown.result == "failed" and "host key" in (unknown.error or "")
    impostor = tmp_path / "impostor"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(impostor))
    kind, blob = impostor.with_suffix(".pub").read_text().split()[:2]
    known = tmp_path / "known_hosts_changed"
    known.write_text(f"[127.0.0.1]:{copy_host.server.port} {kind} {blob}\n")
    changed = await install(public, copy_host.options(known_hosts_file=known))
    assert changed.result == "failed" and "host key" in (changed.error or "")
    forced = await install(public, copy_host.options(known_hosts_file=known, accept_new=True))
    assert forced.result == "failed" and "host key" in (forced.error or "")
    assert known.read_text() == f"[127.0.0.1]:{copy_host.server.port} {kind} {blob}\n"
    assert not copy_host.ssh_dir.exists()
    assert copy_host.user.password not in (unknown.error or "") + (changed.error or "")


async def test_accept_new_records_the_host_key_once_for_many_users(
    copy_host: CopyHost, copy_key: Path, tmp_path: Path, test_user_factory
) -> None:
    known = tmp_path / "fresh" / "known_hosts"
    other = test_user_factory()
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    options = [
        copy_host.options(known_hosts_file=known, accept_new=True),
        copy_host.options(
            known_hosts_file=known,
            accept_new=True,
            target=Target(other.name, "127.0.0.1", copy_host.server.port),
            password=other.password,
        ),
    ]
    results = await install_many(public, options, parallel=2)
    assert [r.result for r in results] == ["installed", "installed"], results
    lines = known.read_text().splitlines()
    # one line with the host's key (hashed when /etc/ssh/ssh_config says HashKnownHosts yes)
    assert [line.split()[1:] for line in lines] == [copy_host.server.known_hosts_line().split()[1:]]


async def test_one_unreachable_host_does_not_stop_the_others(
    copy_host: CopyHost, copy_key: Path
) -> None:
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    dead = copy_host.options(target=Target("nobody", "127.0.0.1", _closed_port()))
    wrong_password = copy_host.options(password="not the password")
    events: list[HostProgress] = []
    results = await install_many(
        public, [dead, copy_host.options(), wrong_password], parallel=3, on_progress=events.append
    )
    assert [r.result for r in results] == ["failed", "installed", "failed"]
    assert "refused" in (results[0].error or "")
    assert "refused the password for" in (results[2].error or "")
    assert "not the password" not in repr(results) + repr(events)
    assert [e.stage for e in events[:3]] == ["waiting"] * 3
    assert {e.index for e in events if e.result is not None} == {0, 1, 2}


async def test_agent_login(
    copy_host: CopyHost, copy_key: Path, tmp_path: Path, ssh_agent: Agent
) -> None:
    login = tmp_path / "agent_key"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(login))
    copy_host.write_authorized(login.with_suffix(".pub").read_bytes())
    assert ssh_agent.ssh_add("-q", str(login)).returncode == 0
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    result = await install(public, copy_host.options(password=None, use_agent=True))
    assert result.result == "installed", result.error


async def test_encrypted_private_key_verified_only_with_the_keyring(
    copy_host: CopyHost, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    ssh_keygen("-q", "-t", "ed25519", "-N", "a passphrase", "-f", str(locked))
    public = read_public_key_file(locked.with_suffix(".pub"))
    result = await install(public, copy_host.options(), verify_with=locked)
    assert (result.result, result.verified) == ("installed", None), result.error
    assert "needs a passphrase" in (result.detail or "")
    copy_host.authorized_keys.unlink()
    assert store_passphrase(public.sha256, "a passphrase")  # the keyring opens it: verified
    result = await install(public, copy_host.options(), verify_with=locked)
    assert (result.result, result.verified) == ("installed", True), result.error


async def test_verification_is_not_fooled_by_another_key_that_logs_in(
    copy_host_factory, copy_key: Path, tmp_path: Path
) -> None:
    host = copy_host_factory(extra_config="PubkeyAcceptedAlgorithms -ssh-ed25519")
    rsa = tmp_path / "config_rsa"
    ssh_keygen("-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(rsa))
    host.write_authorized(rsa.with_suffix(".pub").read_bytes())
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host lab\n  HostName 127.0.0.1\n  Port {host.server.port}\n  User {host.user.name}\n"
        f"  IdentityFile {rsa}\n"
    )
    options = host.options(target=Target(None, "lab", None), config_file=config)
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    result = await install(public, options, verify_with=copy_key)
    assert (result.result, result.verified) == ("installed", False), result
    assert "another key" in (result.error or "")


async def test_failed_verification_says_the_key_was_added(
    copy_host_factory, copy_key: Path
) -> None:
    host = copy_host_factory(extra_config="PubkeyAcceptedAlgorithms -ssh-ed25519")
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    result = await install(public, host.options(), verify_with=copy_key)
    assert (result.result, result.verified) == ("installed", False)
    assert "was added" in (result.error or "")
    assert host.authorized_keys.read_bytes() == public.line().encode() + b"\n"


async def test_unwritable_ssh_dir_is_one_sentence_and_nothing_changes(
    copy_host: CopyHost, copy_key: Path
) -> None:
    copy_host.write_authorized(b"# root keeps this directory\n", mode=0o644)
    for path in (copy_host.ssh_dir, copy_host.authorized_keys):
        os.chown(path, 0, 0)  # the user may read both but write neither
    os.chmod(copy_host.ssh_dir, 0o755)
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    result = await install(public, copy_host.options())
    assert result.result == "failed"
    assert "authorized_keys" in (result.error or "") and "\n" not in (result.error or "")
    assert copy_host.authorized_keys.read_bytes() == b"# root keeps this directory\n"
    assert [p.name for p in copy_host.ssh_dir.iterdir()] == ["authorized_keys"]


async def test_host_without_sftp_gets_the_same_through_sh(
    copy_host_factory, copy_key: Path
) -> None:
    host = copy_host_factory(sftp=False)
    public = read_public_key_file(copy_key.with_suffix(".pub"))
    dry = await install(public, host.options(), dry_run=True)
    assert (dry.result, dry.detail) == (
        "would-install",
        "would create ~/.ssh (0700) and ~/.ssh/authorized_keys (0600) with the key",
    )
    assert not host.ssh_dir.exists()
    result = await install(public, host.options(), verify_with=copy_key)
    assert (result.result, result.verified) == ("installed", True), result.error
    assert stat.S_IMODE(host.ssh_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(host.authorized_keys.stat().st_mode) == 0o600
    assert host.authorized_keys.read_bytes() == public.line().encode() + b"\n"
    existing = b"# $HOME 'quoted' `not run`\nno final newline"
    host.write_authorized(existing, mode=0o640)
    result = await install(public, host.options())
    assert result.result == "installed", result.error
    assert host.authorized_keys.read_bytes() == existing + b"\n" + public.line().encode() + b"\n"
    assert stat.S_IMODE(host.authorized_keys.stat().st_mode) == 0o640
    assert sorted(p.name for p in host.ssh_dir.iterdir()) == ["authorized_keys"]
    assert (await install(public, host.options())).result == "already-present"

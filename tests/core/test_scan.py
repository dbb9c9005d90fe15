"""Directory scan: keys recognised by content, pairing, quiet files, problems and fixes."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from tests.keyfactory import keygen
from tui.core.keys.scan import fix_problem, scan_directory


def codes(entry_problems: tuple) -> set[str]:  # type: ignore[type-arg]
    return {p.code for p in entry_problems}


def test_missing_directory_is_an_empty_result(tmp_path: Path) -> None:
    result = scan_directory(tmp_path / "nope")
    assert not result.exists and result.keys == () and result.skipped == ()


def test_keys_are_found_by_content_and_paired(ssh_dir: Path) -> None:
    keygen(ssh_dir / "work", "ed25519", passphrase="secret pass", comment="work key")
    keygen(ssh_dir / "deploy_key", "ecdsa", 256)
    keygen(ssh_dir / "legacy.pem", "rsa", 2048, fmt="PEM")
    (ssh_dir / "legacy.pem.pub").unlink()
    lone = ssh_dir / "someone.pub"
    keygen(ssh_dir / "tmpkey", "ed25519", comment="lonely")
    (ssh_dir / "tmpkey.pub").rename(lone)
    (ssh_dir / "tmpkey").unlink()
    for quiet in ("config", "known_hosts", "known_hosts.old", "authorized_keys", "ssh.log"):
        (ssh_dir / quiet).write_text("whatever\n")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(ssh_dir / "agent.sock"))
    (ssh_dir / "notes.txt").write_text("my notes\n")
    (ssh_dir / "broken").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n")
    (ssh_dir / "empty").write_text("")

    result = scan_directory(ssh_dir)
    sock.close()
    by_name = {e.name: e for e in result.keys}
    assert sorted(by_name) == ["deploy_key", "legacy.pem", "someone.pub", "work"]
    work = by_name["work"]
    assert work.path == ssh_dir / "work" and work.public_path == ssh_dir / "work.pub"
    assert work.encrypted is True and work.public.comment == "work key" and work.problems == ()
    assert "unencrypted-private-key" in codes(by_name["deploy_key"].problems)
    assert codes(by_name["legacy.pem"].problems) >= {
        "missing-public-key",
        "unencrypted-private-key",
    }
    assert by_name["legacy.pem"].format == "pkcs1"
    lone_entry = by_name["someone.pub"]
    assert (
        lone_entry.path is None and lone_entry.public_path == lone and lone_entry.encrypted is None
    )
    skipped = {s.path.name: s.reason for s in result.skipped}
    assert set(skipped) == {"notes.txt", "broken", "empty"}
    data = result.to_json()
    assert set(data) == {"directory", "keys", "skipped"}
    assert set(data["keys"][0]) == {
        "path",
        "public_path",
        "type",
        "bits",
        "sha256",
        "md5",
        "comment",
        "encrypted",
        "problems",
    }


def test_symlinks_are_followed(tmp_path: Path, ssh_dir: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    keygen(elsewhere / "real", "ed25519")
    os.symlink(elsewhere / "real", ssh_dir / "id_ed25519")
    os.symlink(elsewhere / "real.pub", ssh_dir / "id_ed25519.pub")
    os.symlink(elsewhere / "gone", ssh_dir / "dangling")
    result = scan_directory(ssh_dir)
    assert [e.name for e in result.keys] == ["id_ed25519"]
    assert [s.path.name for s in result.skipped] == ["dangling"]


def test_problems_and_permission_fixes(ssh_dir: Path) -> None:
    a = keygen(ssh_dir / "id_a", "ed25519")
    b = keygen(ssh_dir / "id_b", "ed25519")
    keygen(ssh_dir / "weak", "rsa", 1024)
    keygen(ssh_dir / "old_dsa", "dsa", 1024)
    (ssh_dir / "id_a.pub").write_text((ssh_dir / "id_b.pub").read_text())  # mismatch
    os.chmod(b, 0o644)
    os.chmod(ssh_dir, 0o777)
    result = scan_directory(ssh_dir)
    by_name = {e.name: e for e in result.keys}
    assert "public-private-mismatch" in codes(by_name["id_a"].problems)
    assert (
        by_name["id_a"].public.sha256 != by_name["id_b"].public.sha256
    )  # the private key's own identity
    unprotected = next(p for p in by_name["id_b"].problems if p.code == "unprotected-private-key")
    assert unprotected.severity == "error" and unprotected.fix == f"chmod 600 {b}"
    assert "weak-key" in codes(by_name["weak"].problems)
    assert "weak-key" in codes(by_name["old_dsa"].problems)
    dir_problem = next(p for p in by_name["id_b"].problems if p.code == "ssh-dir-permissions")
    assert dir_problem.fix == f"chmod 700 {ssh_dir}"
    for problem in (
        p
        for p in by_name["id_b"].problems
        if p.code in ("unprotected-private-key", "ssh-dir-permissions")
    ):
        fix_problem(by_name["id_b"], problem)
    assert stat.S_IMODE(b.stat().st_mode) == 0o600
    assert stat.S_IMODE(ssh_dir.stat().st_mode) == 0o700
    after = {e.name: e for e in scan_directory(ssh_dir).keys}
    assert not codes(after["id_b"].problems) & {"unprotected-private-key", "ssh-dir-permissions"}
    assert a.exists()


def test_set_mode_failure_is_one_sentence_with_the_command(tmp_path: Path) -> None:
    """The tester's and the key list's permission fixes share it: no OSError escapes."""
    import pytest

    from tui.core.errors import KeyFileError
    from tui.core.keys.scan import set_mode

    missing = tmp_path / "gone"
    with pytest.raises(KeyFileError) as caught:
        set_mode(missing, 0o600, f"chmod 600 {missing}")
    assert str(caught.value).endswith(f"run: chmod 600 {missing}")
    assert "\n" not in str(caught.value)

"""The keys wing's service (``KeyService``), as the app and the CLI call it, checked with OpenSSH.

Its settings, not the process environment, decide which agent it talks to and the locale its
listing prints in; its edits keep the keyring in step; its checks are the core's one check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tests.keyfactory import keygen
from tui.core import secrets
from tui.core.errors import InvalidArgument, TargetExists
from tui.core.keys.agent import AgentUnavailable
from tui.core.keys.generation import GenerationRequest, GenerationResult
from tui.core.keys.scan import scan_directory
from tui.core.keys.service import KeyService
from tui.core.settings import Settings


def service(**changes: object) -> KeyService:
    return KeyService(dataclasses.replace(Settings.from_environment(), **changes))  # type: ignore[arg-type]


def files_state(directory: Path) -> list[tuple[str, bytes, int]]:
    return sorted(
        (p.name, p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in directory.iterdir()
    )


def test_the_agent_is_the_one_the_settings_name(
    ssh_dir: Path,
    ssh_agent,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    key = keygen(ssh_dir / "id_ed25519", "ed25519")
    keys = KeyService(Settings.from_environment())  # the agent's socket, read once
    monkeypatch.delenv("SSH_AUTH_SOCK")  # later changes of the environment do not matter
    opened = keys.open_key(key, None)
    added = asyncio.run(keys.agent_add(key, opened, 300))
    assert ssh_agent.fingerprints() == [added.sha256]
    assert [k.sha256 for k in asyncio.run(keys.agent_keys())] == [added.sha256]
    asyncio.run(keys.agent_remove(added))
    assert ssh_agent.fingerprints() == []

    monkeypatch.setenv("SSH_AUTH_SOCK", str(ssh_agent.socket))
    without = service(ssh_auth_sock=None)  # settings without an agent: none, whatever the env
    assert without.agent_socket is None
    with pytest.raises(AgentUnavailable):
        asyncio.run(without.agent_keys())


def test_the_listing_prints_in_the_settings_locale_as_ssh_keygen_does(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519", comment="café")
    public = str(key) + ".pub"
    for utf8, locale in ((True, "C.UTF-8"), (False, "C")):
        env = dict(os.environ, LC_ALL=locale)
        theirs = subprocess.run(
            ["ssh-keygen", "-l", "-f", public], capture_output=True, text=True, env=env, check=True
        ).stdout
        ours = service(utf8_locale=utf8).fingerprint_report(public)
        assert "\n".join(ours) + "\n" == theirs
    assert "\\303\\251" in service(utf8_locale=False).fingerprint_report(public)[0]


def test_passphrase_changes_keep_the_keyring_in_step(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519", passphrase="old one")
    keys = service()
    sha = keys.open_key(key, "old one").public.sha256
    assert keys.remember_passphrase(sha, "old one")

    changed = keys.change_passphrase(key, "old one", "new one", sha256=sha)
    assert changed.encrypted and changed.remembered and not changed.forgotten
    assert secrets.get_passphrase(sha) == "new one"  # a stored one follows the change
    assert ssh_keygen("-y", "-P", "new one", "-f", str(key)).returncode == 0

    removed = keys.change_passphrase(key, "new one", None, sha256=sha)
    assert not removed.encrypted and removed.forgotten
    assert secrets.get_passphrase(sha) is None  # nothing left to remember
    assert ssh_keygen("-y", "-P", "", "-f", str(key)).returncode == 0


@pytest.mark.parametrize("bad", ["evil\x1b[2Jcomment", "line\nbreak", "rtl\u202eoverride"])
def test_a_comment_the_core_refuses_changes_no_file(ssh_dir: Path, bad: str) -> None:
    key = keygen(ssh_dir / "k", "ed25519")
    before = files_state(ssh_dir)
    with pytest.raises(InvalidArgument):
        service().change_comment(key, bad)
    with pytest.raises(InvalidArgument):
        service().generation(GenerationRequest(ssh_dir / "new", comment=bad))
    assert files_state(ssh_dir) == before


def test_comment_change_reports_the_old_one(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k", "ed25519", comment="old@host")
    changed = service().change_comment(key, "new@host")
    assert changed.old == "old@host"
    assert ssh_keygen("-l", "-f", str(key) + ".pub").stdout.split()[2] == "new@host"


def test_delete_then_restore_gives_back_the_same_files(ssh_dir: Path) -> None:
    keygen(ssh_dir / "id_ed25519", "ed25519")
    before = files_state(ssh_dir)
    keys = service()
    record = keys.delete([ssh_dir / "id_ed25519", ssh_dir / "id_ed25519.pub"])
    assert list(ssh_dir.iterdir()) == []
    keys.restore(record)
    assert files_state(ssh_dir) == before


def test_fix_permissions_runs_the_chmod_the_problem_names(ssh_dir: Path) -> None:
    key = keygen(ssh_dir / "id_ed25519", "ed25519")
    key.chmod(0o644)
    keys = service()
    entry = scan_directory(ssh_dir).keys[0]
    assert [p.code for p in keys.fixable(entry)] == ["unprotected-private-key"]
    fixed = keys.fix_permissions(entry)
    assert fixed.fixes and "600" in fixed.fixes[0]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not keys.fixable(scan_directory(ssh_dir).keys[0])


def test_generation_replaces_through_the_trash_or_refuses(ssh_dir: Path) -> None:
    keygen(ssh_dir / "id_ed25519", "ed25519")
    before = files_state(ssh_dir)
    keys = service()
    request = GenerationRequest(ssh_dir / "id_ed25519", comment="fresh")
    with pytest.raises(TargetExists):
        keys.generate(request)  # neither replace nor overwrite: nothing changes
    assert files_state(ssh_dir) == before

    result = keys.generate(dataclasses.replace(request, replace=True, passphrase="pw 1"))
    assert isinstance(result, GenerationResult) and result.trashed is not None
    assert sorted(p.name for p in result.trashed.folder.iterdir() if p.name != "manifest.json")
    listed = ssh_keygen("-y", "-P", "pw 1", "-f", str(ssh_dir / "id_ed25519"))
    assert listed.returncode == 0 and listed.stdout.split()[0] == "ssh-ed25519"
    old_public = [b for name, b, _ in before if name == "id_ed25519.pub"][0]
    trashed = [p for p in result.trashed.folder.iterdir() if p.name.endswith(".pub")]
    assert [p.read_bytes() for p in trashed] == [old_public]

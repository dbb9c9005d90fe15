"""Trash: a moved pair keeps its bytes and modes, and comes back only where nothing took its place."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui.core.errors import KeyFileError, TargetExists
from tui.core.keys.trash import move_to_trash, restore, trash_root


def _pair(ssh_dir: Path) -> tuple[Path, Path]:
    private = ssh_dir / "id_test"
    private.write_bytes(b"private\n")
    private.chmod(0o600)
    public = ssh_dir / "id_test.pub"
    public.write_bytes(b"public\n")
    public.chmod(0o644)
    return private, public


def test_move_and_restore_keep_content_and_modes(ssh_dir: Path, isolated_home: Path) -> None:
    private, public = _pair(ssh_dir)
    record = move_to_trash([private, public])
    assert not private.exists() and not public.exists()
    assert record.folder.parent == trash_root()
    assert str(record.folder).startswith(str(isolated_home / ".local/share/sshdeck/trash"))
    assert stat.S_IMODE(trash_root().stat().st_mode) == 0o700
    stored = {f.original.name: f.stored for f in record.files}
    assert stat.S_IMODE(stored["id_test"].stat().st_mode) == 0o600
    assert restore(record) == (private, public)
    assert private.read_bytes() == b"private\n" and public.read_bytes() == b"public\n"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    assert not record.folder.exists()


def test_restore_refuses_to_overwrite(ssh_dir: Path) -> None:
    private, public = _pair(ssh_dir)
    record = move_to_trash([private, public])
    private.write_bytes(b"new key\n")
    with pytest.raises(TargetExists, match="exists again"):
        restore(record)
    assert private.read_bytes() == b"new key\n"
    assert not public.exists()  # nothing half-restored
    assert all(f.stored.exists() for f in record.files)


def test_missing_files(ssh_dir: Path) -> None:
    private, _ = _pair(ssh_dir)
    record = move_to_trash([private, ssh_dir / "absent.pub"])
    assert record.originals == (private,)
    with pytest.raises(KeyFileError, match="nothing to delete"):
        move_to_trash([ssh_dir / "absent"])

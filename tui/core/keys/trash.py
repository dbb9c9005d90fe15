"""A trash folder for key pairs, so that "delete" and "replace" can be undone.

A deleted private key cannot be regenerated, so nothing in sshdeck unlinks one: the pair moves
to ``<user data dir>/sshdeck/trash/<UTC time>-<random>/`` with its modes kept (``os.rename``
when on the same filesystem, else a copy that keeps the mode, then unlink). The trash directory
is created 0700, since it holds private keys. ``restore`` puts the files back and refuses to
overwrite anything that took their place meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import KeyFileError, TargetExists
from tui.core.fsutil import ensure_directory

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class TrashedFile:
    original: Path  # where the file lived
    stored: Path  # where it is now, inside the trash


@dataclass(frozen=True)
class TrashRecord:
    """What one ``move_to_trash`` did; hand it to ``restore`` to undo it."""

    folder: Path
    files: tuple[TrashedFile, ...]
    when: float

    @property
    def originals(self) -> tuple[Path, ...]:
        return tuple(f.original for f in self.files)


def trash_root() -> Path:
    """``~/.local/share/sshdeck/trash`` on Linux (platformdirs' user data dir)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("sshdeck")) / "trash"


def _move(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except OSError:
        # other filesystem: copy content and mode, then remove the original
        _copy_private_first(source, target)
        os.unlink(source)


def _copy_private_first(source: Path, target: Path) -> None:
    """Copy a file that may be a private key: the copy is 0600 from its first byte (a plain
    ``shutil.copy2`` creates it with the umask's mode, 0644, and only then copies the mode) and
    never replaces an existing file; the original mode and times are applied once it is whole."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    info = os.stat(source)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o600)
    try:
        with open(source, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.fchmod(fd, stat.S_IMODE(info.st_mode))
    except BaseException:
        os.close(fd)
        os.unlink(target)
        raise
    os.close(fd)
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))


def _new_folder(root: Path) -> Path:
    ensure_directory(root.parent, 0o700)
    ensure_directory(root, 0o700)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    while True:
        folder = root / f"{stamp}-{secrets.token_hex(4)}"
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return folder


def move_to_trash(paths: list[Path] | tuple[Path, ...], root: Path | None = None) -> TrashRecord:
    """Move the given files (a private key and its .pub, say) into a fresh trash folder.

    Missing files are passed over; if none exists there is nothing to undo and ``KeyFileError``
    is raised. If a move fails half-way, the files already moved are put back.
    """
    present = [Path(p) for p in paths if Path(p).is_file() or Path(p).is_symlink()]
    if not present:
        names = " and ".join(str(p) for p in paths)
        raise KeyFileError(f"{names or 'nothing'} does not exist; there is nothing to delete.")
    try:
        folder = _new_folder(root or trash_root())
    except OSError as exc:
        raise KeyFileError(
            f"Cannot create the trash folder ({exc.strerror}); nothing was deleted."
        ) from None
    done: list[TrashedFile] = []
    try:
        for index, source in enumerate(present):
            stored = folder / f"{index}-{source.name}"
            _move(source, stored)
            done.append(TrashedFile(source.absolute(), stored))
    except OSError as exc:
        for item in reversed(done):
            _move(item.stored, item.original)
        raise KeyFileError(
            f"Cannot move {exc.filename or 'the key'} to the trash ({exc.strerror}); nothing was deleted."
        ) from None
    record = TrashRecord(folder, tuple(done), time.time())
    manifest = [{"original": str(f.original), "stored": f.stored.name} for f in done]
    with contextlib.suppress(OSError):  # only a help for a person restoring by hand
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return record


def restore(record: TrashRecord) -> tuple[Path, ...]:
    """Put the files of ``record`` back where they were; returns their paths.

    Refuses (``TargetExists``) before moving anything if any original path is taken again,
    e.g. by a new key generated under the same name.
    """
    for item in record.files:
        if item.original.exists() or item.original.is_symlink():
            raise TargetExists(
                f"{item.original} exists again; move it away first, then restore, "
                f"or take the old file from {item.stored}."
            )
        if not (item.stored.exists() or item.stored.is_symlink()):
            raise KeyFileError(f"{item.stored} is no longer in the trash; it cannot be restored.")
    restored: list[TrashedFile] = []
    try:
        for item in record.files:
            item.original.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _move(item.stored, item.original)
            restored.append(item)
    except OSError as exc:
        for item in reversed(restored):  # all or nothing: back into the trash
            with contextlib.suppress(OSError):
                _move(item.original, item.stored)
        raise KeyFileError(
            f"Cannot restore {exc.filename or 'the key'} ({exc.strerror}); "
            f"the files stay in {record.folder}."
        ) from None
    try:
        (record.folder / MANIFEST).unlink(missing_ok=True)
        record.folder.rmdir()
    except OSError:
        pass  # something else was put there; leave it
    return record.originals

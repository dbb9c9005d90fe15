"""Safe writing: private files exist with mode 0600 from their first byte, appear atomically
under their final name, and never replace an existing file unless the caller says so."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from tui.core.errors import TargetExists, WriteError


def _write_error(path: Path, exc: OSError) -> WriteError:
    where = path.parent
    if isinstance(exc, PermissionError) or exc.errno in (13, 30):  # EACCES, EROFS
        return WriteError(
            f"Cannot write in {where} (permission denied or read-only); choose another location."
        )
    if exc.errno == 28:  # ENOSPC
        return WriteError(f"The disk holding {where} is full; free some space and try again.")
    return WriteError(f"Cannot write {path} ({exc.strerror}); check the directory.")


def ensure_directory(path: Path, mode: int = 0o700) -> None:
    """Create ``path`` (and parents) when missing; the last level gets ``mode`` (0700 for ~/.ssh)."""
    if path.is_dir():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path, mode)
    except FileExistsError:
        return
    except OSError as exc:
        raise _write_error(path / "x", exc) from None


def atomic_write(path: Path, data: bytes, mode: int, *, overwrite: bool = False) -> None:
    """Write ``data`` to a temporary file created with ``mode``, then move it into place.

    Without ``overwrite`` an existing target is never replaced, even one that appears while
    writing (the final step is a hard link, which fails if the name exists).
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise TargetExists(
            f"{path} already exists; choose another file name or allow replacing it."
        )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        try:
            os.fchmod(fd, mode)  # umask may have removed bits (e.g. 0644 public files)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise TargetExists(
                    f"{path} already exists; choose another file name or allow replacing it."
                ) from None
            except OSError:  # no hard links on this file system: fall back to a checked rename
                if os.path.lexists(path):
                    raise TargetExists(
                        f"{path} already exists; choose another file name or allow replacing it."
                    ) from None
                os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

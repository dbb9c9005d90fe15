"""Key pairs change all-or-nothing: after a failure, a full disk or ``kill -9`` the directory
holds the old pair or the new pair, never a private key beside another key's ``.pub``.

How a change of ``KEY`` (and ``KEY.pub``) is made, under a lock:

1. ``.KEY.sshdeck-lock`` beside the key is locked with ``flock`` (another sshdeck changing the
   same key waits; after :data:`LOCK_WAIT` seconds it gives up with a sentence). The kernel
   drops the lock of a killed process.
2. Recovery of an earlier, interrupted change (see below); leftover temporaries are removed.
3. Everything checkable is checked before anything is replaced: no target is a directory or a
   special file, an existing target may be replaced. Then each new file is written in full
   under a temporary name ``.NAME.<12 hex>.tmp`` in its final directory (created ``O_EXCL``,
   mode 0600 from the first byte; a ``.pub`` is widened to 0644 before it is complete),
   and fsync-ed: a full disk fails here, while the old pair is untouched.
4. When two files change, a journal ``.KEY.sshdeck-journal`` naming each temporary and its
   final name is written (itself atomically) and fsync-ed: from this instant the change is
   committed. Then the temporaries are renamed over the final names, the directory is fsync-ed
   and the journal removed.

Recovery, run by the next change of the same key (and by ``pub`` and ``agent add`` before they
read it): a journal means the change was committed, so the temporaries it names that still exist
are renamed into place (every one of them was complete before the journal was written);
without a journal nothing had been replaced, so leftover temporaries are deleted. A failure
inside one process (a rename refused) rolls back at once from hard-linked backups.

:func:`leftover_files` lets ``list`` show what a killed run left behind
(``leftover-temporary-file``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import KeyFileError, SshDeckError, TargetExists, WriteError
from tui.core.fsutil import _write_error

LOCK_SUFFIX = ".sshdeck-lock"
JOURNAL_SUFFIX = ".sshdeck-journal"
LOCK_WAIT = 60.0
_TEMP = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{12}\.tmp$")
_LEFTOVER = re.compile(
    r"^\.(?P<name>.+?)(?:\.[0-9a-f]{12}\.tmp|" + re.escape(LOCK_SUFFIX) + "|"
    r"" + re.escape(JOURNAL_SUFFIX) + r")$"
)


class KeyBusy(SshDeckError):
    """Another sshdeck is changing the same key."""

    code = "key-busy"


@dataclass(frozen=True)
class NewFile:
    """One file of the new pair: where it goes, what it holds, its final mode."""

    path: Path
    data: bytes
    mode: int


def temp_name(path: Path) -> Path:
    """A fresh temporary name beside ``path`` (the pattern leftovers are recognised by)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def _lock_path(key: Path) -> Path:
    return key.with_name(f".{key.name}{LOCK_SUFFIX}")


def _journal_path(key: Path) -> Path:
    return key.with_name(f".{key.name}{JOURNAL_SUFFIX}")


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def key_lock(key: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the lock of ``key`` (and recover an interrupted change first)."""
    key = Path(key)
    if key.name in ("", ".", ".."):
        raise KeyFileError(f"{key} is a directory; give the path of a key file inside it.")
    lock = _lock_path(key)
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise _write_error(key, exc) from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise KeyBusy(
                            f"Another sshdeck is changing {key}; try again when it has finished."
                        ) from None
                    time.sleep(0.02)
            # The holder before us may have removed the lock file after we opened it: then our
            # lock is on a file nobody else will look at; start again on the current one.
            try:
                same = os.path.samestat(os.fstat(fd), os.lstat(lock))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        recover(key)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def try_recover(key: Path) -> None:
    """Best-effort recovery before a read (``pub``, ``agent add``): never fails, never waits."""
    key = Path(key)
    if key.name in ("", ".", "..") or not any(_own_leftovers(key)):
        return
    with contextlib.suppress(SshDeckError, OSError), key_lock(key, wait=0):
        pass


def _related_dirs(key: Path) -> list[Path]:
    dirs = [key.parent]
    for target in (key, key.with_name(key.name + ".pub")):
        real = Path(os.path.realpath(target)).parent
        if real not in dirs:
            dirs.append(real)
    return dirs


def _own_leftovers(key: Path) -> Iterator[Path]:
    """Temporaries of ``key`` and ``key.pub`` (also beside what they link to), and its journal."""
    journal = _journal_path(key)
    if os.path.lexists(journal):
        yield journal
    names = {key.name, key.name + ".pub"}
    for target in (key, key.with_name(key.name + ".pub")):
        names.add(Path(os.path.realpath(target)).name)
    for directory in _related_dirs(key):
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            match = _TEMP.match(entry)
            if match and match.group("name") in names:
                yield directory / entry


def recover(key: Path) -> None:
    """Finish a committed change of ``key`` or drop an uncommitted one (call under the lock)."""
    key = Path(key)
    journal = _journal_path(key)
    try:
        if os.path.lexists(journal):
            try:
                with open(journal, encoding="utf-8") as handle:
                    moves = [(Path(t), Path(f)) for t, f in json.load(handle)["moves"]]
            except (ValueError, KeyError, TypeError):
                raise KeyFileError(
                    f"{journal} is damaged; move it away, then check {key} and {key}.pub "
                    "with sshdeck list."
                ) from None
            for tmp, final in moves:
                if os.path.lexists(tmp):
                    os.replace(tmp, final)
            for directory in {final.parent for _tmp, final in moves}:
                _fsync_dir(directory)
            os.unlink(journal)
            _fsync_dir(journal.parent)
        for leftover in list(_own_leftovers(key)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
    except OSError as exc:
        raise _write_error(key, exc) from None


def leftover_files(directory: Path) -> dict[str, list[Path]]:
    """Files an interrupted sshdeck change left in ``directory``, by the key name they belong to."""
    found: dict[str, list[Path]] = {}
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return found
    for entry in entries:
        match = _LEFTOVER.match(entry)
        if match:
            name = match.group("name")
            if name.endswith(".pub"):
                name = name[: -len(".pub")]
            found.setdefault(name, []).append(Path(directory) / entry)
    return found


def is_leftover_name(name: str) -> bool:
    return _LEFTOVER.match(name) is not None


def _check_target(path: Path, overwrite: bool) -> bool:
    """Refuse a target that cannot or may not be replaced; return whether it exists."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _write_error(path, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise WriteError(
            f"{path} is a directory; move it away or choose another file name. Nothing was changed."
        )
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise WriteError(
            f"{path} is not a regular file; move it away or choose another file name. "
            "Nothing was changed."
        )
    if not overwrite:
        raise TargetExists(
            f"{path} already exists; choose another file name or use --force to replace it."
        )
    return True


def _write_temp(new: NewFile, tmp: Path | None = None) -> Path:
    tmp = tmp or temp_name(new.path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            view = memoryview(new.data)
            while view:
                view = view[os.write(fd, view) :]
            if new.mode != 0o600:
                os.fchmod(fd, new.mode)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def replace_files(key: Path, files: list[NewFile], overwrite: bool) -> None:
    """Put ``files`` in place all together or not at all (call under :func:`key_lock`)."""
    key = Path(key)
    exists = [_check_target(f.path, overwrite) for f in files]
    temps: list[Path] = []
    backups: list[Path | None] = []
    journal = _journal_path(key)
    done: list[int] = []
    extra: list[Path] = []
    try:
        try:
            for new in files:
                temps.append(_write_temp(new))
            for new, existed in zip(files, exists, strict=True):
                backup = None
                if existed:
                    backup = temp_name(new.path)
                    try:
                        os.link(new.path, backup, follow_symlinks=False)
                    except OSError:
                        backup = None
                backups.append(backup)
            if len(files) > 1:
                document = {
                    "moves": [[str(t), str(f.path)] for t, f in zip(temps, files, strict=True)]
                }
                # named as the key's temporaries, so that recover() removes it too
                jtmp = _write_temp(
                    NewFile(journal, json.dumps(document).encode(), 0o600), temp_name(key)
                )
                extra.append(jtmp)
                os.replace(jtmp, journal)
                _fsync_dir(journal.parent)
        except OSError as exc:
            raise _write_error(files[0].path, exc) from None
        # committed: from here a kill is finished by the next run's recover()
        try:
            for i, (tmp, new) in enumerate(zip(temps, files, strict=True)):
                if overwrite:
                    os.replace(tmp, new.path)
                else:
                    os.link(tmp, new.path)  # fails if the name appeared meanwhile
                    os.unlink(tmp)
                done.append(i)
        except OSError as exc:
            _roll_back(files, backups, exists, done)
            with contextlib.suppress(OSError):
                os.unlink(journal)
            if exc.errno == errno.EEXIST:
                raise TargetExists(
                    f"{exc.filename} already exists; choose another file name or use --force to "
                    "replace it. Nothing was changed."
                ) from None
            raise _write_error(files[0].path, exc) from None
        for directory in {f.path.parent for f in files}:
            _fsync_dir(directory)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(journal)
        _fsync_dir(journal.parent)
    finally:
        for leftover in [*temps, *backups, *extra]:
            if leftover is not None:
                with contextlib.suppress(OSError):
                    os.unlink(leftover)


def _roll_back(
    files: list[NewFile], backups: list[Path | None], exists: list[bool], done: list[int]
) -> None:
    for i in reversed(done):
        with contextlib.suppress(OSError):
            backup = backups[i]
            if backup is not None:
                os.replace(backup, files[i].path)
            elif not exists[i]:
                os.unlink(files[i].path)

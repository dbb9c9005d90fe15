"""Key pairs change all-or-nothing: failures, a full disk, kill -9 and concurrent runs leave the
old pair or the new pair (never a private key beside another key's .pub), and no file holding
private key material is ever readable by others."""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.__main__ import main
from tui.core.errors import SshDeckError, WrongPassphrase
from tui.core.keys import openssh_format, pairwrite
from tui.core.keys.generate import generate_private_key, write_key_pair
from tui.core.keys.private import open_private_key_file
from tui.core.keys.public import read_public_key_file
from tui.core.keys.scan import scan_directory

ROUNDS = 2  # slow enough to give the kill a window, fast enough for 100+ trials


def run_main(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes() if p.is_file() else b"<dir>", p.lstat().st_mode)
        for p in sorted(directory.iterdir())
    }


def pair_state(key: Path, passphrases: list[str]) -> tuple[str, str, bytes]:
    """(passphrase that opens the key, its comment, its public blob) of a consistent pair."""
    opened = None
    used = ""
    for candidate in passphrases:
        try:
            opened = open_private_key_file(key, candidate or None)
            used = candidate
            break
        except WrongPassphrase:
            continue
    assert opened is not None, f"{key} opens with none of the known passphrases"
    public = read_public_key_file(key.with_name(key.name + ".pub"))
    assert public.blob == opened.public.blob, "the .pub holds another key than the private key"
    assert public.comment == opened.comment, "the .pub's comment differs from the private key's"
    return used, opened.comment, public.blob


@pytest.fixture
def keydir(tmp_path: Path) -> Path:
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o700)
    return directory


def make_pair(key: Path, passphrase: str, comment: str = "c0") -> None:
    write_key_pair(generate_private_key("ed25519", None, comment), key, passphrase, ROUNDS)


# -- failures before anything is replaced ------------------------------------------------------


def test_keygen_force_with_pub_a_directory_changes_nothing(keydir: Path) -> None:
    key = keydir / "k"
    make_pair(key, "pw")
    (keydir / "k.pub").unlink()
    (keydir / "k.pub").mkdir()
    before = snapshot(keydir)
    code, out, err = run_main("keygen", "-f", str(key), "-N", "", "--force")
    assert code == 1 and "k.pub is a directory" in err and len(err.splitlines()) == 1
    assert "Generating" not in out  # refused before the slow part
    assert snapshot(keydir) == before


def test_rename_failure_midway_rolls_back_to_the_old_pair(
    keydir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = keydir / "k"
    make_pair(key, "pw", "old comment")
    before = snapshot(keydir)
    real_replace = os.replace
    calls = []

    def failing_replace(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 2:  # the second file of the pair
            raise OSError(5, "Input/output error")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(pairwrite.os, "replace", failing_replace)  # type: ignore[attr-defined]
    with pytest.raises(SshDeckError):
        from tui.core.keys.generate import change_comment

        change_comment(key, "new comment", "pw")
    monkeypatch.undo()
    assert snapshot(keydir) == before
    assert pair_state(key, ["pw"])[1] == "old comment"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs of 64 KiB: a full disk, not a simulated one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)], check=True
    )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path, leave_pages: int) -> None:
    """Fill the file system so that about ``leave_pages`` pages stay free."""
    filler = directory / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    assert free < 4096
    if leave_pages:
        os.truncate(filler, filler.stat().st_size - leave_pages * 4096)


@pytest.mark.parametrize("command", ["keygen", "comment", "passwd"])
def test_disk_full_leaves_the_old_pair_or_the_new_one(small_disk: Path, command: str) -> None:
    outcomes = set()
    for pages in range(5):
        for leftover in small_disk.iterdir():
            leftover.unlink()
        key = small_disk / "k"
        make_pair(key, "pw", "c0")
        old = pair_state(key, ["pw"])
        _fill(small_disk, pages)
        before = snapshot(small_disk)
        argv = {
            "keygen": ["keygen", "-f", str(key), "-N", "new", "-a", "1", "-C", "c1", "--force"],
            "comment": ["comment", "-f", str(key), "-P", "pw", "-C", "c1"],
            "passwd": ["passwd", "-f", str(key), "-P", "pw", "-N", "new", "-a", "1"],
        }[command]
        code, _out, err = run_main(*argv)
        state = pair_state(key, ["pw", "new"])
        if code == 0:
            assert state != old
            outcomes.add("new")
        else:
            assert code == 1 and len(err.strip().splitlines()) == 1, err
            assert "disk holding" in err and "is full" in err
            assert snapshot(small_disk) == before
            outcomes.add("old")
        assert not [p for p in small_disk.iterdir() if pairwrite.is_leftover_name(p.name)]
    assert outcomes == {"old", "new"}  # the disk was full for some tries, not for all


# -- leftovers of a killed run -------------------------------------------------------------------


def test_leftover_temporaries_are_listed_then_cleaned_by_the_next_write(keydir: Path) -> None:
    key = keydir / "k"
    make_pair(key, "pw")
    stale = keydir / ".k.0123456789ab.tmp"
    stale.write_bytes(b"half a key")
    stale.chmod(0o600)
    entry = next(e for e in scan_directory(keydir).keys if e.name == "k")
    problem = next(p for p in entry.problems if p.code == "leftover-temporary-file")
    assert ".k.0123456789ab.tmp" in problem.message
    assert not scan_directory(keydir).skipped  # not also reported as an unreadable file
    code, _out, err = run_main("comment", "-f", str(key), "-P", "pw", "-C", "new")
    assert code == 0, err
    assert not stale.exists()
    entry = next(e for e in scan_directory(keydir).keys if e.name == "k")
    assert "leftover-temporary-file" not in [p.code for p in entry.problems]


def test_a_committed_change_interrupted_between_the_renames_is_finished(keydir: Path) -> None:
    """The state a kill between the two renames leaves: the journal names the new .pub."""
    key = keydir / "k"
    make_pair(key, "pw", "old")
    new = generate_private_key("ed25519", None, "new")
    text = openssh_format.build(new.public_blob, new.entry, "pw2", ROUNDS).encode()
    from tui.core.keys.public import public_key_from_blob

    pub_line = (public_key_from_blob(new.public_blob, "new").line() + "\n").encode()
    tmp_priv = pairwrite._write_temp(pairwrite.NewFile(key, text, 0o600))
    tmp_pub = pairwrite._write_temp(pairwrite.NewFile(key.with_name("k.pub"), pub_line, 0o644))
    journal = keydir / ".k.sshdeck-journal"
    import json

    journal.write_text(
        json.dumps({"moves": [[str(tmp_priv), str(key)], [str(tmp_pub), str(key) + ".pub"]]})
    )
    os.replace(tmp_priv, key)  # killed here: new private key, old .pub
    listed = next(e for e in scan_directory(keydir).keys if e.name == "k")
    assert "leftover-temporary-file" in [p.code for p in listed.problems]
    code, out, _err = run_main("pub", "-f", str(key))  # the next operation finishes the change
    assert code == 0
    assert pair_state(key, ["pw2"])[1] == "new"
    assert sorted(p.name for p in keydir.iterdir()) == ["k", "k.pub"]


# -- kill -9 at random instants ------------------------------------------------------------------

_IN_MODIFY, _IN_ATTRIB, _IN_CLOSE_WRITE, _IN_MOVED_TO, _IN_CREATE = 0x2, 0x4, 0x8, 0x80, 0x100


class ModeWatcher:
    """inotify on the key directory: every file created, written, chmod-ed or renamed there is
    stat-ed at once; a file holding private material (any name without ``.pub``) wider than
    0600 is recorded."""

    def __init__(self, directory: Path) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0
        mask = _IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_TO | _IN_CREATE
        assert self.libc.inotify_add_watch(self.fd, os.fsencode(directory), mask) >= 0
        self.directory = directory
        self.too_wide: list[tuple[str, int]] = []
        self.events = 0

    def drain(self, timeout: float = 0.0) -> list[str]:
        """Read pending events (waiting up to ``timeout`` for the first); return created names."""
        created = []
        ready, _, _ = select.select([self.fd], [], [], timeout)
        while ready:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            pos = 0
            while pos < len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, pos)
                name = data[pos + 16 : pos + 16 + length].rstrip(b"\0").decode()
                pos += 16 + length
                self.events += 1
                if mask & (_IN_CREATE | _IN_MOVED_TO):
                    created.append(name)
                self._check(name)
            ready, _, _ = select.select([self.fd], [], [], 0)
        return created

    def _check(self, name: str) -> None:
        try:
            mode = os.lstat(self.directory / name).st_mode
        except FileNotFoundError:
            return
        # private material: 0600 at most; a .pub: 0644 at most (nobody else may write it)
        if mode & (0o022 if ".pub" in name else 0o077):
            self.too_wide.append((name, mode & 0o777))

    def close(self) -> None:
        os.close(self.fd)


def _child(argv: list[str]) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    code = 3
    try:
        code = main(argv)
    finally:
        os._exit(code)


def _run_and_kill(
    argv: list[str], watcher: ModeWatcher, delay: float | None, trigger: str = ".tmp"
) -> bool:
    """Run ``main(argv)`` in a forked child; SIGKILL it after ``delay`` seconds, or (``None``)
    at a random instant up to 4 ms after a file whose name ends with ``trigger`` appears.
    Returns True if killed."""
    pid = os.fork()
    if pid == 0:
        _child(argv)
    pidfd = os.pidfd_open(pid)
    killed = False
    try:
        if delay is None:
            deadline = time.monotonic() + 30
            while not killed and time.monotonic() < deadline:
                created = watcher.drain(timeout=0.05)
                if any(n.endswith(trigger) for n in created):
                    end = time.perf_counter() + random.uniform(0, 0.004)
                    while time.perf_counter() < end:  # a random instant inside the write phase
                        pass
                    killed = _kill(pid, pidfd)
                elif select.select([pidfd], [], [], 0)[0]:
                    break
        else:
            exited = select.select([pidfd], [], [], delay)[0]
            if not exited:
                killed = _kill(pid, pidfd)
        _, status = os.waitpid(pid, 0)
        if not killed:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    finally:
        os.close(pidfd)
    watcher.drain()
    return killed


def _kill(pid: int, pidfd: int) -> bool:
    if select.select([pidfd], [], [], 0)[0]:
        return False  # it finished first
    os.kill(pid, signal.SIGKILL)
    return True


def test_kill_9_at_random_instants_leaves_a_consistent_pair(keydir: Path) -> None:
    rng = random.Random(11)
    random.seed(11)
    key = keydir / "k"
    make_pair(key, "p0", "c0")
    watcher = ModeWatcher(keydir)
    passphrases = ["p0"]
    current, comment, blob = pair_state(key, passphrases)
    durations: dict[str, float] = {}
    kills = {"keygen": 0, "passwd": 0, "comment": 0}
    journal_seen = 0
    trial = 0
    while sum(kills.values()) < 105 and trial < 400:  # a run that ends first is not a kill
        trial += 1
        command = ("keygen", "passwd", "comment")[trial % 3]
        new_pass = f"p{trial}"
        argv = {
            "keygen": [
                "keygen",
                "-f",
                str(key),
                "-N",
                new_pass,
                "-a",
                str(ROUNDS),
                "-C",
                f"c{trial}",
                "--force",
            ],
            "passwd": ["passwd", "-f", str(key), "-P", current, "-N", new_pass, "-a", str(ROUNDS)],
            "comment": ["comment", "-f", str(key), "-P", current, "-C", f"c{trial}"],
        }[command]
        if command == "comment":
            new_pass = current
        if command not in durations:  # first run of each: unkilled, to time it
            start = time.monotonic()
            assert not _run_and_kill(argv, watcher, 60.0)
            durations[command] = time.monotonic() - start
        else:
            # a third at a uniform instant of the whole run, a third in the write phase (after the
            # first temporary appears), a third in the switch (after the journal appears)
            phase = trial // 3 % 3
            delay = rng.uniform(0, durations[command] * 1.1) if phase == 0 else None
            trigger = "-journal" if phase == 2 and command != "passwd" else ".tmp"
            kills[command] += _run_and_kill(argv, watcher, delay, trigger)
        # Before recovery: the pair is consistent, or a journal says a change is committed.
        if (keydir / ".k.sshdeck-journal").exists():
            journal_seen += 1
        else:
            pair_state(key, [current, new_pass])
        # The next operation (here: its first step) finishes or drops the interrupted change.
        with pairwrite.key_lock(key):
            pass
        old = (current, comment, blob)
        current, comment, blob = pair_state(key, [current, new_pass])
        new = {
            "keygen": (new_pass, f"c{trial}", None),
            "passwd": (new_pass, old[1], old[2]),
            "comment": (old[0], f"c{trial}", old[2]),
        }[command]
        assert (current, comment, blob) == old or (
            (current, comment) == new[:2]
            and blob == (new[2] or blob)
            and (command != "keygen" or blob != old[2])
        ), "neither the old pair nor the new one"
        passphrases.append(new_pass)
        assert sorted(p.name for p in keydir.iterdir()) == ["k", "k.pub"]
        assert not watcher.too_wide, watcher.too_wide
    watcher.close()
    total = sum(kills.values())
    print(
        f"\nkill test: {trial} runs, {total} SIGKILLs {kills}, {journal_seen} inside the switch, "
        f"{watcher.events} file events watched, none wider than 0600"
    )
    assert total >= 100, kills
    assert all(count >= 25 for count in kills.values()), kills


def test_concurrent_force_runs_on_one_key_end_consistent(keydir: Path) -> None:
    key = keydir / "k"
    make_pair(key, "", "c0")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tui",
                "keygen",
                "-f",
                str(key),
                "-N",
                "",
                "-C",
                f"run{i}",
                "--force",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(code == 0 for code, _err in results), results
    _pw, comment, _blob = pair_state(key, [""])
    assert comment.startswith("run")
    assert sorted(p.name for p in keydir.iterdir()) == ["k", "k.pub"]


def test_a_second_change_of_a_busy_key_waits_then_refuses_with_a_sentence(keydir: Path) -> None:
    key = keydir / "k"
    make_pair(key, "pw")
    with pairwrite.key_lock(key):
        with (
            pytest.raises(pairwrite.KeyBusy, match="Another sshdeck is changing"),
            pairwrite.key_lock(key, wait=0.1),
        ):
            pass
        # a change in progress is not a leftover
        entry = next(e for e in scan_directory(keydir).keys if e.name == "k")
        assert "leftover-temporary-file" not in [p.code for p in entry.problems]
    assert sorted(p.name for p in keydir.iterdir()) == ["k", "k.pub"]

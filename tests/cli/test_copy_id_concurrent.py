"""Concurrent installs into one account never lose a line (issue 11, item 1).

Many real ``sshdeck copy-id`` processes (and real ``ssh-copy-id`` ones) install keys into the
same account of one real sshd at the same time. Whatever the interleaving, every key ends up in
``authorized_keys`` exactly once, the bytes that were there before stay untouched, and a process
says ``installed`` only when its key truly is there. The fixture's sshd allows 50 unauthenticated
connections at once (``MaxStartups 50``), so 20 simultaneous logins are not refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, ssh_keygen
from tests.fixtures.hosts import CopyHost

PROCESSES = 20
ROUNDS = 3


def _make_keys(directory: Path, prefix: str, count: int, private: bool = True) -> list[Path]:
    """``count`` fresh ed25519 pairs (private 0600 from the first byte), ``<path>.pub`` beside;
    ``private=False`` writes the ``.pub`` alone (copy-id then has no key to verify a login)."""
    import asyncssh

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        key = asyncssh.generate_private_key("ssh-ed25519", comment=f"{prefix}{number}@race")
        path = directory / f"{prefix}{number}"
        if private:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.export_private_key())
        path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
        paths.append(path)
    return paths


def _line(key: Path) -> bytes:
    return key.with_name(key.name + ".pub").read_bytes().rstrip(b"\n")


def _blob(line: bytes) -> bytes:
    fields = line.split()
    for index, field in enumerate(fields[:-1]):
        if field.startswith((b"ssh-", b"ecdsa-", b"sk-")):
            return fields[index + 1]
    return b""


def _sshdeck(host: CopyHost, login: Path, key: Path, *targets: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "tui", "copy-id", "-i", f"{key}.pub", "--identity", str(login),
            "-o", f"UserKnownHostsFile={host.known_hosts}", "--json",
            "--parallel", str(len(targets) or 1), *(targets or (host.target,))]  # fmt: skip
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)  # fmt: skip


def _ssh_copy_id(host: CopyHost, login: Path, key: Path) -> subprocess.Popen[str]:
    """OpenSSH's own ssh-copy-id; ``-f`` because its presence check would log in with the login
    key (given by ``-o IdentityFile``) and take the new key for installed."""
    args = ["ssh-copy-id", "-f", "-i", f"{key}.pub", "-p", str(host.server.port),
            "-o", f"IdentityFile={login}", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", f"UserKnownHostsFile={host.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            f"{host.user.name}@127.0.0.1"]  # fmt: skip
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _results(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    hosts: list[dict[str, object]] = json.loads(out)["hosts"]
    return hosts


def _wait_ok(process: subprocess.Popen[str]) -> None:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out + err


@pytest.fixture
def race_host(copy_host: CopyHost, tmp_path: Path) -> tuple[CopyHost, Path, bytes]:
    """The account, the login key (authorized by an options line) and the file's first bytes:
    a CRLF comment, the options line, and a last line with a non-UTF-8 byte and no newline."""
    login = tmp_path / "login"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-C", "login@race", "-f", str(login))
    original = (
        b"# accounts of the race test\r\n"
        + b'from="127.0.0.1",no-agent-forwarding '
        + _line(login)
        + b"\n\xff junk kept as is\tno final newline"
    )
    copy_host.write_authorized(original)
    return copy_host, login, original


def _check_file(host: CopyHost, original: bytes, expected: list[Path], blank_ok: bool) -> None:
    """The original bytes, then a newline, then each expected key's line exactly once."""
    content = host.authorized_keys.read_bytes()
    assert content.startswith(original + b"\n"), content[: len(original) + 80]
    added = content[len(original) + 1 :].split(b"\n")
    assert added[-1] == b"", "the file ends with a newline"
    lines = [line for line in added[:-1] if line or not blank_ok]
    counts = Counter(_blob(line) for line in lines)
    wanted = {_blob(_line(key)): key for key in expected}
    lost = [wanted[blob].name for blob in wanted if counts[blob] == 0]
    doubled = [wanted[blob].name for blob in wanted if counts[blob] > 1]
    assert not lost, f"{len(lost)} of {len(expected)} lines lost: {lost}"
    assert not doubled, f"keys present more than once: {doubled}"
    assert sorted(lines) == sorted(_line(key) for key in expected)  # nothing else appended


def test_twenty_processes_three_rounds_lose_nothing(
    race_host: tuple[CopyHost, Path, bytes], tmp_path: Path
) -> None:
    host, login, original = race_host
    installed: list[Path] = []
    for round_number in range(ROUNDS):
        # the first round also logs in with each new key (verified); the others, with the .pub
        # files alone, only install, which keeps the test short on a busy machine
        first = round_number == 0
        keys = _make_keys(tmp_path / "keys", f"r{round_number}k", PROCESSES, private=first)
        processes = [_sshdeck(host, login, key) for key in keys]
        results = [_results(process) for process in processes]
        installed += keys
        _check_file(host, original, installed, blank_ok=False)
        assert [[r["result"] for r in hosts] for hosts in results] == [["installed"]] * PROCESSES
        assert [hosts[0]["verified"] for hosts in results] == [first or None] * PROCESSES
    assert sorted(p.name for p in host.ssh_dir.iterdir()) == ["authorized_keys"]


def test_same_key_from_many_processes_and_a_parallel_run_goes_in_once(
    race_host: tuple[CopyHost, Path, bytes], tmp_path: Path
) -> None:
    """The lock on the host: a check and an append by one process are never split by another's,
    so one key installed by 8 processes and a ``--parallel 3`` run naming the account 3 times
    is there once, and exactly one of them says ``installed``. A key already authorized by an
    options line counts as present for the 4 processes that try it."""
    host, login, original = race_host
    (key,) = _make_keys(tmp_path / "keys", "same", 1)
    processes = [_sshdeck(host, login, key) for _ in range(8)]
    processes.append(_sshdeck(host, login, key, host.target, host.target, host.target))
    processes += [_sshdeck(host, login, login) for _ in range(4)]
    results = [r["result"] for process in processes for r in _results(process)]
    assert Counter(results[:11]) == {"installed": 1, "already-present": 10}, results
    assert results[11:] == ["already-present"] * 4
    _check_file(host, original, [key], blank_ok=False)


def test_mixed_with_ssh_copy_id_loses_nothing(
    race_host: tuple[CopyHost, Path, bytes], tmp_path: Path, ssh_dir: Path
) -> None:
    """10 sshdeck and 10 ssh-copy-id processes at once: ssh-copy-id appends with ``>>``
    (O_APPEND) and takes no lock, so sshdeck must append too, never replace the file under it."""
    host, login, original = race_host
    keys = _make_keys(tmp_path / "keys", "mixed", PROCESSES)
    ours = [_sshdeck(host, login, key) for key in keys[::2]]
    theirs = [_ssh_copy_id(host, login, key) for key in keys[1::2]]
    results = [_results(process) for process in ours]
    for process in theirs:
        _wait_ok(process)
    # ssh-copy-id adds its own newline when it sees none: a blank line may appear once
    _check_file(host, original, keys, blank_ok=True)
    assert [[r["result"] for r in hosts] for hosts in results] == [["installed"]] * len(ours)


def test_host_without_sftp_or_flock_loses_nothing_either(
    copy_host_factory, path_without_flock: str, tmp_path: Path
) -> None:
    """The other path: no sftp subsystem (sh scripts, as ssh-copy-id) and no ``flock`` (the
    lock directory instead); 12 processes, 4 of them with one same key."""
    host = copy_host_factory(sftp=False, extra_config=path_without_flock)
    login = tmp_path / "login"
    ssh_keygen("-q", "-t", "ed25519", "-N", "", "-C", "login@race", "-f", str(login))
    original = _line(login) + b"\n# no final newline"
    host.write_authorized(original, mode=0o640)
    keys = _make_keys(tmp_path / "keys", "plain", 9)
    processes = [_sshdeck(host, login, key) for key in keys[:8]]
    processes += [_sshdeck(host, login, keys[8]) for _ in range(4)]
    results = [_results(process)[0]["result"] for process in processes]
    assert results[:8] == ["installed"] * 8
    assert Counter(results[8:]) == {"installed": 1, "already-present": 3}
    _check_file(host, original, keys, blank_ok=False)
    assert oct(host.authorized_keys.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in host.ssh_dir.iterdir()) == ["authorized_keys"]

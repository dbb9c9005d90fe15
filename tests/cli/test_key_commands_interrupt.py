"""ctrl+c during ``sshdeck keygen -t rsa``: exit 130, no file, and no RSA search left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_interrupting_an_rsa_keygen_stops_every_search(tmp_path: Path) -> None:
    target = tmp_path / "k"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "keygen", "-t", "rsa", "-b", "16384", "-N", "", "-f",
         str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        searches: set[int] = set()
        while not searches and time.monotonic() < deadline and proc.poll() is None:
            searches = _children_of(proc.pid)
            time.sleep(0.02)
        assert searches, "the search children started"
        os.kill(proc.pid, signal.SIGINT)  # only the parent, as a stray kill would
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "Interrupted" in stderr
    assert not target.exists() and not Path(f"{target}.pub").exists()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in searches) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = {pid for pid in searches if _alive(pid)}
    for pid in left:  # never leave a 16384-bit search behind on the shared machine
        os.kill(pid, signal.SIGKILL)
    assert not left, "no RSA search outlives the command"

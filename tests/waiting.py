"""Waiting on a condition instead of sleeping a fixed time: a wait ends as soon as what the test
needs has happened, and a slow (loaded) machine only makes it take longer, never fail early."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def wait_until(condition: Callable[[], object], timeout: float = 30, what: str = "") -> None:
    """Poll ``condition()`` until it holds; an AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout:g} s: {what or condition}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


async def eventually(condition: Callable[[], object], timeout: float = 30, what: str = "") -> None:
    """``wait_until`` for async tests: the event loop keeps running while it waits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.005
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"still waiting after {timeout:g} s: {what or condition}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)


def wait_for_newer_mtime(directory: Path, timeout: float = 10) -> None:
    """Wait until a file written now gets a later mtime than every file in ``directory``, so a
    test that asserts "mtime unchanged" would see any rewrite (filesystem clocks are coarse)."""
    newest = max((p.stat().st_mtime_ns for p in directory.iterdir()), default=0)

    def ticked() -> bool:
        with tempfile.NamedTemporaryFile(dir=directory.parent) as probe:
            return os.stat(probe.name).st_mtime_ns > newest

    wait_until(ticked, timeout, f"the filesystem clock to pass the files in {directory}")


def tcp_established(port: int) -> bool:
    """True when some local socket has an established TCP connection to 127.0.0.1:``port``."""
    remote = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        next(table)
        return any(
            fields[2] == remote and fields[3] == "01" for fields in (line.split() for line in table)
        )

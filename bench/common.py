"""Helpers for the benchmarks: timing whole commands and printing ratios."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence


def sshdeck_command() -> list[str]:
    """The installed ``sshdeck`` script when present (what users run), else ``python -m tui``."""
    exe = shutil.which(
        "sshdeck", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
    return [exe] if exe else [sys.executable, "-m", "tui"]


def time_command(
    argv: Sequence[str] | str, shell: bool = False, env: dict[str, str] | None = None
) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    return time.perf_counter() - start


def median_time(argv: Sequence[str] | str, runs: int, shell: bool = False) -> float:
    return statistics.median(time_command(argv, shell=shell) for _ in range(runs))


def report(label: str, ours: float, theirs: float, target: str) -> None:
    ratio = theirs / ours if ours else float("inf")
    share = ours / theirs if theirs else float("inf")
    print(
        f"{label}: sshdeck {ours * 1000:.1f} ms, OpenSSH {theirs * 1000:.1f} ms -> "
        f"sshdeck is {ratio:.2f}x as fast, i.e. takes {share:.2f}x OpenSSH's time ({target})"
    )

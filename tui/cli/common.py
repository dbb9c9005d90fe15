"""Small helpers shared by the command modules."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any

from tui.core.errors import InvalidArgument


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def read_stdin_lines(count: int) -> list[str]:
    """Read ``count`` lines from standard input (passphrases), without their line endings."""
    lines = []
    for _ in range(count):
        line = sys.stdin.readline()
        if not line:
            break
        lines.append(line.rstrip("\r\n"))
    if len(lines) < count:
        raise InvalidArgument(f"Expected {count} line(s) on standard input but got {len(lines)}.")
    return lines


def ask_secret(prompt: str) -> str:
    """Ask on the terminal without echo; refuses when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        raise InvalidArgument(
            "No terminal to ask the passphrase on; pass it with -N/-P or --passphrase-stdin."
        )
    return getpass.getpass(prompt)


def ask_new_passphrase(prompt: str = "Enter passphrase (empty for no passphrase): ") -> str:
    first = ask_secret(prompt)
    second = ask_secret("Enter same passphrase again: ")
    if first != second:
        raise InvalidArgument("The two passphrases do not match; run the command again.")
    return first

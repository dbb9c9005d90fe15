"""``sshdeck test``'s ``--inspect-with-password`` / ``--inspect-with KEY``: the read-only look.

When every key was refused, sshdeck logs in with the other credential (as the tested user, or
``--inspect-user``) and reads the server-side facts (:mod:`tui.core.inspect_server`); the
result's diagnosis then names the one cause and its fix. The password comes from standard input
(the line after ``--passphrase-stdin``'s and ``--password-stdin``'s), or is asked on the terminal
without echo; it never reaches any output.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from tui.core.errors import InvalidArgument

__all__ = ["add_options", "apply", "request_from_args"]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inspect-with-password", action="store_true",
        help="if every key is refused, log in with a password (stdin, or asked) and look why",
    )  # fmt: skip
    parser.add_argument(
        "--inspect-with", type=Path, metavar="KEY",
        help="if every key is refused, log in with this other key and look why",
    )  # fmt: skip
    parser.add_argument(
        "--inspect-user", metavar="USER",
        help="the account to inspect with (default: the tested user; root can read sshd -T)",
    )  # fmt: skip


def request_from_args(args: argparse.Namespace) -> Any:
    """The InspectRequest the options ask for, or None; raises InvalidArgument on bad input."""
    from tui.core.inspect_server import InspectRequest

    password_wanted = getattr(args, "inspect_with_password", False)
    key = getattr(args, "inspect_with", None)
    user = getattr(args, "inspect_user", None)
    if not password_wanted and key is None:
        if user is not None:
            raise InvalidArgument(
                "--inspect-user needs --inspect-with-password or --inspect-with KEY."
            )
        return None
    if password_wanted and key is not None:
        raise InvalidArgument("Use --inspect-with-password or --inspect-with KEY, not both.")
    if key is not None and not key.expanduser().is_file():
        raise InvalidArgument(f"No key file {key}; check the path given with --inspect-with.")
    password = None
    if password_wanted:
        if sys.stdin.isatty():
            password = getpass.getpass("Password to inspect the server with: ")
        else:
            line = sys.stdin.readline()
            if not line:
                raise InvalidArgument("--inspect-with-password found no line on standard input.")
            password = line.rstrip("\r\n")
    return InspectRequest(password=password, key=key.expanduser() if key else None, user=user)


def apply(result: Any, connect: Any, request: Any, show: Any) -> None:
    """Inspect when the login was refused; the finding replaces the diagnosis and the causes."""
    import asyncio

    import asyncssh

    from tui.core.errors import SshDeckError
    from tui.core.inspect_server import inspect_refusal
    from tui.core.trace import TranscriptLine

    if request is None or result.outcome != "auth-failed":
        return
    try:
        finding = asyncio.run(inspect_refusal(result, connect, request))
    except (
        OSError,
        TimeoutError,
        asyncssh.Error,
        SshDeckError,
    ) as exc:  # the look is extra: the test's answer stands
        result.inspection = {"login": False, "error": type(exc).__name__}
        return
    from tui.core.probe import _sentence

    result.inspection = finding.facts
    result.diagnosis = _sentence(finding.diagnosis)
    result.fix = _sentence(finding.fix)
    if finding.cause is not None:
        rest = [c for c in result.causes if c.code != finding.cause.code]
        # established: the ranking gives way to it; likely only (a setting it could not read
        # might undo it): first, before the others
        result.causes = [finding.cause] + ([] if finding.cause.confirmed else rest)
    line = TranscriptLine(0, f"{finding.diagnosis}: {finding.fix}.")
    result.lines.append(line)
    show(line)

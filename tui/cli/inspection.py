"""``sshdeck test``'s ``--inspect-with-password`` / ``--inspect-with KEY``: the read-only look.

When every key was refused, sshdeck logs in with the other credential (as the tested user, or
``--inspect-user``) and reads the server-side facts (:mod:`tui.core.connect.inspect_server`); the
result's diagnosis then names the one cause and its fix. The password comes from standard input
(the line after ``--passphrase-stdin``'s and ``--password-stdin``'s), or is asked on the terminal
without echo; it never reaches any output.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.connect.outcomes import Outcome
from tui.core.errors import InvalidArgument

if TYPE_CHECKING:
    from tui.core.connect.client import ConnectOptions
    from tui.core.connect.engine import Sink
    from tui.core.connect.inspect_server import InspectRequest
    from tui.core.connect.result import ProbeResult
    from tui.core.connect.service import ProbeService

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


def request_from_args(args: argparse.Namespace) -> InspectRequest | None:
    """The InspectRequest the options ask for, or None; raises InvalidArgument on bad input."""
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
    from tui.core.connect.inspect_server import InspectRequest  # only when inspecting

    return InspectRequest(password=password, key=key.expanduser() if key else None, user=user)


def apply(
    result: ProbeResult,
    connect: ConnectOptions,
    request: InspectRequest | None,
    show: Sink,
    service: ProbeService,
) -> ProbeResult:
    """Inspect when the login was refused: a new result whose diagnosis and causes are the
    finding's (the result as it was when there is nothing to inspect)."""
    import asyncio

    if request is None or result.outcome != Outcome.AUTH_FAILED:
        return result
    return asyncio.run(service.inspect(result, connect, request, show))

"""``sshdeck test``: log in to a host like ``ssh -v`` does, and say what went wrong.

The transcript streams on stderr (``-v``/``-vv``/``-vvv`` for more), the last line is the
diagnosis and the fix. Exit 0 when logged in (with ``-- COMMAND``: the command's exit status,
like ssh), the session's status when the login worked but ``true`` failed (``session-failed``:
a nologin shell, a failing ForceCommand), 255 when the connection or the login failed, 2 on
usage errors (also an ``-o`` option sshdeck cannot honour).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui.cli import inspection as inspect_cli
from tui.cli.common import print_json, read_stdin_lines
from tui.core.errors import InvalidArgument
from tui.core.text import visible

EXIT_CONNECTION_FAILED = 255
EXIT_USAGE = 2


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", dest="port", type=int, help="port to connect to")
    parser.add_argument(
        "-i", dest="identities", action="append", default=[], type=Path, metavar="KEY",
        help="private key to offer (repeatable)",
    )  # fmt: skip
    parser.add_argument("-F", dest="config_file", type=Path, metavar="CONFIG", help="ssh config")
    parser.add_argument(
        "-o", dest="ssh_options", action="append", default=[], metavar="OPTION",
        help="an ssh_config option (Name=value): IdentitiesOnly, User, Port, IdentityFile, "
        "HostKeyAlgorithms, Ciphers, KexAlgorithms, ProxyJump, UserKnownHostsFile, ...",
    )  # fmt: skip
    parser.add_argument("-v", dest="verbose", action="count", default=0, help="more detail")
    parser.add_argument("--accept-new", action="store_true", help="trust an unknown host key")
    parser.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS")
    parser.add_argument("--engine", choices=("asyncssh", "openssh"), default="asyncssh")
    parser.add_argument(
        "--log", metavar="FILE",
        help="save the -vvv transcript (a directory, DIR/: DIR/ssh.<host>.debug)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--passphrase-stdin", action="store_true", help="read a key passphrase from stdin"
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a password from stdin (after the passphrase line when both are given)",
    )
    inspect_cli.add_options(parser)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test",
        help="test an SSH login and diagnose failures",
        usage="sshdeck test [user@]host [-p PORT] [-i KEY]... [-F CONFIG] "
        "[-o OPTION=VALUE]... [-v|-vv|-vvv] [--accept-new] [--timeout SECONDS] "
        "[--engine asyncssh|openssh] [--log FILE] [--json] [--passphrase-stdin] "
        "[--password-stdin] [-- COMMAND]",
    )
    _add_options(parser)
    # argparse cannot take options after the target and a command after "--" at once: the
    # rest is parsed again in run() by a parser with the same options.
    parser.add_argument("rest", nargs=argparse.REMAINDER, metavar="[user@]host [-- COMMAND]")
    parser.set_defaults(func=run)


def _reparse(args: argparse.Namespace) -> list[str]:
    rest = list(args.rest)
    command: list[str] = []
    if "--" in rest:
        cut = rest.index("--")
        rest, command = rest[:cut], rest[cut + 1 :]
    inner = argparse.ArgumentParser(prog="sshdeck test", argument_default=argparse.SUPPRESS)
    _add_options(inner)
    inner.add_argument("target", help="[user@]host[:port] or a Host alias of ~/.ssh/config")
    for action in inner._actions:
        if action.dest in vars(args) and action.dest != "help":
            action.default = getattr(args, action.dest)
    inner.parse_args(rest, namespace=args)
    return command


class UsageError(Exception):
    pass


def log_path(text: str, host: str) -> Path:
    """Where ``--log`` writes: a directory (an existing one, or any path ending in ``/``) gets
    the guide's name ``DIR/ssh.HOST.debug``; a file name is used as given. A directory that
    does not exist, or a file in one, is a usage error: nothing is created."""
    from tui.core.connect.probe import transcript_name

    if not text:
        raise UsageError("--log needs a file or a directory.")
    path = Path(text).expanduser()
    if text.endswith("/") or path.is_dir():
        if not path.is_dir():
            raise UsageError(
                f"No directory {visible(str(path))} for the log; create it or check --log."
            )
        return path / transcript_name(host)  # the guide's name
    if not path.parent.is_dir():
        raise UsageError(f"No directory {visible(str(path.parent))} for the log; check --log.")
    return path


def _ssh_options(values: list[str], args: argparse.Namespace) -> Path | None:
    """Check every ``-o`` (an option sshdeck cannot honour is a usage error naming it); the
    first value of an option wins, as with ssh. Returns the -o UserKnownHostsFile."""
    from tui.core.connect.client import check_ssh_option

    known_hosts: Path | None = None
    seen: set[str] = set()
    for option in values:
        try:
            name = check_ssh_option(option)
        except InvalidArgument as exc:
            raise UsageError(str(exc)) from None
        lowered = name.lower()
        value = option.strip()[len(name) :].lstrip(" =").strip()
        if lowered in seen:
            continue  # ssh: the first value wins
        seen.add(lowered)
        if lowered == "userknownhostsfile":
            known_hosts = Path(value.split()[0]).expanduser()
        elif lowered == "stricthostkeychecking" and value.lower() == "accept-new":
            args.accept_new = True
        elif lowered == "connecttimeout":
            if not value.isdigit() or int(value) <= 0:
                raise UsageError(f"-o {option}: ConnectTimeout takes a number of seconds.")
            args.timeout = float(value)
    return known_hosts


def _quick_exit() -> None:
    """The process ends after the test: its last garbage collections need not visit every
    object the imports made (tens of milliseconds); finalisers and atexit work still run."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def run(args: argparse.Namespace) -> int:
    from tui.core.connect import early
    from tui.core.connect.options import InvalidTarget, parse_target

    _quick_exit()
    command = _reparse(args)
    try:
        known_hosts = _ssh_options(args.ssh_options, args)
        target = parse_target(args.target)
        if args.port is not None and not 0 < args.port < 65536:
            raise UsageError("The port must be a number from 1 to 65535.")
        if args.config_file is not None and not args.config_file.is_file():
            raise UsageError(f"Cannot read the config file {args.config_file}; check -F.")
        for key in args.identities:
            if not key.expanduser().is_file():
                raise UsageError(f"No key file {key}; check the path given with -i.")
        if args.timeout <= 0:
            raise UsageError("The timeout must be a positive number of seconds.")
        args.log = log_path(args.log, target.host) if args.log is not None else None
    except (UsageError, InvalidTarget) as exc:
        print(f"sshdeck test: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.engine == "asyncssh":  # connect while the imports below run (tui.core.connect.early)
        port = args.port or target.port or 22
        early.start(target.host, port, args.config_file, tuple(args.ssh_options), args.timeout)
    try:
        return _run(args, command, target, known_hosts)
    finally:
        early.discard()


def _run(
    args: argparse.Namespace, command: list[str], target: Any, known_hosts: Path | None
) -> int:
    import asyncio

    from tui.core.connect.client import ConnectOptions, resolve_config
    from tui.core.connect.outcomes import Outcome
    from tui.core.connect.service import ProbeService
    from tui.core.connect.trace import StageEvent, TranscriptLine
    from tui.core.settings import Settings

    wanted = int(args.passphrase_stdin) + int(args.password_stdin)
    try:
        lines = read_stdin_lines(wanted) if wanted else []
    except InvalidArgument:
        which = " and ".join(
            flag
            for flag, on in (
                ("--passphrase-stdin", args.passphrase_stdin),
                ("--password-stdin", args.password_stdin),
            )
            if on
        )
        count = "lines" if wanted > 1 else "line"
        print(
            f"sshdeck test: {which} found no {count} on standard input"
            + (" (the passphrase first, then the password)." if wanted > 1 else "."),
            file=sys.stderr,
        )
        return EXIT_USAGE
    passphrase = lines.pop(0) if args.passphrase_stdin else None
    password = lines.pop(0) if args.password_stdin else None
    try:
        inspect_request = inspect_cli.request_from_args(args)
    except InvalidArgument as exc:
        print(f"sshdeck test: {exc}", file=sys.stderr)
        return EXIT_USAGE
    verbosity = min(args.verbose, 3)
    service = ProbeService(Settings.from_environment())
    options = ConnectOptions(
        target=target,
        port=args.port,
        identities=tuple(args.identities),
        config_file=args.config_file,
        known_hosts_file=known_hosts,
        accept_new=args.accept_new,
        timeout=args.timeout,
        passphrase=passphrase,
        password=password,
        debug_level=3 if args.log else max(verbosity, 1),
        ssh_options=tuple(args.ssh_options),
        settings=service.settings,
    )
    try:  # a config file ssh would refuse ("Bad number") is a usage error, before connecting
        resolve_config(options)
    except InvalidArgument as exc:
        print(f"sshdeck test: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def show(event: TranscriptLine | StageEvent) -> None:
        if isinstance(event, TranscriptLine) and event.level <= verbosity:
            print(event.text, file=sys.stderr, flush=True)

    # like ssh: the words are joined with spaces and the remote shell splits them again
    remote = " ".join(command) if command else None
    probe_options = service.options(options, command=remote, engine=args.engine)
    result = asyncio.run(service.run(probe_options, show))
    result = inspect_cli.apply(result, options, inspect_request, show, service)
    if result.power_os_note:  # AIX or IBM i: where keys go there, said after the diagnosis
        show(TranscriptLine(0, result.power_os_note))
    if args.log:
        service.save_transcript(result.lines, args.log)
    if args.json:
        document = result.to_json()
        if command:
            document["stdout"], document["stderr"] = result.stdout, result.stderr
        print_json(document)
    else:
        if result.stdout:
            sys.stdout.write(result.stdout)
        if result.stderr:  # remote stderr shown as ssh shows untrusted text: \033, not ESC
            sys.stderr.write(visible(result.stderr, multiline=True))
    if result.outcome == Outcome.SESSION_FAILED and result.exit_status is not None:
        return result.exit_status  # like ssh: the status of the session that failed
    if not result.ok:
        return EXIT_CONNECTION_FAILED
    return result.exit_status if command and result.exit_status is not None else 0

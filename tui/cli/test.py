"""``sshdeck test``: log in to a host and say what went wrong, like ``ssh -v`` with a diagnosis.

First cut: the asyncssh engine with outcome classification, JSON and exit codes (0 / 255 / 2);
the per-stage transcript of tui.core.probe is still to come.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from tui.cli.common import print_json, read_stdin_lines

EXIT_CONNECTION_FAILED = 255


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", dest="port", type=int, help="port to connect to")
    parser.add_argument("-i", dest="identities", action="append", default=[], type=Path)
    parser.add_argument("-F", dest="config_file", type=Path, help="ssh config file")
    parser.add_argument("-o", dest="ssh_options", action="append", default=[], metavar="OPTION")
    parser.add_argument("-v", dest="verbose", action="count", default=0)
    parser.add_argument("--accept-new", action="store_true")
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--engine", choices=("asyncssh", "openssh"), default="asyncssh")
    parser.add_argument("--log", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--passphrase-stdin", action="store_true")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("test", help="test an SSH login and diagnose failures")
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


def run(args: argparse.Namespace) -> int:
    from tui.core.connect import ConnectionFailed, ConnectOptions, parse_target
    from tui.core.errors import InvalidArgument

    command = _reparse(args)
    known_hosts: Path | None = None
    for option in args.ssh_options:
        name, _, value = option.partition("=")
        if name.lower() != "userknownhostsfile" or not value:
            raise InvalidArgument(f"Unsupported option {option!r}; only UserKnownHostsFile=FILE.")
        known_hosts = Path(value).expanduser()
    if args.engine == "openssh":
        raise InvalidArgument("The openssh engine is not built yet; use --engine asyncssh.")
    if args.passphrase_stdin:
        read_stdin_lines(1)  # passphrase handling for encrypted keys is not built yet
    options = ConnectOptions(
        target=parse_target(args.target),
        port=args.port,
        identities=tuple(args.identities),
        config_file=args.config_file,
        known_hosts_file=known_hosts,
        accept_new=args.accept_new,
        timeout=args.timeout,
    )
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, file=sys.stderr)

    host = options.target.host
    say(f"debug1: Connecting to {host} [{host}] port {options.effective_port}.")
    started = time.monotonic()
    report: dict[str, Any] = {
        "ok": False,
        "outcome": "ok",
        "diagnosis": "",
        "fix": "",
        "stages": [],
        "server_version": None,
        "kex": None,
        "host_key": None,
        "auth_methods": [],
        "offered_keys": [],
        "accepted_key": None,
    }
    output = ""
    code = 0
    try:
        output, code, facts = asyncio.run(_login(options, command))
        method = facts.pop("auth_method")
        report.update(facts)
        report["ok"] = code == 0
        report["diagnosis"] = f"Authenticated to {host} using {method}."
        say(f"Authenticated to {host} using {method!r}.")
    except ConnectionFailed as failure:
        diagnosis, _, fix = str(failure).partition("; ")
        report.update(outcome=failure.outcome, diagnosis=diagnosis, fix=fix)
        say(str(failure))
        code = EXIT_CONNECTION_FAILED
    elapsed = int((time.monotonic() - started) * 1000)
    report["stages"] = [{"name": "authentication", "ok": report["outcome"] == "ok", "ms": elapsed}]
    if args.log:
        args.log.write_text("\n".join(lines) + "\n")
    if output:
        sys.stdout.write(output)
    if args.json:
        print_json(report)
    return code


async def _login(options: Any, command: list[str]) -> tuple[str, int, dict[str, Any]]:
    from tui.core.connect import open_connection

    conn = await open_connection(options)
    async with conn:
        key = conn.get_server_host_key()
        facts: dict[str, Any] = {
            "server_version": conn.get_extra_info("server_version"),
            "host_key": {"type": key.get_algorithm(), "sha256": key.get_fingerprint("sha256")}
            if key
            else None,
            "auth_method": "publickey" if options.password is None else "password",
        }
        if not command:
            return "", 0, facts
        result = await conn.run(" ".join(command))
        return str(result.stdout or ""), int(result.exit_status or 0), facts

"""``sshdeck copy-id``: install a public key on hosts, like ssh-copy-id but many at once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.cli.common import print_json
from tui.core.errors import InvalidArgument


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "copy-id",
        help="install a public key in hosts' authorized_keys",
        description="Install a public key in the authorized_keys of one or more hosts.",
    )
    parser.add_argument("-i", dest="public_key", type=Path, help="public key file (KEY.pub)")
    parser.add_argument("-p", dest="port", type=int, help="port for hosts that give none")
    login = parser.add_mutually_exclusive_group()
    login.add_argument("--identity", type=Path, help="private key used to log in")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the login password from stdin"
    )
    parser.add_argument("-F", dest="config", type=Path, help="ssh config file")
    parser.add_argument(
        "-o",
        dest="ssh_options",
        action="append",
        default=[],
        metavar="UserKnownHostsFile=FILE",
        help="ssh option; UserKnownHostsFile is understood",
    )
    parser.add_argument("--accept-new", action="store_true", help="trust unknown host keys")
    parser.add_argument("-n", dest="dry_run", action="store_true", help="dry run: change nothing")
    parser.add_argument("--parallel", type=int, default=8, help="hosts at once (default 8)")
    parser.add_argument("--hosts-file", type=Path, help="file with one target a line")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("hosts", nargs="*", metavar="[user@]HOST")
    parser.set_defaults(func=run, parser=parser)


def newest_default_key(ssh_dir: Path) -> Path | None:
    """Like ssh-copy-id: the most recently modified ~/.ssh/id_*.pub."""
    candidates = [p for p in ssh_dir.glob("id_*.pub") if p.is_file()]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def known_hosts_option(options: list[str]) -> Path | None:
    known: Path | None = None
    for option in options:
        name, sep, value = option.partition("=")
        if not sep:
            name, _, value = option.partition(" ")
        if name.strip().lower() == "userknownhostsfile" and value.strip():
            known = Path(value.strip()).expanduser()
        else:
            raise InvalidArgument(
                f"The option {option!r} is not supported; only -o UserKnownHostsFile=FILE is."
            )
    return known


def run(args: argparse.Namespace) -> int:
    from tui.core.keys import read_public_key_file
    from tui.core.upload import authorized_keys as ak

    if args.parallel < 1:
        args.parser.error("--parallel must be at least 1")
    if args.port is not None and not 0 < args.port < 65536:
        args.parser.error("-p must be a port from 1 to 65535")
    targets = [ak.parse_target_text(text) for text in args.hosts]
    if args.hosts_file is not None:
        targets += ak.read_hosts_file(args.hosts_file)
    if not targets:
        args.parser.error("give at least one [user@]HOST or --hosts-file")
    known_hosts = known_hosts_option(args.ssh_options)

    public_path = args.public_key
    if public_path is None:
        public_path = newest_default_key(Path.home() / ".ssh")
        if public_path is None:
            raise InvalidArgument(
                "No ~/.ssh/id_*.pub found; pass the key with -i KEY.pub or create one first."
            )
        print(f"Using the key {public_path}", file=sys.stderr)
    public_key = read_public_key_file(public_path)

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidArgument("No password on standard input; write it as the first line.")
    identities = (args.identity,) if args.identity else ()
    verify_with = ak.default_private_key(public_path)

    options = [
        ak.ConnectOptions(
            target=target,
            port=target.port or args.port,
            identities=identities,
            config_file=args.config,
            known_hosts_file=known_hosts,
            accept_new=args.accept_new,
            password=password,
            use_agent=not args.password_stdin and not identities,
        )
        for target in targets
    ]

    import asyncio

    results = asyncio.run(
        ak.install_many(
            public_key,
            options,
            parallel=args.parallel,
            dry_run=args.dry_run,
            verify_with=verify_with,
        )
    )
    if args.json:
        print_json({"hosts": [r.to_json() for r in results]})
    else:
        for r in results:
            who = f"{r.user}@{r.host}" if r.user else r.host
            line = f"{who}:{r.port}: {r.result}"
            if r.error is None:
                print(line)
            else:
                print(f"{line}: {r.error}", file=sys.stderr)
    failed = [r for r in results if r.result == "failed"]
    if failed and not args.json:
        print(f"{len(failed)} of {len(results)} host(s) failed.", file=sys.stderr)
    return 1 if failed else 0

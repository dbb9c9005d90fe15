"""``sshdeck copy-id``: install a public key on hosts, like ssh-copy-id but many at once.

Results go to stdout (one line a host in target order, or ``--json``); progress goes to stderr,
one line a host as each finishes, so a long run over many hosts shows where it is.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui.cli.common import print_json
from tui.core.errors import InvalidArgument, SshDeckError
from tui.core.text import visible

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tui.core.keys.public import PublicKey
    from tui.core.upload.authorized_keys import HostProgress, HostResult


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "copy-id",
        help="install a public key in hosts' authorized_keys",
        description=(
            "Install a public key in ~/.ssh/authorized_keys of one or more hosts, like "
            "ssh-copy-id: only when it is not there yet, keeping the file's content, and "
            "checking afterwards that the new key logs in."
        ),
    )
    parser.add_argument(
        "-i",
        dest="public_key",
        type=Path,
        metavar="KEY.pub",
        help="public key to install (default: the newest ~/.ssh/id*.pub)",
    )
    parser.add_argument(
        "-p", dest="port", type=int, metavar="PORT", help="port for hosts with none"
    )
    login = parser.add_mutually_exclusive_group()
    login.add_argument(
        "--identity", type=Path, metavar="KEY", help="private key to log in with (default: agent)"
    )
    login.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the login password from the first line of stdin (bootstrap a host)",
    )
    parser.add_argument("-F", dest="config", type=Path, metavar="CONFIG", help="ssh config file")
    parser.add_argument(
        "-o",
        dest="ssh_options",
        action="append",
        default=[],
        metavar="UserKnownHostsFile=FILE",
        help="ssh option: UserKnownHostsFile=FILE or StrictHostKeyChecking=accept-new",
    )
    parser.add_argument(
        "--accept-new", action="store_true", help="trust and record unknown host keys"
    )
    parser.add_argument(
        "-n", "--dry-run", dest="dry_run", action="store_true", help="say what would be done"
    )
    parser.add_argument(
        "--parallel", type=int, default=10, metavar="N", help="hosts at once (default 10)"
    )
    parser.add_argument("--hosts-file", type=Path, metavar="FILE", help="one target a line")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "hosts",
        nargs="*",
        metavar="[user@]HOST",
        help="host, user@host, host:port, [v6addr]:port or a ~/.ssh/config Host alias",
    )
    parser.set_defaults(func=run, parser=parser)


def newest_default_key(ssh_dir: Path) -> Path | None:
    """Like ssh-copy-id: the most recently modified ~/.ssh/id*.pub that is not a certificate.

    (ssh-copy-id runs ``ls -t ~/.ssh/id*.pub | grep -v -- '-cert.pub$'``: a certificate in
    authorized_keys would authorize nothing.)
    """
    candidates = [
        p for p in ssh_dir.glob("id*.pub") if p.is_file() and not p.name.endswith("-cert.pub")
    ]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def public_key_path(given: Path) -> Path:
    """ssh-copy-id adds ``.pub`` to a name that lacks it; so do we when that file exists.

    A private key without its ``.pub`` is refused with the command that makes one (as
    ssh-copy-id, which fails to open ``KEY.pub``), rather than with a bare "private key".
    """
    if given.suffix != ".pub":
        public = given.with_name(given.name + ".pub")
        if public.is_file():
            return public
        if given.is_file() and _looks_private(given):
            raise InvalidArgument(
                f"{given} is a private key and {public} does not exist; make it with "
                f"ssh-keygen -y -f {given} > {public}, then run again."
            )
    return given


def _looks_private(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return b"PRIVATE KEY-----" in head


#: ``-o`` options that change neither what is installed nor how the host is trusted: accepted
#: (ssh-copy-id hands every ``-o`` to ssh, so scripts often carry them) and without effect here.
HARMLESS_OPTIONS = frozenset(
    {
        "batchmode",
        "loglevel",
        "identitiesonly",
        "connectionattempts",
        "serveraliveinterval",
        "serveralivecountmax",
        "forwardagent",
        "forwardx11",
        "controlmaster",
        "controlpath",
        "controlpersist",
    }
)


@dataclass
class SshOptions:
    """What the ``-o`` options ask for; None/empty where they say nothing."""

    known_hosts: Path | None = None
    accept_new: bool = False
    timeout: float | None = None
    port: int | None = None
    user: str | None = None
    identities: list[Path] = field(default_factory=list)


def ssh_options(options: list[str]) -> SshOptions:
    """The ``-o`` options understood: UserKnownHostsFile, StrictHostKeyChecking=accept-new, and
    the everyday ones (ConnectTimeout, Port, User, IdentityFile, and the harmless ones above).

    StrictHostKeyChecking=yes is the default anyway; =no is refused, since a host key must be
    checked before a password or a key goes to the host. Anything else is refused rather than
    silently ignored.
    """
    found = SshOptions()
    for option in options:
        name, sep, value = option.partition("=")
        if not sep:
            name, _, value = option.strip().partition(" ")
        name, value = name.strip().lower(), value.strip()
        if name == "userknownhostsfile" and value:
            found.known_hosts = Path(value.split()[0]).expanduser()
        elif name == "stricthostkeychecking" and value.lower() in ("accept-new", "yes", "ask"):
            found.accept_new = found.accept_new or value.lower() == "accept-new"
        elif name == "stricthostkeychecking":
            raise InvalidArgument(
                f"-o {option} would skip the host key check; use --accept-new to trust a new "
                "host, and check a changed one before going on."
            )
        elif name == "connecttimeout" and value.isdigit() and int(value) > 0:
            found.timeout = float(value)
        elif name == "port" and value.isdigit() and 0 < int(value) < 65536:
            found.port = int(value)
        elif name == "user" and value:
            found.user = value
        elif name == "identityfile" and value:
            found.identities.append(Path(value).expanduser())
        elif name in HARMLESS_OPTIONS and value:
            continue
        else:
            raise InvalidArgument(
                f"The option {option!r} is not supported; use -o UserKnownHostsFile=FILE, "
                "-o StrictHostKeyChecking=accept-new, ConnectTimeout, Port, User or IdentityFile."
            )
    return found


def _terminal_passphrase() -> Callable[[Path, str], Awaitable[str | None]]:
    """``ask_passphrase`` for the connection code: one prompt a key, whatever the host count."""
    import asyncio
    import getpass

    answers: dict[Path, str | None] = {}
    lock = asyncio.Lock()

    async def ask(path: Path, sha256: str) -> str | None:
        async with lock:  # hosts log in in parallel; the terminal takes one question at a time
            if path not in answers:
                prompt = f"Enter passphrase for key '{path}': "
                answers[path] = await asyncio.to_thread(getpass.getpass, prompt) or None
            return answers[path]

    return ask


def _keys_of_file(path: Path) -> list[PublicKey]:
    """Every key line of the file, as ssh-copy-id installs every line of ``KEY.pub``.

    :func:`read_public_key_file` first: its one-sentence errors for a missing, empty, binary or
    private file, and the one RFC 4716 / PEM key.
    """
    from tui.core.keys.public import parse_public_keys, read_public_key_file, read_text_file

    first = read_public_key_file(path)
    text = read_text_file(path)
    keys = [] if text.lstrip().startswith("----") else parse_public_keys(text)
    if len(keys) > 1:
        print(
            f"sshdeck: {visible(str(path))} holds {len(keys)} keys; each goes in", file=sys.stderr
        )
    return keys or [first]


async def _agent_public_keys() -> list[PublicKey]:
    """ssh-copy-id's fallback when no ``-i`` and no default file: the agent's keys."""
    from tui.core.keys.agent import agent_socket, list_keys

    missing = "No ~/.ssh/id*.pub found; pass the key with -i KEY.pub or create one first."
    if agent_socket() is None:
        raise InvalidArgument(missing)
    try:
        keys = [entry.public for entry in await list_keys()]
    except SshDeckError:
        raise InvalidArgument(missing) from None
    if not keys:
        raise InvalidArgument(missing)
    return keys


def _result_line(result: HostResult) -> str:
    """One host's line of text output. Host and user names, file names in the error and the
    host's own words (remote stderr) are shown through :func:`visible`; ``--json`` keeps them
    exact."""
    line = f"{visible(result.label)}: {result.result}"
    if result.verified is True:
        line += " (login with the new key works)"
    if result.error:
        line += f": {visible(result.error)}"
    elif result.result == "would-install" and result.detail:
        line += f": {visible(result.detail)}"
    return line


def run(args: argparse.Namespace) -> int:
    from tui.core.connect.client import ConnectOptions, parse_target
    from tui.core.settings import Settings
    from tui.core.upload import authorized_keys as ak
    from tui.core.upload.service import InstallPlan, InstallService

    settings = Settings.from_environment()
    if args.parallel < 1:
        args.parser.error("--parallel must be at least 1")
    if args.port is not None and not 0 < args.port < 65536:
        args.parser.error("-p must be a port from 1 to 65535")
    if not args.hosts and args.hosts_file is None:
        args.parser.error("give at least one [user@]HOST or --hosts-file")
    try:
        targets = [parse_target(text) for text in args.hosts]
        extra = ssh_options(args.ssh_options)
    except InvalidArgument as exc:
        args.parser.error(visible(str(exc)))
    if args.identity is not None and not args.identity.expanduser().is_file():
        raise InvalidArgument(
            f"The login key {args.identity} (--identity) does not exist; check the path."
        )
    if args.hosts_file is not None:
        targets += ak.read_hosts_file(args.hosts_file)
    if not targets:
        raise InvalidArgument(f"The hosts file {args.hosts_file} lists no host; add one a line.")

    import asyncio

    public_keys: list[PublicKey]
    public_path: Path | None
    if args.public_key is None:
        public_path = newest_default_key(settings.ssh_dir)
        if public_path is not None:
            print(f"sshdeck: using the key {visible(str(public_path))}", file=sys.stderr)
            public_keys = _keys_of_file(public_path)
        else:
            public_keys = asyncio.run(_agent_public_keys())
            print(
                f"sshdeck: no ~/.ssh/id*.pub; using the {len(public_keys)} key(s) of the "
                "ssh-agent (ssh-add -L), as ssh-copy-id does",
                file=sys.stderr,
            )
    else:
        public_path = public_key_path(args.public_key)
        public_keys = _keys_of_file(public_path)

    password = None
    if args.password_stdin and sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password for the hosts: ")  # typed, not echoed
    elif args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidArgument("No password on standard input; write it as the first line.")
    identities = ((args.identity,) if args.identity else ()) + tuple(extra.identities)

    # an encrypted login key not in the keyring: ask on the terminal as ssh does, once a key
    ask = _terminal_passphrase() if sys.stdin.isatty() and not args.password_stdin else None
    options = [
        ConnectOptions(
            target=target if target.user or not extra.user else replace(target, user=extra.user),
            port=target.port or args.port or extra.port,
            identities=identities,
            config_file=args.config,
            known_hosts_file=extra.known_hosts,
            accept_new=args.accept_new or extra.accept_new,
            password=password,
            use_agent=not args.password_stdin and not args.identity,
            timeout=extra.timeout or ConnectOptions.timeout,
            ask_passphrase=ask,
        )
        for target in targets
    ]
    finished = 0

    def progress(event: HostProgress) -> None:
        nonlocal finished
        if event.result is None:
            return
        finished += 1
        print(f"[{finished}/{len(options)}] {_result_line(event.result)}", file=sys.stderr)
        sys.stderr.flush()

    plan = InstallPlan(
        tuple(public_keys),
        tuple(options),
        dry_run=args.dry_run,
        verify_with=ak.default_private_key(public_path) if public_path else None,
    )
    service = InstallService(settings, parallel=args.parallel)
    results = asyncio.run(service.run(plan, progress))
    if args.json:
        print_json({"hosts": [r.to_json() for r in results]})
    else:
        for result in results:
            print(_result_line(result))
    failed = sum(r.result == "failed" for r in results)
    if failed:
        print(f"sshdeck: {failed} of {len(results)} host(s) failed.", file=sys.stderr)
    return 1 if failed else 0

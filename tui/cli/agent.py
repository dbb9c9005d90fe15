"""``sshdeck agent list|add|remove``: the ssh-agent from the command line (ssh-add's twin).

``list`` prints one ``ssh-add -l`` line per key (``-L`` style public lines with ``--public``),
``add -f FILE [-t SECONDS]`` adds a key (the passphrase comes from the keyring first, then
``-P``/``--passphrase-stdin``, then a prompt on a terminal), ``remove -f FILE`` removes it.
Exit codes: 0 done, 1 failed (one sentence on stderr), 2 usage error.

The agent's socket and the keyring come through the core's
:class:`~tui.core.keys.service.KeyService`, built from ``Settings.from_environment()``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import ask_secret, print_json, read_stdin_lines
from tui.cli.keys import key_service
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.keys.service import KeyService

PROMPT_TRIES = 3


def _lifetime(text: str) -> int:
    from tui.core.errors import InvalidArgument
    from tui.core.keys.agent import parse_lifetime

    try:
        return parse_lifetime(text)
    except InvalidArgument as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("agent", help="list, add or remove ssh-agent keys (like ssh-add)")
    actions = p.add_subparsers(dest="agent_command", metavar="ACTION", required=True)

    a = actions.add_parser("list", help="the keys the agent holds (like ssh-add -l)")
    a.add_argument("--public", action="store_true", help="print public key lines (ssh-add -L)")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.set_defaults(func=cmd_list)

    a = actions.add_parser("add", help="add a private key to the agent (like ssh-add)")
    a.add_argument("-f", dest="file", required=True, type=Path, help="private key file")
    a.add_argument(
        "-t",
        dest="lifetime",
        type=_lifetime,
        default=None,
        metavar="SECONDS",
        help="remove the key from the agent after this time (600, 10m, 1h30m)",
    )
    secret = a.add_mutually_exclusive_group()
    secret.add_argument("-P", dest="passphrase", default=None, help="the key's passphrase")
    secret.add_argument(
        "--passphrase-stdin", action="store_true", help="read the passphrase from stdin"
    )
    a.add_argument(
        "--remember",
        action="store_true",
        help="store the passphrase in the system keyring (by fingerprint) once it worked",
    )
    a.add_argument("--json", action="store_true", help="print JSON")
    a.set_defaults(func=cmd_add)

    a = actions.add_parser("remove", help="remove a key from the agent (like ssh-add -d)")
    a.add_argument("-f", dest="file", required=True, type=Path, help="private or public key file")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.set_defaults(func=cmd_remove)


def cmd_list(args: argparse.Namespace) -> int:
    service = key_service()
    keys = _run_async(service.agent_keys())
    if args.json:
        print_json({"socket": service.agent_socket, "keys": [k.to_json() for k in keys]})
    elif not keys:
        print("The agent has no identities.")
    else:
        for key in keys:
            line = key.public.line() if args.public else key.public.keygen_line()
            print(visible(line))
    return 0


def _open(args: argparse.Namespace, service: KeyService) -> tuple[Any, str | None]:
    """Open the key: keyring first, then -P / stdin, then a terminal prompt."""
    from tui.core.errors import KeyFormatError, WrongPassphrase
    from tui.core.keys.agent import open_for_agent
    from tui.core.keys.pairwrite import try_recover
    from tui.core.keys.private import inspect_private_key, read_private_key_text

    try_recover(args.file)
    try:
        info = inspect_private_key(read_private_key_text(args.file))
    except KeyFormatError as exc:
        raise KeyFormatError(f"{args.file}: {exc}") from None
    if not info.encrypted:
        return open_for_agent(args.file, None), None
    given = args.passphrase
    if args.passphrase_stdin:
        given = read_stdin_lines(1)[0]
    candidates: list[str] = []
    if info.public is not None:
        stored = service.stored_passphrase(info.public.sha256)
        if stored is not None:
            candidates.append(stored)
    if given is not None:
        candidates.append(given)
    for candidate in candidates:
        try:
            return open_for_agent(args.file, candidate), candidate
        except WrongPassphrase:
            if candidate is given:
                raise
    # as ssh-add: a wrong passphrase typed at the prompt is asked again (three tries in all);
    # an empty answer gives up
    prompt = f"Enter passphrase for {visible(str(args.file))}: "
    for attempt in range(PROMPT_TRIES):
        typed = ask_secret(prompt)
        try:
            return open_for_agent(args.file, typed), typed
        except WrongPassphrase:
            if attempt == PROMPT_TRIES - 1 or not typed:
                raise
            prompt = f"Bad passphrase, try again for {visible(str(args.file))}: "
    raise AssertionError("unreachable")


def cmd_add(args: argparse.Namespace) -> int:
    import sys

    from tui.core.keys.agent import NO_AGENT, AgentUnavailable

    service = key_service()
    if service.agent_socket is None:  # before asking for a passphrase that could not be used
        raise AgentUnavailable(NO_AGENT)
    opened, passphrase = _open(args, service)
    public = _run_async(service.agent_add(args.file, opened, args.lifetime))
    remembered = False
    if args.remember and passphrase:
        remembered = service.remember_passphrase(public.sha256, passphrase)
        if not remembered:
            reason = service.keyring_status().reason
            print(reason or "The keyring refused.", file=sys.stderr)
    if args.json:
        print_json(
            {
                "added": {
                    "path": str(args.file),
                    "type": public.key_type,
                    "bits": public.bits,
                    "sha256": public.sha256,
                    "comment": public.comment,
                },
                "lifetime": args.lifetime,
                "remembered": remembered,
            }
        )
    else:
        print(f"Identity added: {visible(str(args.file))} ({visible(public.comment)})")
        if args.lifetime:
            print(f"Lifetime set to {args.lifetime} seconds")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from tui.core.keys.agent import public_key_for

    public = public_key_for(args.file)
    _run_async(key_service().agent_remove(public))
    if args.json:
        print_json({"removed": {"path": str(args.file), "sha256": public.sha256}})
    else:
        print(f"Identity removed: {visible(str(args.file))} ({public.sha256})")
    return 0


def _run_async(coroutine: Any) -> Any:
    """asyncio is imported only when an agent command runs: it costs other commands ~50 ms."""
    import asyncio

    return asyncio.run(coroutine)

"""``sshdeck cloud ...``: SSH keys in Stratos for Power (IBM Power Virtual Server) workspaces.

httpx and the client are imported inside the commands, so ``sshdeck fingerprint`` does not pay
for them. Usage errors (no workspace chosen among several, delete without ``--yes``) exit 2;
failures of the operation exit 1 with the client's one sentence.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import print_json
from tui.core.errors import InvalidArgument

if TYPE_CHECKING:
    from tui.core.upload.stratos import StratosClient
    from tui.core.upload.zones import Workspace


def register(subparsers: Any) -> None:
    cloud = subparsers.add_parser(
        "cloud",
        help="SSH keys in Stratos for Power (IBM Power Virtual Server) workspaces",
        description="Register SSH public keys with Stratos for Power (IBM Power Virtual Server).",
    )
    sub = cloud.add_subparsers(dest="cloud_command", metavar="COMMAND", required=True)

    p = sub.add_parser("login", help="check an IBM Cloud API key and store it in the keyring")
    p.add_argument("--api-key-stdin", action="store_true", help="read the API key from stdin")
    p.set_defaults(func=cmd_login)

    p = sub.add_parser("logout", help="forget the API key stored in the keyring")
    p.set_defaults(func=cmd_logout)

    p = sub.add_parser("workspaces", help="list the Power Virtual Server workspaces")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_workspaces)

    workspace_help = "workspace name, GUID or CRN (remembered for next time)"
    p = sub.add_parser("keys", help="list a workspace's SSH keys with their fingerprints")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("upload", help="add a public key to a workspace (unless already there)")
    p.add_argument("-f", dest="file", required=True, type=Path, help="public key file (KEY.pub)")
    p.add_argument("--name", help="key name (default: the file name, cleaned)")
    p.add_argument("--description", help="description stored with the key")
    p.add_argument("--visibility", choices=("workspace", "account"), help="default: workspace")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_upload)

    p = sub.add_parser("delete", help="delete an SSH key from a workspace")
    p.add_argument("key", metavar="NAME|ID", help="key name or ID")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--yes", action="store_true", help="really delete (required)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_delete)


def _run(work: Callable[[StratosClient], Awaitable[int]], api_key: str | None = None) -> int:
    """Run ``work`` with a client; a missing workspace choice is a usage error (exit 2)."""
    import asyncio

    from tui.core.upload.stratos import StratosClient, load_api_key
    from tui.core.upload.zones import WorkspaceChoiceNeeded

    key = api_key or load_api_key()

    async def main() -> int:
        async with StratosClient(key) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except WorkspaceChoiceNeeded as exc:
        print(str(exc), file=sys.stderr)
        return 2


async def _workspace(client: StratosClient, wanted: str | None) -> Workspace:
    from tui.core.upload.zones import resolve_workspace, save_chosen_workspace

    ws = resolve_workspace(await client.workspaces(), wanted)
    if wanted:
        save_chosen_workspace(ws)
    return ws


# -- login / logout -------------------------------------------------------------------------


def _read_api_key(from_stdin: bool) -> str:
    import getpass

    if from_stdin:
        value = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        value = getpass.getpass("IBM Cloud API key (input hidden): ").strip()
    else:
        raise InvalidArgument(
            "No terminal to ask the API key on; pipe it in with `sshdeck cloud login --api-key-stdin`."
        )
    if not value:
        raise InvalidArgument(
            "The API key is empty; create one at https://cloud.ibm.com/iam/apikeys and paste it."
        )
    return value


def cmd_login(args: argparse.Namespace) -> int:
    from tui.core import secrets
    from tui.core.upload.stratos import API_KEY_ENV, CloudError

    api_key = _read_api_key(args.api_key_stdin)

    async def verify(client: StratosClient) -> int:
        await client.token()
        return 0

    _run(verify, api_key)
    if not secrets.store_secret(secrets.API_KEY_NAME, api_key):
        reason = secrets.keyring_status().reason or "the keyring refused to store it."
        raise CloudError(
            f"The API key works but was not stored: {reason.rstrip('.')}; "
            f"set {API_KEY_ENV} in your environment instead."
        )
    print(
        "The API key works and is stored in the system keyring; `sshdeck cloud logout` forgets it."
    )
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    import os

    from tui.core import secrets
    from tui.core.upload.stratos import API_KEY_ENV

    if secrets.delete_secret(secrets.API_KEY_NAME):
        print("Forgot the IBM Cloud API key stored in the keyring.")
    else:
        print("No IBM Cloud API key was stored in the keyring; nothing to forget.")
    if os.environ.get(API_KEY_ENV):
        print(f"{API_KEY_ENV} is still set in this environment and is still used.")
    return 0


# -- workspaces / keys --------------------------------------------------------------------------


def cmd_workspaces(args: argparse.Namespace) -> int:
    from tui.core.upload.zones import load_chosen_workspace

    async def work(client: StratosClient) -> int:
        workspaces = await client.workspaces()
        chosen = load_chosen_workspace()
        if args.json:
            print_json(
                {
                    "workspaces": [
                        {**ws.to_json(), "selected": chosen in (ws.crn, ws.guid)}
                        for ws in workspaces
                    ]
                }
            )
            return 0
        if not workspaces:
            print("No Power Virtual Server workspace is visible with this API key.")
            return 0
        rows = [("", "NAME", "ZONE", "STATE", "GUID")]
        rows += [
            ("*" if chosen in (ws.crn, ws.guid) else "", ws.name, ws.zone, ws.state, ws.guid)
            for ws in workspaces
        ]
        _table(rows)
        return 0

    return _run(work)


def _local_files() -> dict[str, str]:
    """SHA256 -> the file in ~/.ssh holding that key (its .pub when there is one)."""
    from tui.core.scan import scan_directory

    found: dict[str, str] = {}
    for entry in scan_directory().keys:
        shown = entry.public_path or entry.path
        if shown:
            found.setdefault(entry.public.sha256, str(shown))
    return found


def cmd_keys(args: argparse.Namespace) -> int:
    async def work(client: StratosClient) -> int:
        ws = await _workspace(client, args.workspace)
        keys = await client.list_keys(ws)
        local = _local_files()
        if args.json:
            print_json(
                {
                    "workspace": ws.to_json(),
                    "api": "tenant" if client.uses_tenant_api(ws) else "v1",
                    "keys": [
                        {**k.to_json(), "local_file": local.get(k.sha256 or "")} for k in keys
                    ],
                }
            )
            return 0
        print(f"Workspace {ws.name} ({ws.zone}): {len(keys)} SSH key(s)")
        if keys:
            rows = [("NAME", "SHA256", "TYPE", "LOCAL FILE")]
            rows += [
                (
                    k.name,
                    k.sha256 or "(unreadable key)",
                    k.public.label if k.public else "?",
                    local.get(k.sha256 or "", "-"),
                )
                for k in keys
            ]
            _table(rows)
        return 0

    return _run(work)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


# -- upload / delete ------------------------------------------------------------------------


def cmd_upload(args: argparse.Namespace) -> int:
    from tui.core.keys import read_text_file
    from tui.core.upload.stratos_input import (
        default_key_name,
        prepare_public_key,
        validate_key_name,
    )

    text = read_text_file(args.file)
    name = validate_key_name(args.name if args.name is not None else default_key_name(args.file))
    prepare_public_key(text)  # a bad key fails here, before any network

    async def work(client: StratosClient) -> int:
        ws = await _workspace(client, args.workspace)
        result = await client.add_key(ws, text, name, args.description, args.visibility)
        if args.json:
            print_json(result.to_json())
            return 0
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if result.result == "created":
            print(
                f"created: SSH key {result.key.name!r} ({result.sha256}) in workspace {ws.name} ({ws.zone})"
            )
        else:
            print(
                f"already-present: workspace {ws.name} ({ws.zone}) already has this key "
                f"as {result.key.name!r} ({result.sha256}); nothing was created"
            )
        print("Equivalent ibmcloud commands:")
        for line in result.command.splitlines():
            print(f"  {line}")
        return 0

    return _run(work)


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            f"Deleting the SSH key {args.key!r} from the workspace cannot be undone; "
            "add --yes to confirm.",
            file=sys.stderr,
        )
        return 2

    async def work(client: StratosClient) -> int:
        ws = await _workspace(client, args.workspace)
        key = await client.find_key(ws, args.key)
        await client.delete_key(ws, key)
        if args.json:
            print_json(
                {
                    "result": "deleted",
                    "name": key.name,
                    "id": key.id,
                    "sha256": key.sha256,
                    "workspace": ws.to_json(),
                }
            )
        else:
            print(f"deleted: SSH key {key.name!r} ({key.sha256}) from workspace {ws.name}")
        return 0

    return _run(work)

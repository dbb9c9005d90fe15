"""``sshdeck cloud keys|key|rename|update|upload|delete``: a workspace's SSH keys.

Split from :mod:`tui.cli.cloud` (login, workspaces, instances and the parser) to keep each
module readable; both share :mod:`tui.cli.cloud_common`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui.cli.cloud_common import print_table, run_with_client, workspace_of
from tui.cli.common import print_json
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.upload.stratos import CloudKey, StratosClient
    from tui.core.upload.zones import Workspace


def _local_files() -> dict[str, str]:
    """SHA256 -> the file in ~/.ssh holding that key (its .pub when there is one)."""
    from tui.core.keys.scan import scan_directory

    found: dict[str, str] = {}
    for entry in scan_directory().keys:
        shown = entry.public_path or entry.path
        if shown:
            found.setdefault(entry.public.sha256, str(shown))
    return found


def cmd_keys(args: argparse.Namespace) -> int:
    async def work(client: StratosClient) -> int:
        ws = await workspace_of(client, args.workspace)
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
        print(f"Workspace {visible(ws.name)} ({visible(ws.zone)}): {len(keys)} SSH key(s)")
        if keys:
            rows = [
                (
                    "NAME",
                    "SHA256",
                    "TYPE",
                    "VISIBILITY",
                    "OWNER",
                    "CREATED",
                    "DESCRIPTION",
                    "LOCAL FILE",
                )
            ]
            rows += [
                (
                    visible(k.name),
                    k.sha256 or "(unreadable key)",
                    k.public.label if k.public else "?",
                    _visibility(k),
                    _owner(k),
                    visible((k.creation_date or "-")[:10]),
                    visible(_short(k.description)) or "-",
                    visible(local.get(k.sha256 or "", "-")),
                )
                for k in keys
            ]
            print_table(rows)
        return 0

    return run_with_client(work, private=args.private)


def _visibility(key: CloudKey) -> str:
    if key.visibility:
        return visible(key.visibility)
    return "account" if key.primary_workspace is None else "-"  # tenant API: account-wide


def _owner(key: CloudKey) -> str:
    if key.primary_workspace is None:
        return "account"
    return "this workspace" if key.primary_workspace else "another"


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _key_text(key: CloudKey, ws: Workspace) -> None:
    """One key as ``ibmcloud pi ssh-key get`` shows it: a field per line, escaped."""
    rows = [
        ("Name", visible(key.name)),
        ("ID", visible(key.id)),
        ("Workspace", f"{visible(ws.name)} ({visible(ws.zone)})"),
        ("Owner", _owner(key)),
        ("Visibility", _visibility(key)),
        ("Description", visible(key.description) or "-"),
        ("Created", visible(key.creation_date or "-")),
        ("SHA256", key.sha256 or "(unreadable key)"),
        ("Type", key.public.label if key.public else "?"),
        ("Key", visible(key.ssh_key)),
    ]
    for label, value in rows:
        print(f"{label + ':':<13}{value}")


def cmd_key(args: argparse.Namespace) -> int:
    async def work(client: StratosClient) -> int:
        ws = await workspace_of(client, args.workspace)
        key = await client.get_key(ws, args.key)
        if args.json:
            print_json({"workspace": ws.to_json(), "key": key.to_json()})
        else:
            _key_text(key, ws)
        return 0

    return run_with_client(work, private=args.private)


def _changed(key: CloudKey, ws: Workspace, json_out: bool, verb: str) -> None:
    if json_out:
        print_json({"result": verb, **key.to_json(), "workspace": ws.to_json()})
    else:
        print(f"{verb}: SSH key '{visible(key.name)}' in workspace {visible(ws.name)}")


def cmd_rename(args: argparse.Namespace) -> int:
    from tui.core.upload.stratos_input import validate_key_name

    new_name = validate_key_name(args.new_name)  # before any network

    async def work(client: StratosClient) -> int:
        ws = await workspace_of(client, args.workspace)
        key = await client.find_key(ws, args.key, op="update")
        updated = await client.update_key(ws, key, name=new_name)
        _changed(updated, ws, args.json, "renamed")
        return 0

    return run_with_client(work, private=args.private)


def cmd_update(args: argparse.Namespace) -> int:
    from tui.core.keys.public import read_text_file
    from tui.core.upload.stratos_input import prepare_public_key

    line = None
    if args.key_file is not None:
        public, _warnings = prepare_public_key(read_text_file(args.key_file))
        line = public.line()
    if args.description is None and args.visibility is None and line is None:
        print(
            "Nothing to change; give --description, --visibility or --key-file "
            "(`sshdeck cloud rename` changes the name).",
            file=sys.stderr,
        )
        return 2

    async def work(client: StratosClient) -> int:
        ws = await workspace_of(client, args.workspace)
        key = await client.find_key(ws, args.key, op="update")
        updated = await client.update_key(
            ws, key, description=args.description, visibility=args.visibility, ssh_key=line
        )
        _changed(updated, ws, args.json, "updated")
        return 0

    return run_with_client(work, private=args.private)


# -- upload / delete ------------------------------------------------------------------------


def cmd_upload(args: argparse.Namespace) -> int:
    from tui.core.keys.public import read_text_file
    from tui.core.upload.stratos_input import (
        default_key_name,
        prepare_public_key,
        validate_key_name,
    )

    text = read_text_file(args.file)
    name = validate_key_name(args.name if args.name is not None else default_key_name(args.file))
    prepare_public_key(text)  # a bad key fails here, before any network

    async def work(client: StratosClient) -> int:
        ws = await workspace_of(client, args.workspace)
        result = await client.add_key(ws, text, name, args.description, args.visibility)
        if args.json:
            print_json(result.to_json())
            return 0
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if result.result == "created":
            print(
                f"created: SSH key '{visible(result.key.name)}' ({result.sha256}) in workspace "
                f"{visible(ws.name)} ({visible(ws.zone)})"
            )
        else:
            print(
                f"already-present: workspace {visible(ws.name)} ({visible(ws.zone)}) already has "
                f"this key as '{visible(result.key.name)}' ({result.sha256}); nothing was created"
            )
        print("Equivalent ibmcloud commands:")
        for line in result.command.splitlines():
            print(f"  {visible(line)}")
        return 0

    return run_with_client(work, private=args.private)


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            f"Deleting the SSH key '{visible(args.key)}' from the workspace cannot be undone; "
            "add --yes to confirm.",
            file=sys.stderr,
        )
        return 2

    async def work(client: StratosClient) -> int:
        ws = await workspace_of(client, args.workspace)
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
            print(
                f"deleted: SSH key '{visible(key.name)}' ({key.sha256}) from workspace "
                f"{visible(ws.name)}"
            )
        return 0

    return run_with_client(work, private=args.private)

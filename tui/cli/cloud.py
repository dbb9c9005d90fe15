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
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.upload.service import CloudService
    from tui.core.upload.stratos import CloudKey, StratosClient
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

    # --private on every command that talks to a workspace's Power API
    network = argparse.ArgumentParser(add_help=False)
    network.add_argument(
        "--private",
        action="store_true",
        default=None,
        help="use each workspace's private endpoint (Direct Link; default: SSHDECK_CLOUD_PRIVATE)",
    )

    p = sub.add_parser(
        "workspaces", help="list the Power Virtual Server workspaces", parents=[network]
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_workspaces)

    workspace_help = "workspace name, GUID or CRN (remembered for next time)"
    p = sub.add_parser(
        "keys", help="list a workspace's SSH keys with their fingerprints", parents=[network]
    )
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("key", help="show one SSH key of a workspace", parents=[network])
    p.add_argument("key", metavar="NAME|ID", help="key name or ID")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_key)

    p = sub.add_parser("rename", help="rename an SSH key in a workspace", parents=[network])
    p.add_argument("key", metavar="OLD", help="current key name or ID")
    p.add_argument("new_name", metavar="NEW", help="new key name")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_rename)

    p = sub.add_parser(
        "update",
        help="change an SSH key's description, visibility or key text",
        parents=[network],
    )
    p.add_argument("key", metavar="NAME|ID", help="key name or ID")
    p.add_argument("--description", help='new description ("" clears it)')
    p.add_argument("--visibility", choices=("workspace", "account"), help="new visibility")
    p.add_argument("--key-file", type=Path, metavar="PUB", help="replace the key with this .pub")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_update)

    p = sub.add_parser(
        "instances",
        help="list a workspace's virtual server instances (VMs) and their addresses",
        parents=[network],
    )
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_instances)

    p = sub.add_parser(
        "upload",
        help="add a public key to a workspace (unless already there)",
        parents=[network],
    )
    p.add_argument("-f", dest="file", required=True, type=Path, help="public key file (KEY.pub)")
    p.add_argument("--name", help="key name (default: the file name, cleaned)")
    p.add_argument("--description", help="description stored with the key")
    p.add_argument("--visibility", choices=("workspace", "account"), help="default: workspace")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_upload)

    p = sub.add_parser("delete", help="delete an SSH key from a workspace", parents=[network])
    p.add_argument("key", metavar="NAME|ID", help="key name or ID")
    p.add_argument("--workspace", metavar="W", help=workspace_help)
    p.add_argument("--yes", action="store_true", help="really delete (required)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_delete)


def _service() -> CloudService:
    """The cloud service of this command, built from the environment as it is now."""
    from tui.core.settings import Settings
    from tui.core.upload.service import CloudService

    return CloudService(Settings.from_environment())


def _run(
    work: Callable[[StratosClient], Awaitable[int]],
    api_key: str | None = None,
    private: bool | None = None,
) -> int:
    """Run ``work`` with a client; a missing workspace choice is a usage error (exit 2)."""
    import asyncio

    from tui.core.upload.zones import WorkspaceChoiceNeeded

    service = _service()
    key = api_key or service.find_api_key()[0]

    async def main() -> int:
        async with service.client(key, private=private) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except WorkspaceChoiceNeeded as exc:
        print(str(exc), file=sys.stderr)
        return 2


async def _workspace(client: StratosClient, wanted: str | None) -> Workspace:
    """The workspace named (and then remembered), the remembered one or the only one."""
    from tui.core.upload.service import CloudService

    return await CloudService(client.settings).workspace(client, wanted)


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
    from tui.core.upload.stratos import API_KEY_ENV, CloudError

    api_key = _read_api_key(args.api_key_stdin)

    async def verify(client: StratosClient) -> int:
        await client.token()
        return 0

    _run(verify, api_key)
    refused = _service().store_api_key(api_key)
    if refused is not None:
        reason = refused or "the keyring refused to store it."
        raise CloudError(
            f"The API key works but was not stored: {reason.rstrip('.')}; "
            f"set {API_KEY_ENV} in your environment instead."
        )
    print(
        "The API key works and is stored in the system keyring; `sshdeck cloud logout` forgets it."
    )
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    from tui.core.upload.stratos import API_KEY_ENV

    service = _service()
    if service.forget_api_key():
        print("Forgot the IBM Cloud API key stored in the keyring.")
    else:
        print("No IBM Cloud API key was stored in the keyring; nothing to forget.")
    if service.settings.ibmcloud_api_key:
        print(f"{API_KEY_ENV} is still set in this environment and is still used.")
    return 0


# -- workspaces / keys --------------------------------------------------------------------------


def cmd_workspaces(args: argparse.Namespace) -> int:
    from tui.core.upload.zones import load_chosen_workspace

    async def work(client: StratosClient) -> int:
        workspaces = await client.workspaces()
        chosen = load_chosen_workspace(client.settings.config_file)
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
            (
                "*" if chosen in (ws.crn, ws.guid) else "",
                visible(ws.name),
                visible(ws.zone),
                visible(ws.state),
                visible(ws.guid),
            )
            for ws in workspaces
        ]
        _table(rows)
        return 0

    return _run(work, private=args.private)


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
            _table(rows)
        return 0

    return _run(work, private=args.private)


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
        ws = await _workspace(client, args.workspace)
        key = await client.get_key(ws, args.key)
        if args.json:
            print_json({"workspace": ws.to_json(), "key": key.to_json()})
        else:
            _key_text(key, ws)
        return 0

    return _run(work, private=args.private)


def _changed(key: CloudKey, ws: Workspace, json_out: bool, verb: str) -> None:
    if json_out:
        print_json({"result": verb, **key.to_json(), "workspace": ws.to_json()})
    else:
        print(f"{verb}: SSH key '{visible(key.name)}' in workspace {visible(ws.name)}")


def cmd_rename(args: argparse.Namespace) -> int:
    from tui.core.upload.stratos_input import validate_key_name

    new_name = validate_key_name(args.new_name)  # before any network

    async def work(client: StratosClient) -> int:
        ws = await _workspace(client, args.workspace)
        key = await client.find_key(ws, args.key, op="update")
        updated = await client.update_key(ws, key, name=new_name)
        _changed(updated, ws, args.json, "renamed")
        return 0

    return _run(work, private=args.private)


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
        ws = await _workspace(client, args.workspace)
        key = await client.find_key(ws, args.key, op="update")
        updated = await client.update_key(
            ws, key, description=args.description, visibility=args.visibility, ssh_key=line
        )
        _changed(updated, ws, args.json, "updated")
        return 0

    return _run(work, private=args.private)


def cmd_instances(args: argparse.Namespace) -> int:
    async def work(client: StratosClient) -> int:
        ws = await _workspace(client, args.workspace)
        vms = await client.instances(ws)
        if args.json:
            print_json({"workspace": ws.to_json(), "instances": [vm.to_json() for vm in vms]})
            return 0
        print(f"Workspace {visible(ws.name)} ({visible(ws.zone)}): {len(vms)} instance(s)")
        if vms:
            rows = [("NAME", "STATUS", "OS", "LOGIN", "NETWORKS")]
            rows += [
                (
                    visible(vm.name),
                    visible(vm.status),
                    visible(vm.os_type),
                    visible(vm.login_target or "-"),
                    visible(
                        ", ".join(
                            f"{n.name} {n.ip_address}"
                            + (f" ({n.external_ip})" if n.external_ip else "")
                            for n in vm.networks
                        )
                    )
                    or "-",
                )
                for vm in vms
            ]
            _table(rows)
        return 0

    return _run(work, private=args.private)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


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
        ws = await _workspace(client, args.workspace)
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

    return _run(work, private=args.private)


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            f"Deleting the SSH key '{visible(args.key)}' from the workspace cannot be undone; "
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
            print(
                f"deleted: SSH key '{visible(key.name)}' ({key.sha256}) from workspace "
                f"{visible(ws.name)}"
            )
        return 0

    return _run(work, private=args.private)

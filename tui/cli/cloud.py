"""``sshdeck cloud ...``: SSH keys in Stratos for Power (IBM Power Virtual Server) workspaces.

httpx and the client are imported inside the commands, so ``sshdeck fingerprint`` does not pay
for them. Usage errors (no workspace chosen among several, delete without ``--yes``) exit 2;
failures of the operation exit 1 with the client's one sentence. Each command reads the
environment once, into :class:`~tui.core.settings.Settings`, and works through a
:class:`~tui.core.upload.service.CloudService` (:mod:`tui.cli.cloud_common`); the key commands
live in :mod:`tui.cli.cloud_keys`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.cloud_common import cloud_service, print_table, run_with_client, workspace_of
from tui.cli.cloud_keys import cmd_delete, cmd_key, cmd_keys, cmd_rename, cmd_update, cmd_upload
from tui.cli.common import print_json
from tui.core.errors import InvalidArgument
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.upload.stratos import StratosClient


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

    run_with_client(verify, api_key)
    refused = cloud_service().store_api_key(api_key)
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

    service = cloud_service()
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
        print_table(rows)
        return 0

    return run_with_client(work, private=args.private)


def cmd_instances(args: argparse.Namespace) -> int:
    async def work(client: StratosClient) -> int:
        ws = await workspace_of(client, args.workspace)
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
            print_table(rows)
        return 0

    return run_with_client(work, private=args.private)

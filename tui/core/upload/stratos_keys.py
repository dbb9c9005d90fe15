"""SSH keys of a workspace: list, get, create (unless present), update, delete, as IBM's SDK does.

The newer ``/v1/ssh-keys`` API first; hosts without it fall back to the older account-wide
tenant API (only when the 404 is not the Power API's own error about the workspace). A key
shared with the account can be changed or deleted only from the workspace that created it.
"""

from __future__ import annotations

import logging
import shlex
from typing import Any
from urllib.parse import quote, urlsplit

from tui.core.errors import SshDeckError
from tui.core.text import visible
from tui.core.upload.cloud_keys import (
    CloudKey,
    UploadResult,
    document,
    key_row,
    keys_of,
    merged_key,
)
from tui.core.upload.stratos_errors import (
    CloudConflict,
    CloudNotFound,
    CloudRefused,
    CloudUnavailable,
)
from tui.core.upload.stratos_input import (
    VISIBILITIES,
    equivalent_command,
    prepare_public_key,
    validate_key_name,
)
from tui.core.upload.stratos_workspaces import WorkspaceApi, _names_the_workspace
from tui.core.upload.zones import Workspace

log = logging.getLogger("tui.core.upload.stratos")


class KeysApi(WorkspaceApi):
    """The SSH-key operations on top of a workspace's API."""

    async def list_keys(self, ws: Workspace, *, op: str = "list") -> list[CloudKey]:
        if ws.endpoint not in self._tenant_api:
            response = await self._power("GET", ws, "/v1/ssh-keys")
            if response.status_code != 404 or _names_the_workspace(response, ws):
                if not response.is_success:
                    raise self._failure(response, ws, op=op)
                return keys_of(response)
            log.debug("no /v1/ssh-keys on %s; using the tenant API", urlsplit(ws.endpoint).netloc)
            self._tenant_api.add(ws.endpoint)
        response = await self._power("GET", ws, self._tenant_path(ws))
        if not response.is_success:
            raise self._failure(response, ws, op=op)
        return keys_of(response)

    async def create_key(
        self,
        ws: Workspace,
        name: str,
        ssh_key: str,
        description: str | None = None,
        visibility: str | None = None,
        *,
        key_type: str = "ssh-rsa",
    ) -> CloudKey:
        body: dict[str, Any] = {"name": name, "sshKey": ssh_key}
        if ws.endpoint in self._tenant_api:
            response = await self._power("POST", ws, self._tenant_path(ws), json=body)
        else:
            if description:
                body["description"] = description
            # the API has no default; the CLI, console and Terraform all mean "workspace"
            body["visibility"] = visibility or "workspace"
            response = await self._power("POST", ws, "/v1/ssh-keys", json=body)
        if not response.is_success:
            raise self._failure(response, ws, op="create", name=name, key_type=key_type)
        return merged_key(response, body)

    async def get_key(self, ws: Workspace, wanted: str) -> CloudKey:
        """One key by ID or name (``GET /v1/ssh-keys/{id}``; the tenant API: by name)."""
        if ws.endpoint not in self._tenant_api:
            key = await self.find_key(ws, wanted, op="get")  # names resolve to IDs here
            response = await self._power("GET", ws, f"/v1/ssh-keys/{quote(key.id, safe='')}")
        else:
            key = await self.find_key(ws, wanted, op="get")
            response = await self._power("GET", ws, self._tenant_path(ws, key.name))
        if not response.is_success:
            raise self._failure(response, ws, op="get", name=key.name)
        return CloudKey.from_json(document(response, "Stratos for Power"))

    async def update_key(
        self,
        ws: Workspace,
        key: CloudKey,
        *,
        name: str | None = None,
        description: str | None = None,
        visibility: str | None = None,
        ssh_key: str | None = None,
    ) -> CloudKey:
        """Rename or edit a key (``PUT /v1/ssh-keys/{id}``; the tenant API: ``PUT`` by name)."""
        if name is not None:
            validate_key_name(name)
        if visibility not in (None, *VISIBILITIES):
            raise CloudRefused(
                f"Visibility {visibility!r} does not exist; use workspace or account."
            )
        await self.refuse_foreign(ws, key, "change")
        if ws.endpoint in self._tenant_api:
            if description is not None or visibility is not None:
                raise CloudRefused(
                    "This host only offers the older account-wide key API, which stores no "
                    "description or visibility; change only the name or the key there."
                )
            body: dict[str, Any] = {"name": name or key.name, "sshKey": ssh_key or key.ssh_key}
            path = self._tenant_path(ws, key.name)
        else:
            body = {}
            for field, value in (
                ("name", name),
                ("description", description),
                ("visibility", visibility),
                ("sshKey", ssh_key),
            ):
                if value is not None:
                    body[field] = value
            path = f"/v1/ssh-keys/{quote(key.id, safe='')}"
        if not body:
            raise CloudRefused(
                "Nothing to change; give a new name, --description, --visibility or --key-file."
            )
        response = await self._power("PUT", ws, path, json=body)
        if not response.is_success:
            raise self._failure(response, ws, op="update", name=key.name)
        return merged_key(response, {**key_row(key), **body})

    async def owner_of(self, ws: Workspace, key: CloudKey) -> Workspace | None:
        """The workspace that created an account-visible key, among those this login sees."""
        try:
            others = [w for w in await self.workspaces() if w.crn != ws.crn]
        except SshDeckError:
            return None
        for other in others[:20]:  # bounded: one GET per workspace of the account
            if other.account_id != ws.account_id:
                continue
            try:
                response = await self._power("GET", other, f"/v1/ssh-keys/{quote(key.id, safe='')}")
            except SshDeckError:
                continue
            if response.is_success:
                row = document(response, "Stratos for Power")
                if row.get("primaryWorkspace") is True:
                    return other
        return None

    async def refuse_foreign(self, ws: Workspace, key: CloudKey, verb: str) -> None:
        """A key shared with the account can be changed or deleted only where it was created."""
        if key.primary_workspace is not False:
            return
        owner = await self.owner_of(ws, key)
        where = (
            f"workspace {visible(owner.name)}, so use --workspace {visible(shlex.quote(owner.name))}"
            if owner
            else "the workspace that created it (visible to the whole account, so it shows here too)"
        )
        raise CloudRefused(
            f"The SSH key '{visible(key.name)}' is not owned by workspace {visible(ws.name)}: "
            f"IBM lets you {verb} a key only from {where}."
        )

    async def delete_key(self, ws: Workspace, key: CloudKey) -> None:
        await self.refuse_foreign(ws, key, "delete")
        if ws.endpoint in self._tenant_api:
            response = await self._power("DELETE", ws, self._tenant_path(ws, key.name))
        else:
            response = await self._power("DELETE", ws, f"/v1/ssh-keys/{quote(key.id, safe='')}")
        if not response.is_success:
            raise self._failure(response, ws, op="delete", name=key.name)

    async def find_key(self, ws: Workspace, wanted: str, *, op: str = "delete") -> CloudKey:
        keys = await self.list_keys(ws, op=op)
        for key in keys:
            if key.id == wanted:
                return key
        for key in keys:
            if key.name == wanted:
                return key
        raise CloudNotFound(
            f"Workspace {visible(ws.name)} has no SSH key named or numbered "
            f"'{visible(wanted)}'; `sshdeck cloud keys --workspace {visible(shlex.quote(ws.name))}` "
            "lists them."
        )

    async def add_key(
        self,
        ws: Workspace,
        key_text: str,
        name: str,
        description: str | None = None,
        visibility: str | None = None,
    ) -> UploadResult:
        """Create the key unless the workspace already has it (under any name)."""
        name = validate_key_name(name)
        if visibility not in (None, "workspace", "account"):
            raise CloudRefused(
                f"Visibility {visibility!r} does not exist; use workspace or account."
            )
        public, warnings = prepare_public_key(key_text)
        line = public.line()
        command = equivalent_command(ws.crn, name, line, description, visibility)
        existing = await self.list_keys(ws, op="create")
        same = next((k for k in existing if k.public and k.public.same_key(public)), None)
        if same:
            return UploadResult("already-present", same, ws, public.sha256, warnings, command)
        taken = next((k for k in existing if k.name == name), None)
        if taken and taken.primary_workspace is False:
            raise CloudConflict(
                f"Workspace {visible(ws.name)} already sees another key named {name!r} "
                f"({taken.sha256 or 'unreadable key'}), shared with the whole account by the "
                "workspace that created it; choose another name with --name."
            )
        if taken:
            raise CloudConflict(
                f"Workspace {visible(ws.name)} already has another key named {name!r} "
                f"({taken.sha256 or 'unreadable key'}); choose another name with --name, or "
                f"delete it first with `sshdeck cloud delete {shlex.quote(name)} --workspace "
                f"{visible(shlex.quote(ws.name))} --yes`."
            )
        if self.uses_tenant_api(ws) and (description or visibility):
            warnings += (
                "This host only offers the older account-wide key API, so the description and "
                "visibility were not sent.",
            )
        try:
            created = await self.create_key(
                ws, name, line, description, visibility, key_type=public.plain_type
            )
        except (CloudConflict, CloudUnavailable):
            # a retried POST may have succeeded the first time: look before failing
            again = await self.list_keys(ws, op="create")
            mine = next((k for k in again if k.public and k.public.same_key(public)), None)
            if not mine:
                raise
            created = mine
        return UploadResult("created", created, ws, public.sha256, warnings, command)

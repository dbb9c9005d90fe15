"""The SSH keys of a workspace as the client hands them out, and the JSON they come from.

``CloudKey`` reads both shapes IBM serves: ``WorkspaceSSHKey`` of ``/v1/ssh-keys`` (id,
description, visibility, primaryWorkspace) and the tenant API's ``SSHKey`` (name and key only,
addressed by name). Kept apart from the client so the transport and the data read separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import httpx

from tui.core.errors import SshDeckError
from tui.core.keys.public import PublicKey, parse_public_key_line
from tui.core.upload.stratos_errors import CloudError
from tui.core.upload.zones import Workspace

__all__ = ["CloudKey", "UploadResult", "document", "key_row", "keys_of", "merged_key"]


@dataclass(frozen=True)
class CloudKey:
    """An SSH key registered in a workspace (or, on the tenant API, the account)."""

    id: str
    name: str
    ssh_key: str
    description: str = ""
    visibility: str | None = None
    primary_workspace: bool | None = None
    creation_date: str | None = None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> CloudKey:
        name = str(row.get("name") or "")
        return cls(
            id=str(row.get("id") or name),  # the tenant API addresses keys by name
            name=name,
            ssh_key=str(row.get("sshKey") or ""),
            description=str(row.get("description") or ""),
            visibility=row.get("visibility"),
            primary_workspace=row.get("primaryWorkspace"),
            creation_date=row.get("creationDate"),
        )

    @cached_property
    def public(self) -> PublicKey | None:
        try:
            return parse_public_key_line(self.ssh_key)
        except SshDeckError:
            return None

    @property
    def sha256(self) -> str | None:
        return self.public.sha256 if self.public else None

    def to_json(self) -> dict[str, Any]:
        public = self.public
        return {
            "id": self.id,
            "name": self.name,
            "sha256": self.sha256,
            "type": public.key_type if public else None,
            "bits": public.bits if public else None,
            "comment": public.comment if public else None,
            "description": self.description,
            "visibility": self.visibility,
            "primary_workspace": self.primary_workspace,
            "creation_date": self.creation_date,
            "ssh_key": self.ssh_key,
        }


@dataclass(frozen=True)
class UploadResult:
    result: Literal["created", "already-present"]
    key: CloudKey
    workspace: Workspace
    sha256: str
    warnings: tuple[str, ...]
    command: str

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "name": self.key.name,
            "id": self.key.id,
            "sha256": self.sha256,
            "workspace": self.workspace.to_json(),
            "warnings": list(self.warnings),
            "command": self.command,
        }


def document(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON object of a success answer; anything else is one clear sentence, not a crash."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise CloudError(
            f"{what} answered HTTP {response.status_code} with something that is not the "
            "expected JSON; check the endpoint variables if you set them, or try again later."
        )
    return body


def merged_key(response: httpx.Response, sent: dict[str, Any]) -> CloudKey:
    """The server's answer, filled in from what was sent where the answer is silent."""
    try:
        row = response.json()
    except ValueError:
        row = {}
    return CloudKey.from_json({**sent, **(row if isinstance(row, dict) else {})})


def key_row(key: CloudKey) -> dict[str, Any]:
    """``key`` in the API's own field names."""
    return {
        "id": key.id,
        "name": key.name,
        "sshKey": key.ssh_key,
        "description": key.description,
        "visibility": key.visibility,
        "primaryWorkspace": key.primary_workspace,
        "creationDate": key.creation_date,
    }


def keys_of(response: httpx.Response) -> list[CloudKey]:
    rows = document(response, "Stratos for Power").get("sshKeys") or []
    return [CloudKey.from_json(row) for row in rows if isinstance(row, dict)]

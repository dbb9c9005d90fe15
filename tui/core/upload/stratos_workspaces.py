"""Workspaces and their Power API: the listing from the resource controller, the requests to a
workspace's endpoint (``CRN`` header), its VMs, and how a failure there becomes one sentence."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from tui.core.upload.cloud_keys import document
from tui.core.upload.instances import Instance
from tui.core.upload.stratos_auth import GONE_STATES, POWER_SERVICE_ID
from tui.core.upload.stratos_errors import CloudError, failure_for, is_power_error, server_message
from tui.core.upload.stratos_http import CloudTransport
from tui.core.upload.zones import Workspace

ROUTE_WORDS = re.compile(
    r"path|route|ssh[ _-]?keys?|endpoint|\b(api|url|method)\b|not (supported|implemented)"
)


def _names_the_workspace(response: httpx.Response, ws: Workspace) -> bool:
    """Whether a 404 of ``/v1/ssh-keys`` is about the workspace rather than a missing route.

    Only a host without the route may send us to the older tenant API: a 404 whose body is the
    Power API's own error object (``models.Error``) about the workspace (its GUID or CRN, or
    "workspace"/"cloud instance" without talking of a path) means the workspace is gone, and
    the account-wide keys must not be shown in its place. Anything else (an empty body, a
    proxy's HTML page, a router's "path not found") is a host without the route.
    """
    if not is_power_error(response):
        return False
    text = server_message(response)
    if ws.guid and ws.guid in text or ws.crn and ws.crn in text:
        return True
    lowered = text.lower()
    if ROUTE_WORDS.search(lowered):
        return False
    return re.search(r"\b(workspace|cloud[ _-]?instance)", lowered) is not None


class WorkspaceApi(CloudTransport):
    """The workspaces this login sees, and requests to one workspace's Power API."""

    # -- workspaces ---------------------------------------------------------------------------

    async def workspaces(self) -> list[Workspace]:
        """Every Power Virtual Server workspace the key can see, following ``next_url``."""
        url: str | None = f"{self._rc}/v2/resource_instances?resource_id={POWER_SERVICE_ID}"
        found: list[Workspace] = []
        pages = 0
        while url and pages < 100:
            pages += 1
            response = await self._authorized("GET", url, what="IBM Cloud resource controller")
            if not response.is_success:
                raise self._failure(response, "the resource controller", op="workspaces")
            body = document(response, "The resource controller")
            for row in body.get("resources") or []:
                if not isinstance(row, dict):
                    continue
                if row.get("resource_id", POWER_SERVICE_ID) != POWER_SERVICE_ID:
                    continue
                ws = Workspace.from_resource(
                    row,
                    private=self.private,
                    endpoint_override=self.power_override[1] if self.power_override else None,
                )
                if ws.state not in GONE_STATES:
                    found.append(ws)
            url = self._same_origin(body.get("next_url"))
        return sorted(found, key=lambda ws: (ws.name.lower(), ws.guid))

    def _same_origin(self, next_url: Any) -> str | None:
        """Follow ``next_url`` only on the resource controller: a token never goes elsewhere."""
        if not isinstance(next_url, str) or not next_url:
            return None
        parts, base = urlsplit(next_url), urlsplit(self._rc)
        query = f"?{parts.query}" if parts.query else ""
        if not parts.path:  # only "?start=...": the same listing, next page
            parts = parts._replace(path="/v2/resource_instances")
        elif not parts.path.startswith("/"):  # "v2/resource_instances?start=..."
            parts = parts._replace(path="/" + parts.path)
        prefix = base.path.rstrip("/")
        if prefix and parts.path.startswith(prefix + "/"):  # already names the base's path
            return f"{base.scheme}://{base.netloc}{parts.path}{query}"
        return f"{self._rc}{parts.path}{query}"

    async def _power(self, method: str, ws: Workspace, path: str, **kwargs: Any) -> httpx.Response:
        return await self._authorized(
            method, ws.endpoint + path, what="Stratos for Power", crn=ws.crn, **kwargs
        )

    def _tenant_path(self, ws: Workspace, name: str | None = None) -> str:
        path = f"/pcloud/v1/tenants/{quote(ws.account_id, safe='')}/sshkeys"
        return path + (f"/{quote(name, safe='')}" if name is not None else "")

    def uses_tenant_api(self, ws: Workspace) -> bool:
        return ws.endpoint in self._tenant_api

    async def instances(self, ws: Workspace) -> list[Instance]:
        """The workspace's virtual server instances (``GET .../pvm-instances``)."""
        path = f"/pcloud/v1/cloud-instances/{quote(ws.guid, safe='')}/pvm-instances"
        response = await self._power("GET", ws, path)
        if not response.is_success:
            raise self._failure(response, ws, op="instances")
        rows = document(response, "Stratos for Power").get("pvmInstances") or []
        found = [Instance.from_json(row) for row in rows if isinstance(row, dict)]
        return sorted(found, key=lambda vm: (vm.name.lower(), vm.id))

    def _failure(
        self,
        response: httpx.Response,
        where: Workspace | str,
        *,
        op: str,
        name: str | None = None,
        key_type: str = "ssh-rsa",
    ) -> CloudError:
        label = where.name if isinstance(where, Workspace) else where
        return failure_for(response, label, op=op, name=name, key_type=key_type, scrub=self.scrub)

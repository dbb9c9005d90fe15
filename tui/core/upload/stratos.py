"""Register public keys with Stratos for Power (the IBM Power Virtual Server API), over httpx.

Shapes follow IBM's Go SDK and API docs (see the README's cloud section): an IAM token from the
API key, the workspaces from the resource controller, and the workspace's ``/v1/ssh-keys``
(falling back to the older tenant API on hosts that lack it). Every failure becomes one
sentence with the next step. The API key and tokens live only in this object: they are sent in
request bodies and headers, never in URLs, and every text that leaves this module (errors, log
lines) is scrubbed of them, because httpx's exceptions and servers' error bodies may echo them.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import os
import re
import shlex
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from tui.core import secrets
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
from tui.core.upload.instances import Instance
from tui.core.upload.stratos_errors import (
    CloudAuthError,
    CloudConflict,
    CloudError,
    CloudForbidden,
    CloudNotFound,
    CloudRateLimited,
    CloudRefused,
    CloudUnavailable,
    NoApiKey,
    failure_for,
    is_power_error,
    server_message,
)
from tui.core.upload.stratos_input import (
    VISIBILITIES,
    equivalent_command,
    prepare_public_key,
    validate_key_name,
)
from tui.core.upload.stratos_transport import (
    ResponseTooLarge,
    exchange,
    max_response_bytes,
    refuse_clear_text,
)
from tui.core.upload.zones import (
    POWER_ENDPOINT_ENV,
    Workspace,
    power_endpoint_override,
    private_setting,
)

__all__ = [
    "CloudAuthError",
    "CloudConflict",
    "CloudError",
    "CloudForbidden",
    "CloudKey",
    "CloudNotFound",
    "CloudRateLimited",
    "CloudRefused",
    "CloudUnavailable",
    "Instance",
    "NoApiKey",
    "ResponseTooLarge",
    "StratosClient",
    "UploadResult",
    "load_api_key",
]

log = logging.getLogger(__name__)

IAM_ENDPOINT_ENV = "IBMCLOUD_IAM_API_ENDPOINT"
RC_ENDPOINT_ENV = "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT"
API_KEY_ENV = "IBMCLOUD_API_KEY"
TIMEOUT_ENV = "SSHDECK_HTTP_TIMEOUT"
BACKOFF_ENV = "SSHDECK_HTTP_BACKOFF"
DEFAULT_IAM = "https://iam.cloud.ibm.com"
DEFAULT_RC = "https://resource-controller.cloud.ibm.com"
ENDPOINT_VARIABLES = {
    "IBM Cloud IAM": IAM_ENDPOINT_ENV,
    "IBM Cloud resource controller": RC_ENDPOINT_ENV,
    "Stratos for Power": POWER_ENDPOINT_ENV,
}
POWER_SERVICE_ID = "abd259f0-9990-11e8-acc8-b9f54a8f1661"  # catalog ID of Power Virtual Server
GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
GONE_STATES = ("removed", "pending_reclamation")
APIKEYS_URL = "https://cloud.ibm.com/iam/apikeys"
#: per request; three tries of a hung host then take under a minute, not a minute and a half
DEFAULT_TIMEOUT = 15.0


def load_api_key() -> str:
    """``IBMCLOUD_API_KEY``, else the key ``sshdeck cloud login`` stored in the keyring."""
    value = os.environ.get(API_KEY_ENV, "").strip()
    if value:
        return value
    stored = secrets.get_secret(secrets.API_KEY_NAME)
    if stored:
        return stored
    status = secrets.keyring_status()
    if not status.available:
        raise NoApiKey(
            f"No IBM Cloud API key: {status.reason.rstrip('.') if status.reason else 'no keyring'}, "
            f"so set {API_KEY_ENV} (create a key at {APIKEYS_URL})."
        )
    raise NoApiKey(
        f"No IBM Cloud API key yet; run `sshdeck cloud login` or set {API_KEY_ENV} "
        f"(create a key at {APIKEYS_URL})."
    )


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def _retry_after(response: httpx.Response, attempt: int) -> float:
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)  # delta-seconds; "1.5" is read kindly too
    except ValueError:
        seconds = -1.0
    if seconds >= 0 and math.isfinite(seconds):
        return seconds
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
            return max(0.0, when - time.time())
        except (TypeError, ValueError):
            pass
    return float(2**attempt)


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


class _Secret:
    """A string that never shows itself: tracebacks with locals and debug dumps see a mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'[redacted]'"

    __str__ = __repr__


class _ApiKeyForm:
    """The IAM form body as a byte stream object, so no frame holds the API key as text."""

    def __init__(self, api_key: _Secret) -> None:
        self._body = _Secret(urlencode({"grant_type": GRANT_TYPE, "apikey": api_key.reveal()}))

    def __len__(self) -> int:
        return len(self._body.reveal().encode())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body.reveal().encode()


class StratosClient:
    """One login to IBM Cloud; use ``async with`` so the connection pool is closed."""

    def __init__(
        self,
        api_key: str,
        *,
        timeout: float | None = None,
        max_tries: int = 3,
        rate_limit_retries: int = 3,
        max_retry_after: float = 60.0,
        backoff: float | None = None,
        private: bool | None = None,
    ) -> None:
        self._api_key = _Secret(api_key)
        #: use each workspace's private endpoint (Direct Link); None: the saved setting
        self.private = private_setting() if private is None else private
        self._iam = (os.environ.get(IAM_ENDPOINT_ENV) or DEFAULT_IAM).strip().rstrip("/")
        if self._iam.endswith("/identity/token"):  # the full token URL given as the base
            self._iam = self._iam[: -len("/identity/token")]
        self._rc = (os.environ.get(RC_ENDPOINT_ENV) or DEFAULT_RC).strip().rstrip("/")
        self.timeout = timeout or _env_float(TIMEOUT_ENV, DEFAULT_TIMEOUT)
        self._max_tries = max(1, max_tries)
        self._rate_limit_retries = rate_limit_retries
        self._max_retry_after = max_retry_after
        self._backoff = backoff if backoff is not None else _env_float(BACKOFF_ENV, 0.5)
        self.max_bytes = max_response_bytes()
        self._http = httpx.AsyncClient(
            timeout=self.timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "sshdeck"},
        )
        self._token: _Secret | None = None
        self._refresh_token: _Secret | None = None
        self._renew_at = 0.0
        self._token_lock = asyncio.Lock()
        self._tenant_api: set[str] = set()  # hosts without /v1/ssh-keys
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"<StratosClient iam={self._iam!r}>"

    async def __aenter__(self) -> StratosClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def scrub(self, text: str) -> str:
        """``text`` without the API key or any token this client holds."""
        for secret in (self._api_key, self._token, self._refresh_token):
            value = secret.reveal() if secret else ""
            if len(value) >= 4:
                text = text.replace(value, "[redacted]")
        return text

    # -- transport: retries for 429, 5xx, timeouts --------------------------------------------

    async def _send(self, method: str, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        try:
            parts = urlsplit(url)
            host = parts.netloc
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            usable = False
        if not usable:
            variable = ENDPOINT_VARIABLES.get(what, "the IBMCLOUD_*_API_ENDPOINT variables")
            raise CloudError(
                f"The address of {what} is not a usable URL; set {variable} to a base URL "
                "such as https://host[:port][/path], or unset it for IBM Cloud's own."
            )
        variable = ENDPOINT_VARIABLES.get(what, "the IBMCLOUD_*_API_ENDPOINT variables")
        if what == "Stratos for Power":
            variable = (power_endpoint_override() or (POWER_ENDPOINT_ENV, ""))[0]
        refuse_clear_text(url, what, variable)
        host = visible(host)
        tries = 0
        limited = 0
        while True:
            tries += 1
            failure: CloudError
            try:
                response = await exchange(
                    self._http,
                    method,
                    url,
                    deadline=self.timeout,
                    max_bytes=self.max_bytes,
                    what=what,
                    **kwargs,
                )
            except (httpx.TimeoutException, TimeoutError):
                failure = CloudUnavailable(
                    f"{what} ({host}) did not answer within {self.timeout:g} seconds, "
                    f"{tries} time(s); check your network or proxy and try again "
                    f"(or raise {TIMEOUT_ENV})."
                )
            except httpx.TransportError as exc:
                reason = visible(self.scrub(str(exc) or type(exc).__name__))
                failure = CloudUnavailable(
                    f"Could not reach {what} at {host} ({reason[:120]}); "
                    "check your network or proxy and try again."
                )
            else:
                log.debug("%s %s -> %s", method, urlsplit(url).path, response.status_code)
                if response.status_code == 429:
                    limited += 1
                    wait = _retry_after(response, limited)
                    if limited > self._rate_limit_retries or wait > self._max_retry_after:
                        seconds = max(1, math.ceil(wait))
                        raise CloudRateLimited(
                            f"{what} is limiting the rate of requests (HTTP 429); wait "
                            f"{seconds} second{'s' if seconds > 1 else ''} and try again."
                        )
                    await asyncio.sleep(wait)
                    tries -= 1
                    continue
                if response.status_code < 500 or response.status_code == 501:
                    return response  # 501 will not change on a retry (IBM's SDK core agrees)
                failure = CloudUnavailable(
                    f"{what} answered HTTP {response.status_code} "
                    f"({self.scrub(server_message(response))}) {tries} time(s); try again in "
                    "a few minutes and see https://cloud.ibm.com/status if it persists."
                )
            if tries >= self._max_tries:
                raise failure from None
            await asyncio.sleep(self._backoff * 2 ** (tries - 1))

    # -- IAM ----------------------------------------------------------------------------------

    async def token(self, *, force: bool = False) -> str:
        """An IAM access token, reused until 80% of its lifetime has passed (like IBM's SDKs)."""
        async with self._token_lock:
            if self._token and not force and time.monotonic() < self._renew_at:
                return self._token.reveal()
            self.token_requests += 1
            form = _ApiKeyForm(self._api_key)
            response = await self._send(
                "POST",
                f"{self._iam}/identity/token",
                what="IBM Cloud IAM",
                content=form,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Content-Length": str(len(form)),
                },
            )
            body: Any = None
            try:
                body = response.json()
            except ValueError:
                body = None
            if response.status_code in (400, 401, 403):
                code = body.get("errorCode") if isinstance(body, dict) else None
                errors = body.get("errors") if isinstance(body, dict) else None
                if not code and isinstance(errors, list) and errors and isinstance(errors[0], dict):
                    code = errors[0].get("code")  # {"errors": [{"code", "message"}]}
                code = visible(str(code)) if code else None
                detail = f" ({code}: {self.scrub(server_message(response))})" if code else ""
                raise CloudAuthError(
                    f"IBM Cloud did not accept the API key{detail}; create a new one at "
                    f"{APIKEYS_URL} and run `sshdeck cloud login` (or set {API_KEY_ENV})."
                )
            if not response.is_success or not isinstance(body, dict) or "access_token" not in body:
                raise CloudError(
                    f"IBM Cloud IAM answered HTTP {response.status_code} without a token; "
                    "try again in a few minutes."
                )
            self._token = _Secret(str(body["access_token"]))
            refresh = body.get("refresh_token")
            self._refresh_token = _Secret(str(refresh)) if refresh else None
            try:
                lifetime = float(body.get("expires_in") or 3600)
            except (TypeError, ValueError):
                lifetime = 3600.0
            self._renew_at = time.monotonic() + 0.8 * lifetime
            return self._token.reveal()

    async def _authorized(
        self, method: str, url: str, *, what: str, crn: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """A call with ``Authorization: Bearer`` (and ``CRN``); a 401 refreshes the token once."""
        refreshed = False
        while True:
            # httpx.Headers masks Authorization in its repr
            headers = httpx.Headers(
                {"Authorization": f"Bearer {await self.token(force=refreshed)}"}
            )
            if crn:
                headers["CRN"] = crn
            response = await self._send(method, url, what=what, headers=headers, **kwargs)
            if response.status_code != 401 or refreshed:
                if response.status_code == 401:
                    raise CloudAuthError(
                        f"{what} refused a freshly issued IBM Cloud token; check the API key "
                        "with `sshdeck cloud login` and that it belongs to this account."
                    )
                return response
            log.debug("token refused (expired?); getting a new one once")
            refreshed = True

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
                ws = Workspace.from_resource(row, private=self.private)
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

    # -- SSH keys -----------------------------------------------------------------------------

    async def _power(self, method: str, ws: Workspace, path: str, **kwargs: Any) -> httpx.Response:
        return await self._authorized(
            method, ws.endpoint + path, what="Stratos for Power", crn=ws.crn, **kwargs
        )

    def _tenant_path(self, ws: Workspace, name: str | None = None) -> str:
        path = f"/pcloud/v1/tenants/{quote(ws.account_id, safe='')}/sshkeys"
        return path + (f"/{quote(name, safe='')}" if name is not None else "")

    def uses_tenant_api(self, ws: Workspace) -> bool:
        return ws.endpoint in self._tenant_api

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

    async def instances(self, ws: Workspace) -> list[Instance]:
        """The workspace's virtual server instances (``GET .../pvm-instances``)."""
        path = f"/pcloud/v1/cloud-instances/{quote(ws.guid, safe='')}/pvm-instances"
        response = await self._power("GET", ws, path)
        if not response.is_success:
            raise self._failure(response, ws, op="instances")
        rows = document(response, "Stratos for Power").get("pvmInstances") or []
        found = [Instance.from_json(row) for row in rows if isinstance(row, dict)]
        return sorted(found, key=lambda vm: (vm.name.lower(), vm.id))

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

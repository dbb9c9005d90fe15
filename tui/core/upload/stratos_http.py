"""The client's plumbing: one login to IBM Cloud, its IAM token, and requests with retries.

:class:`CloudTransport` is what every API call goes through: it checks the address (no secret
over plain http off this machine), retries 429 (honouring ``Retry-After``), 5xx other than 501
and timeouts a bounded number of times, keeps the IAM token until 80% of its lifetime, and
scrubs the API key and tokens from every text that leaves it. Addresses, timeouts and caps come
from :class:`~tui.core.settings.Settings`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import time
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from tui.core.settings import Settings
from tui.core.text import visible
from tui.core.upload.stratos_auth import (
    API_KEY_ENV,
    APIKEYS_URL,
    DEFAULT_IAM,
    DEFAULT_RC,
    DEFAULT_TIMEOUT,
    ENDPOINT_VARIABLES,
    TIMEOUT_ENV,
    _ApiKeyForm,
    _Secret,
)
from tui.core.upload.stratos_errors import (
    CloudAuthError,
    CloudError,
    CloudRateLimited,
    CloudUnavailable,
    server_message,
)
from tui.core.upload.stratos_transport import exchange, max_response_bytes, refuse_clear_text
from tui.core.upload.zones import POWER_ENDPOINT_ENV

log = logging.getLogger("tui.core.upload.stratos")


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


class CloudTransport:
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
        settings: Settings | None = None,
    ) -> None:
        settings = settings or Settings.from_environment()
        self.settings = settings
        self._api_key = _Secret(api_key)
        #: use each workspace's private endpoint (Direct Link); None: the saved setting
        self.private = settings.cloud_private if private is None else private
        override = settings.power_endpoint_override
        #: (variable, value) of the Power API address for every zone, if one is set
        self.power_override: tuple[str, str] | None = override
        self._iam = (settings.iam_endpoint or DEFAULT_IAM).strip().rstrip("/")
        if self._iam.endswith("/identity/token"):  # the full token URL given as the base
            self._iam = self._iam[: -len("/identity/token")]
        self._rc = (settings.resource_controller_endpoint or DEFAULT_RC).strip().rstrip("/")
        self.timeout = timeout or settings.http_timeout or DEFAULT_TIMEOUT
        self._max_tries = max(1, max_tries)
        self._rate_limit_retries = rate_limit_retries
        self._max_retry_after = max_retry_after
        backoff = backoff if backoff is not None else settings.http_backoff
        self._backoff = backoff if backoff is not None else 0.5
        self.max_bytes = max_response_bytes(settings.http_max_bytes)
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
        return f"<{type(self).__name__} iam={self._iam!r}>"

    async def __aenter__(self) -> Self:
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
            variable = (self.power_override or (POWER_ENDPOINT_ENV, ""))[0]
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

"""One HTTP exchange with IBM Cloud, bounded in time, in size and in where secrets may go.

httpx's own timeout is per read: a server that sends one byte a second never trips it. Each
exchange here runs under one deadline for the whole request (connect, send, headers, body), and
the body is read as a stream and abandoned past a size cap, so a 400 MB answer never sits in
memory. Every request carries the API key (IAM) or a bearer token, so plain ``http://`` is
allowed only to a loopback address (the local emulator); anything else is refused before a byte
is sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui.core.text import visible
from tui.core.upload.stratos_errors import CloudError, CloudRefused

MAX_BYTES_ENV = "SSHDECK_HTTP_MAX_BYTES"
#: far above any real answer (a workspace with a thousand VMs lists in a few MB)
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
_DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class ResponseTooLarge(CloudError):
    code = "response-too-large"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count} bytes"


def max_response_bytes(setting: int | None = None) -> int:
    """The size cap: ``SSHDECK_HTTP_MAX_BYTES`` (read by the settings) or the default."""
    return setting if setting and setting > 0 else DEFAULT_MAX_BYTES


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost`` (which resolves to them by definition, RFC 6761)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_clear_text(url: str, what: str, variable: str) -> None:
    """Plain http carries the API key or a token in clear: only to this machine."""
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise CloudRefused(
            f"Refusing to send the IBM Cloud API key or token in clear text to "
            f"{visible(parts.netloc)} ({what}): use an https:// address in {variable} "
            "(plain http:// is accepted only for a loopback address such as 127.0.0.1)."
        )


async def exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    what: str,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request and read its whole answer within ``deadline`` seconds and ``max_bytes``.

    Raises ``TimeoutError`` when the deadline passes (the caller retries it like a timeout) and
    :class:`ResponseTooLarge` past the cap (not retried: the same answer would come again).
    """
    request = http.build_request(method, url, **kwargs)
    chunks: list[bytes] = []
    async with asyncio.timeout(deadline):
        response = await http.send(request, stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            size = int(declared) if declared.isdigit() else 0
            if size <= max_bytes:
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        break
                    chunks.append(chunk)
        finally:
            await response.aclose()
    if size > max_bytes:
        raise ResponseTooLarge(
            f"{what} sent an answer larger than {_size(max_bytes)} "
            f"(HTTP {response.status_code}), which was abandoned unread; check the endpoint "
            f"variables if you set them (or raise {MAX_BYTES_ENV})."
        )
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in _DROPPED_HEADERS
    ]
    extensions: dict[str, Any] = {
        key: response.extensions[key]
        for key in ("reason_phrase", "http_version")
        if key in response.extensions
    }
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=request,
        extensions=extensions,
    )

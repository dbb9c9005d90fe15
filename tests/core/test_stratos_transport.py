"""The cloud client's transport against hostile servers: each failure is one sentence.

A server sending one byte per second (no per-read timeout ever fires), an answer without end,
an ``http://`` endpoint off this machine, and server error texts carrying escape sequences.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fixtures.cloud import CloudFixture
from tui.core.upload.stratos import (
    CloudError,
    CloudRefused,
    CloudUnavailable,
    ResponseTooLarge,
    StratosClient,
)
from tui.core.upload.stratos_transport import is_loopback


def one_sentence(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "\033" not in text and text.endswith(".")
    return text


async def test_a_trickling_server_hits_the_whole_request_deadline(cloud: CloudFixture) -> None:
    async with StratosClient(cloud.api_key, timeout=1.0, max_tries=2) as client:
        (ws,) = await client.workspaces()
        cloud.trickle_path, cloud.trickle_interval = "/v1/ssh-keys", 0.3  # each read < 1 s
        started = time.monotonic()
        with pytest.raises(CloudUnavailable) as info:
            await client.list_keys(ws)
        elapsed = time.monotonic() - started
    assert "did not answer within 1 seconds, 2 time(s)" in one_sentence(info.value)
    assert elapsed < 8  # two deadlines and a backoff, not 13 bytes x 0.3 s x 2
    assert cloud.count("GET", "/v1/ssh-keys") == 2


async def test_an_endless_answer_is_abandoned_at_the_cap(
    cloud: CloudFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSHDECK_HTTP_MAX_BYTES", str(2 * 1024 * 1024))
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        cloud.flood_path = "/v1/ssh-keys"
        with pytest.raises(ResponseTooLarge) as info:
            await client.list_keys(ws)
    assert "larger than 2 MB" in one_sentence(info.value)
    assert cloud.count("GET", "/v1/ssh-keys") == 1  # the same answer would come again
    # streamed: the client hung up long before the server's 400 MB were written
    for _ in range(200):
        if cloud.flood_sent:
            break
        time.sleep(0.01)
    assert cloud.flood_sent < 100 * 1024 * 1024


async def test_a_declared_oversized_answer_is_not_read(
    cloud: CloudFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSHDECK_HTTP_MAX_BYTES", "1000")
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()  # small answers pass
        cloud.fail(200, path="/v1/ssh-keys", body={"sshKeys": [], "pad": "x" * 5000})
        with pytest.raises(ResponseTooLarge):
            await client.list_keys(ws)


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("IBMCLOUD_IAM_API_ENDPOINT", "http://iam.example.invalid"),
        ("IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT", "http://10.1.2.3:8080"),
        ("IBMCLOUD_POWER_API_ENDPOINT", "http://power.example.invalid/api"),
        ("IBMCLOUD_PI_API_ENDPOINT", "http://[2001:db8::1]"),
    ],
)
async def test_no_secret_over_plain_http_off_loopback(
    cloud: CloudFixture, monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    if variable == "IBMCLOUD_PI_API_ENDPOINT":
        monkeypatch.delenv("IBMCLOUD_POWER_API_ENDPOINT")
    monkeypatch.setenv(variable, url)
    before = len(cloud.requests)
    async with StratosClient(cloud.api_key) as client:
        with pytest.raises(CloudRefused) as info:
            (ws,) = await client.workspaces()
            await client.list_keys(ws)
    sentence = one_sentence(info.value)
    assert sentence.startswith("Refusing to send the IBM Cloud API key or token in clear text")
    assert "https://" in sentence and "loopback" in sentence
    assert cloud.api_key not in sentence
    power = [r for r in cloud.requests[before:] if r.path.startswith("/v1/")]
    assert power == []  # nothing was sent to the Power API


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("[::1]", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("127.0.0.1.nip.io", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_server_error_text_is_escaped(cloud: CloudFixture) -> None:
    hostile = "bad \033]52;c;cm0gLXJmIH4=\007 key \u202e[/] \x9b31m"
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        for status in (400, 403, 409, 422, 500, 501):
            times = 3 if status == 500 else 1  # 500 is tried three times, the others once
            cloud.fail(status, times=times, path="/v1/ssh-keys", body={"description": hostile})
            with pytest.raises(CloudError) as info:
                await client.list_keys(ws)
            text = str(info.value)
            assert "\033" not in text and "\007" not in text and "\u202e" not in text
            assert "\x9b" not in text
            if status not in (401, 403):
                assert "\\033]52;c;cm0gLXJmIH4=\\007" in text, text


async def test_501_is_not_retried_and_iam_errors_list_is_read(cloud: CloudFixture) -> None:
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        cloud.fail(501, times=3, path="/v1/ssh-keys")
        with pytest.raises(CloudError, match="HTTP 501"):
            await client.list_keys(ws)
        assert cloud.count("GET", "/v1/ssh-keys") == 1
    cloud.fail(
        400,
        path="/identity/token",
        body={"errors": [{"code": "BXNIM0415E", "message": "Provided API key could not be found"}]},
    )
    async with StratosClient(cloud.api_key) as client:
        with pytest.raises(CloudError, match="Provided API key could not be found"):
            await client.token()


def test_tenant_fallback_needs_no_power_error_object() -> None:
    from tui.core.upload.stratos import _names_the_workspace
    from tui.core.upload.zones import Workspace

    ws = Workspace("g-1", "w", "crn:v1:bluemix:public:power-iaas:dal12:a/acc:g-1::", "dal12", "a")
    gone = httpx.Response(404, json={"code": 404, "description": "workspace g-1 not found"})
    assert _names_the_workspace(gone, ws)
    # the same words outside a Power error object (a proxy, a gateway) are not about it
    proxy = httpx.Response(404, json={"status": "workspace g-1 not found", "trace": "x"})
    assert not _names_the_workspace(proxy, ws)
    html = httpx.Response(404, text="<html>workspace g-1 not found</html>")
    assert not _names_the_workspace(html, ws)

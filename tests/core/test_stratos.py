"""The Stratos for Power client against the local emulator of IBM's APIs (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.cloud import CloudFixture
from tests.keyfactory import keygen
from tui.core.errors import InvalidArgument, KeyFormatError
from tui.core.upload.stratos import (
    CloudAuthError,
    CloudConflict,
    CloudError,
    CloudForbidden,
    CloudRateLimited,
    CloudRefused,
    CloudUnavailable,
    StratosClient,
)
from tui.core.upload.zones import Workspace


@pytest.fixture(scope="module")
def key_lines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("keys")
    return {
        "ed25519": (
            keygen(base / "ed", "ed25519", comment="me@laptop").with_suffix(".pub")
        ).read_text(),
        "rsa": (
            keygen(base / "rsa", "rsa", 2048, comment="me@rsa").with_suffix(".pub")
        ).read_text(),
        "other": (keygen(base / "o", "ed25519", comment="other").with_suffix(".pub")).read_text(),
    }


async def _workspace(client: StratosClient) -> Workspace:
    (ws,) = await client.workspaces()
    return ws


async def test_token_reused_and_calls_carry_bearer_and_crn(
    cloud: CloudFixture, key_lines: dict[str, str]
) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        assert ws.name == "prod-dallas" and ws.zone == "dal12" and ws.guid == cloud.ws.guid
        assert ws.crn == cloud.ws.crn and ws.account_id == cloud.account_id
        assert await client.list_keys(ws) == []
        await client.add_key(ws, key_lines["rsa"], "laptop")
        assert [k.name for k in await client.list_keys(ws)] == ["laptop"]
    assert cloud.count("POST", "/identity/token") == 1
    power = [r for r in cloud.requests if r.path.startswith("/v1/")]
    assert power and all(r.headers.get("crn") == cloud.ws.crn for r in power)
    assert all(r.headers["authorization"].startswith("Bearer emu-token-") for r in power)


async def test_workspaces_follow_next_url(cloud: CloudFixture) -> None:
    for i in range(4):
        cloud.add_workspace(f"ws-{i}", ["lon04", "syd05", "tok04", "mad02"][i])
    async with StratosClient(cloud.api_key) as client:
        names = [(ws.name, ws.endpoint) for ws in await client.workspaces()]
    assert [n for n, _ in names] == ["prod-dallas", "ws-0", "ws-1", "ws-2", "ws-3"]
    assert cloud.count("GET", "/v2/resource_instances") == 3  # pages of 2


async def test_create_then_duplicate_key_is_already_present(
    cloud: CloudFixture, key_lines: dict[str, str]
) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        first = await client.add_key(ws, key_lines["rsa"], "laptop", "my laptop", "account")
        assert first.result == "created" and first.warnings == ()
        again = await client.add_key(ws, key_lines["rsa"], "another name")
    assert again.result == "already-present" and again.key.name == "laptop"
    assert again.sha256 == first.sha256 == first.key.sha256
    (stored,) = cloud.workspace_keys(cloud.ws)
    assert stored["description"] == "my laptop" and stored["visibility"] == "account"
    assert stored["sshKey"] == key_lines["rsa"].strip()
    assert cloud.count("POST", "/v1/ssh-keys") == 1
    assert "ibmcloud pi workspace target " + ws.crn in first.command
    assert 'ibmcloud pi ssh-key create laptop --key "ssh-rsa ' in first.command
    assert first.command.endswith('--description "my laptop" --visibility account')


async def test_name_taken_by_another_key(cloud: CloudFixture, key_lines: dict[str, str]) -> None:
    cloud.add_key(cloud.ws, "laptop", key_lines["other"].strip())
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        with pytest.raises(CloudConflict, match="already has another key named 'laptop'"):
            await client.add_key(ws, key_lines["ed25519"], "laptop")
    assert cloud.count("POST", "/v1/ssh-keys") == 0


async def test_server_409_is_one_sentence(cloud: CloudFixture, key_lines: dict[str, str]) -> None:
    cloud.fail(409, method="POST", path="/v1/ssh-keys")
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        with pytest.raises(CloudConflict, match=r"emulated HTTP 409 \(HTTP 409\); choose another"):
            await client.add_key(ws, key_lines["ed25519"], "laptop")


async def test_403_names_the_manager_role(cloud: CloudFixture, key_lines: dict[str, str]) -> None:
    cloud.fail(403, method="POST", path="/v1/ssh-keys")
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        with pytest.raises(CloudForbidden) as info:
            await client.add_key(ws, key_lines["ed25519"], "laptop")
    assert (
        "your user needs the Manager service role on workspace prod-dallas "
        "(or be the account owner) to add SSH keys"
    ) in str(info.value)


async def test_bad_api_key(cloud: CloudFixture) -> None:
    async with StratosClient("not-a-key") as client:
        with pytest.raises(CloudAuthError, match="BXNIM0415E.*sshdeck cloud login") as info:
            await client.workspaces()
    assert "not-a-key" not in str(info.value) and "\n" not in str(info.value)


async def test_expired_token_is_refreshed_once_silently(
    cloud: CloudFixture, key_lines: dict[str, str]
) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        cloud.expire_tokens()
        assert await client.list_keys(ws) == []
        assert cloud.count("POST", "/identity/token") == 2
        cloud.fail(401, times=2, path="/v1/ssh-keys")  # refused even after the refresh
        with pytest.raises(CloudAuthError, match="freshly issued"):
            await client.list_keys(ws)
    assert cloud.count("POST", "/identity/token") == 3


async def test_token_renewed_before_it_expires(cloud: CloudFixture) -> None:
    cloud.token_lifetime = 4  # advertised; the server keeps honouring tokens, so no 401 helps
    cloud.token_validity = 600
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        await client.list_keys(ws)
        assert cloud.count("POST", "/identity/token") == 1  # reused within its lifetime
        await asyncio.sleep(3.3)  # kept: the behaviour is renewal once 80% of the lifetime passed
        await client.list_keys(ws)
    assert cloud.count("POST", "/identity/token") == 2
    assert all(r.status != 401 for r in cloud.requests)


async def test_admin_endpoint_switches(cloud: CloudFixture) -> None:
    async with httpx.AsyncClient() as admin:
        answer = await admin.post(
            f"{cloud.url}/_admin/fail", json={"status": 403, "times": 1, "path": "/v1/ssh-keys"}
        )
        assert answer.json() == {"ok": True}
        await admin.post(f"{cloud.url}/_admin/v1", json={"enabled": False})
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        with pytest.raises(CloudForbidden, match="Reader service role"):
            await client.list_keys(ws)
        assert await client.list_keys(ws) == [] and client.uses_tenant_api(ws)


async def test_429_honours_retry_after(cloud: CloudFixture) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        cloud.fail(429, times=1, path="/v1/ssh-keys", retry_after=1)
        started = time.monotonic()
        assert await client.list_keys(ws) == []
        assert time.monotonic() - started >= 0.9  # it waited as told before retrying
        assert cloud.count("GET", "/v1/ssh-keys") == 2
        cloud.fail(429, times=10, path="/v1/ssh-keys", retry_after=0)
        with pytest.raises(CloudRateLimited, match="wait 1 second and try again"):
            await client.list_keys(ws)
    assert cloud.count("GET", "/v1/ssh-keys") == 2 + 4  # bounded: first try and 3 retries


async def test_500_twice_then_success_and_three_times_fails(
    cloud: CloudFixture, key_lines: dict[str, str]
) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        cloud.fail(500, times=2, method="POST")
        result = await client.add_key(ws, key_lines["rsa"], "laptop")
        assert result.result == "created" and cloud.count("POST", "/v1/ssh-keys") == 3
        cloud.fail(503, times=3, method="GET", path="/v1/ssh-keys")
        with pytest.raises(CloudUnavailable, match="HTTP 503 .* 3 time"):
            await client.list_keys(ws)


async def test_timeouts_retry_then_fail(cloud: CloudFixture) -> None:
    async with StratosClient(cloud.api_key, timeout=1.0) as client:
        ws = await _workspace(client)
        cloud.hang(10, times=1, path="/v1/ssh-keys")
        assert await client.list_keys(ws) == []  # the second try answered
        cloud.hang(10, times=3, path="/v1/ssh-keys")
        with pytest.raises(CloudUnavailable, match="did not answer within 1 seconds, 3 time"):
            await client.list_keys(ws)
    assert cloud.count("GET", "/v1/ssh-keys") == 2 + 3


async def test_tenant_api_fallback(cloud: CloudFixture, key_lines: dict[str, str]) -> None:
    cloud.v1_enabled = False
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        result = await client.add_key(ws, key_lines["rsa"], "old api", "ignored")
        assert result.result == "created" and client.uses_tenant_api(ws)
        assert any("description and visibility were not sent" in w for w in result.warnings)
        assert [k.name for k in await client.list_keys(ws)] == ["old api"]
        await client.delete_key(ws, await client.find_key(ws, "old api"))
    tenant = f"/pcloud/v1/tenants/{cloud.account_id}/sshkeys"
    assert cloud.count("POST", tenant) == 1 and cloud.count("DELETE", tenant + "/old api") == 1
    assert cloud.tenant_keys[cloud.account_id] == []
    assert cloud.count("GET", "/v1/ssh-keys") == 1  # asked once, then remembered


async def test_delete_by_id_and_name(cloud: CloudFixture, key_lines: dict[str, str]) -> None:
    row = cloud.add_key(cloud.ws, "a", key_lines["rsa"].strip())
    cloud.add_key(cloud.ws, "b", key_lines["other"].strip())
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        await client.delete_key(ws, await client.find_key(ws, row["id"]))
        await client.delete_key(ws, await client.find_key(ws, "b"))
    assert cloud.workspace_keys(cloud.ws) == []


async def test_server_validation_and_non_rsa_refusal(
    cloud: CloudFixture, key_lines: dict[str, str]
) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        with pytest.raises(CloudRefused, match="name in body should match.*HTTP 422"):
            await client.create_key(ws, "bad/name", key_lines["rsa"].strip())
        cloud.reject_non_rsa = True
        with pytest.raises(CloudRefused) as info:
            await client.add_key(ws, key_lines["ed25519"], "laptop")
    assert "only RSA keys are supported" in str(info.value)
    assert "sshdeck keygen -t rsa -b 4096" in str(info.value)
    assert "ssh-keygen -t rsa -b 4096" in str(info.value)


async def test_local_validation_happens_before_the_network(
    cloud: CloudFixture, key_lines: dict[str, str]
) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = Workspace("g", "w", cloud.ws.crn, "dal12", cloud.account_id)
        with pytest.raises(InvalidArgument, match="not allowed"):
            await client.add_key(ws, key_lines["rsa"], "two  spaces ok but slash/ not")
        with pytest.raises(InvalidArgument):
            await client.add_key(ws, key_lines["rsa"], "x" * 129)
        with pytest.raises(KeyFormatError, match="2 lines"):
            await client.add_key(ws, "Here is my key:\n" + key_lines["rsa"], "laptop")
    assert cloud.requests == []


async def test_non_rsa_key_gets_a_warning_not_a_refusal(
    cloud: CloudFixture, key_lines: dict[str, str]
) -> None:
    async with StratosClient(cloud.api_key) as client:
        result = await client.add_key(await _workspace(client), key_lines["ed25519"], "ed")
    assert result.result == "created"
    (warning,) = result.warnings
    assert "RSA" in warning and "ssh-keygen -t rsa -b 4096" in warning


def test_client_repr_hides_the_key(tmp_path: Path) -> None:
    client = StratosClient("SECRET-KEY-123456")
    assert "SECRET-KEY-123456" not in repr(client) and "SECRET" not in str(vars(client))


async def test_unexpected_bodies_and_foreign_next_url(cloud: CloudFixture) -> None:
    async with StratosClient(cloud.api_key) as client:
        ws = await _workspace(client)
        cloud.fail(200, path="/v1/ssh-keys", body=["not", "an", "object"])  # type: ignore[arg-type]
        with pytest.raises(CloudError, match="not the expected JSON"):
            await client.list_keys(ws)
        # a next_url naming another host is followed on the resource controller only
        assert client._same_origin("https://elsewhere.example/v2/resource_instances?start=2") == (
            f"{cloud.url}/v2/resource_instances?start=2"
        )


def test_next_url_under_a_base_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT", "http://127.0.0.1:9/rc/")
    client = StratosClient("k")
    for next_url in ("/rc/v2/resource_instances?start=2", "/v2/resource_instances?start=2"):
        assert (
            client._same_origin(next_url) == "http://127.0.0.1:9/rc/v2/resource_instances?start=2"
        )

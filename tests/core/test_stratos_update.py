"""Get, rename, update, keys shared by another workspace, the VMs, and where the API lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.cloud import CloudFixture
from tests.keyfactory import keygen
from tui.core.connect.power_os import power_os_note
from tui.core.errors import InvalidArgument
from tui.core.settings import Settings
from tui.core.upload.stratos import CloudConflict, CloudRefused, StratosClient
from tui.core.upload.zones import Workspace, power_endpoint


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    base = tmp_path_factory.mktemp("keys")
    return [
        keygen(base / f"k{i}", "ed25519", comment=f"k{i}").with_suffix(".pub").read_text().strip()
        for i in range(3)
    ]


async def test_visibility_is_always_sent(cloud: CloudFixture, lines: list[str]) -> None:
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        created = await client.add_key(ws, lines[0], "plain")
    (stored,) = cloud.workspace_keys(cloud.ws)
    assert stored["visibility"] == "workspace"  # the emulator fills in nothing
    assert created.key.visibility == "workspace"


async def test_get_rename_and_update(cloud: CloudFixture, lines: list[str]) -> None:
    row = cloud.add_key(cloud.ws, "laptop", lines[0], visibility="workspace")
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        key = await client.get_key(ws, "laptop")
        assert key.id == row["id"] and key.primary_workspace is True
        assert cloud.count("GET", f"/v1/ssh-keys/{row['id']}") == 1
        renamed = await client.update_key(ws, key, name="work laptop")
        assert renamed.name == "work laptop" and renamed.id == row["id"]
        updated = await client.update_key(
            ws, renamed, description="desk", visibility="account", ssh_key=lines[1]
        )
        assert (updated.description, updated.visibility, updated.ssh_key) == (
            "desk",
            "account",
            lines[1],
        )
        with pytest.raises(InvalidArgument):
            await client.update_key(ws, updated, name="bad/name")
        with pytest.raises(CloudRefused, match="Nothing to change"):
            await client.update_key(ws, updated)
        cloud.add_key(cloud.ws, "taken", lines[2])
        with pytest.raises(CloudConflict, match="HTTP 409"):
            await client.update_key(ws, updated, name="taken")
    (stored, _taken) = cloud.workspace_keys(cloud.ws)
    assert stored["name"] == "work laptop" and stored["description"] == "desk"
    assert stored["visibility"] == "account" and stored["sshKey"] == lines[1]


async def test_tenant_api_rename_by_name(cloud: CloudFixture, lines: list[str]) -> None:
    cloud.v1_enabled = False
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        await client.add_key(ws, lines[0], "old")
        key = await client.find_key(ws, "old")
        renamed = await client.update_key(ws, key, name="new")
        assert renamed.name == "new"
        with pytest.raises(CloudRefused, match="no description or visibility"):
            await client.update_key(ws, renamed, description="x")
    assert [k["name"] for k in cloud.tenant_keys[cloud.account_id]] == ["new"]
    assert cloud.count("PUT", f"/pcloud/v1/tenants/{cloud.account_id}/sshkeys/old") == 1


async def test_a_key_shared_by_another_workspace_is_refused_naming_the_owner(
    cloud: CloudFixture, lines: list[str]
) -> None:
    london = cloud.add_workspace("dev-london", "lon06")
    cloud.add_key(london, "team", lines[0], visibility="account")
    async with StratosClient(cloud.api_key) as client:
        dallas = next(w for w in await client.workspaces() if w.name == "prod-dallas")
        key = await client.find_key(dallas, "team")
        assert key.primary_workspace is False
        with pytest.raises(CloudRefused) as info:
            await client.delete_key(dallas, key)
        assert "not owned by workspace prod-dallas" in str(info.value)
        assert "dev-london" in str(info.value) and "--workspace dev-london" in str(info.value)
        with pytest.raises(CloudRefused, match="change a key only from"):
            await client.update_key(dallas, key, description="x")
        with pytest.raises(CloudConflict, match="shared with the whole account") as taken:
            await client.add_key(dallas, lines[1], "team")
        assert "delete" not in str(taken.value)  # a delete cannot work from here
    assert cloud.count("DELETE", "/v1/ssh-keys") == 0 and cloud.count("PUT", "/v1/ssh-keys") == 0
    assert len(cloud.workspace_keys(london)) == 1


async def test_the_emulator_refuses_a_foreign_delete_as_documented(
    cloud: CloudFixture, lines: list[str]
) -> None:
    """The emulator itself: no invented 404 for a shared key, a 403 that says why."""
    import httpx

    london = cloud.add_workspace("dev-london", "lon06")
    row = cloud.add_key(london, "team", lines[0], visibility="account")
    async with StratosClient(cloud.api_key) as client:
        token = await client.token()
    async with httpx.AsyncClient() as raw:
        answer = await raw.delete(
            f"{cloud.url}/v1/ssh-keys/{row['id']}",
            headers={"Authorization": f"Bearer {token}", "CRN": cloud.ws.crn},
        )
    assert answer.status_code == 403
    assert "only be modified or deleted from the workspace that created it" in answer.text


async def test_instances_and_login_targets(cloud: CloudFixture) -> None:
    cloud.add_instance(cloud.ws, "web-1", "192.168.10.5", external_ip="169.48.1.2")
    cloud.add_instance(cloud.ws, "aix-db", "192.168.10.6", os_type="aix", status="SHUTOFF")
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        vms = await client.instances(ws)
    assert [(vm.name, vm.status, vm.os_type) for vm in vms] == [
        ("aix-db", "SHUTOFF", "aix"),
        ("web-1", "ACTIVE", "rhel"),
    ]
    assert vms[1].login_target == "root@169.48.1.2"  # the external IP first
    assert vms[0].login_target == "root@192.168.10.6"
    assert vms[1].networks[0].name == "public-net"
    assert cloud.count("GET", f"/pcloud/v1/cloud-instances/{cloud.ws.guid}/pvm-instances") == 1


def _ws(zone: str, private: bool = False) -> Workspace:
    return Workspace(
        "g", "w", f"crn:v1:bluemix:public:power-iaas:{zone}:a/a:g::", zone, "a", private=private
    )


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("power-iaas.cloud.ibm.com", "lon06", "https://lon.power-iaas.cloud.ibm.com"),
        ("dal.power-iaas.cloud.ibm.com", "lon06", "https://dal.power-iaas.cloud.ibm.com"),
        ("https://example.test/power/", "syd05", "https://example.test/power"),
        ("http://127.0.0.1:9", "syd05", "http://127.0.0.1:9"),
    ],
)
def test_endpoint_variable_as_the_sdk_reads_it(
    monkeypatch: pytest.MonkeyPatch, value: str, zone: str, expected: str
) -> None:
    monkeypatch.delenv("IBMCLOUD_POWER_API_ENDPOINT", raising=False)
    monkeypatch.setenv("IBMCLOUD_PI_API_ENDPOINT", value)  # the Terraform provider's name

    def endpoint() -> str:
        override = Settings.from_environment().power_endpoint_override
        return power_endpoint(zone, override=override[1] if override else None)

    assert endpoint() == expected
    monkeypatch.setenv("IBMCLOUD_POWER_API_ENDPOINT", "https://first.test")
    assert endpoint() == "https://first.test"  # the SDK's own name wins


@pytest.mark.parametrize(
    ("zone", "host"),
    [
        ("dal12", "private.us-south"),
        ("wdc07", "private.us-east"),
        ("lon04", "private.eu-gb"),
        ("eu-de-2", "private.eu-de"),
        ("tor01", "private.ca-tor"),
        ("syd05", "private.au-syd"),
        ("tok04", "private.jp-tok"),
        ("osa21", "private.jp-osa"),
        ("sao04", "private.br-sao"),
        ("mon01", "private.ca-mon"),
    ],
)
def test_private_endpoints_from_the_api_docs(
    monkeypatch: pytest.MonkeyPatch, zone: str, host: str
) -> None:
    monkeypatch.delenv("IBMCLOUD_POWER_API_ENDPOINT", raising=False)
    assert _ws(zone, private=True).endpoint == f"https://{host}.power-iaas.cloud.ibm.com"
    assert _ws(zone).endpoint.startswith("https://") and "private" not in _ws(zone).endpoint


def test_a_zone_without_a_private_endpoint_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IBMCLOUD_POWER_API_ENDPOINT", raising=False)
    with pytest.raises(InvalidArgument, match="Zone mad02 has no private endpoint"):
        _ws("mad02", private=True).endpoint  # noqa: B018
    assert _ws("mad02", private=True).to_json()["api_endpoint"] is None


async def test_private_setting_reaches_the_workspaces(
    cloud: CloudFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSHDECK_CLOUD_PRIVATE", "1")
    monkeypatch.delenv("IBMCLOUD_POWER_API_ENDPOINT")
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
    assert ws.private and ws.endpoint == "https://private.us-south.power-iaas.cloud.ibm.com"
    async with StratosClient(cloud.api_key, private=False) as client:
        (ws,) = await client.workspaces()
    assert ws.endpoint == "https://us-south.power-iaas.cloud.ibm.com"


@pytest.mark.parametrize(
    ("version", "banner", "os_type", "kind"),
    [
        (None, None, "aix", "AIX"),
        (None, None, "ibmi", "IBM i"),
        ("SSH-2.0-OpenSSH_9.2p1 AIX", None, None, "AIX"),
        ("SSH-2.0-OpenSSH_9.6", "Welcome to IBM i (OS/400) on POWER10", None, "IBM i"),
        ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3", "Welcome", "rhel", None),
        (None, None, None, None),
    ],
)
def test_power_os_note(
    version: str | None, banner: str | None, os_type: str | None, kind: str | None
) -> None:
    note = power_os_note(version, banner, os_type)
    if kind is None:
        assert note is None
    else:
        assert note and note.startswith(f"This is an {kind} host")


def test_instance_without_networks(tmp_path: Path) -> None:
    from tui.core.upload.instances import Instance

    vm = Instance.from_json({"serverName": "x", "pvmInstanceID": "1", "networks": None})
    assert vm.login_target is None and vm.to_json()["networks"] == []
    v6 = Instance.from_json({"networks": [{"ipAddress": "2001:db8::5"}]})
    assert v6.login_target == "root@[2001:db8::5]"

"""The client's requests, field by field, against IBM's own model definitions.

Written down here from ``IBM-Cloud/power-go-client`` (commit 39f4e20, 2026-06-24), not from the
emulator, so that the emulator and the client cannot agree on a mistake:

- ``power/client/ssh_keys/ssh_keys_client.go`` and
  ``p_cloud_tenants_ssh_keys/p_cloud_tenants_ssh_keys_client.go``: methods and path patterns;
  ``p_cloud_p_vm_instances/p_cloudp_vm_instances_client.go``: ``pcloud.pvminstances.getall``.
- ``power/models/create_workspace_ssh_key.go``, ``update_workspace_ssh_key.go``,
  ``ssh_key.go``: the request bodies (``json`` tags, ``Required``, ``Max Length``, ``Pattern``,
  ``Enum``); ``workspace_ssh_key.go``, ``p_vm_instances.go``, ``p_vm_instance_reference.go``:
  the answers the emulator must give.
- ``ibmpisession/utils.go`` ``crnBuilder``: the ``CRN`` header.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.cloud import CloudFixture
from tests.keyfactory import keygen
from tui.core.upload.stratos import StratosClient

NAME_PATTERN = r"^[A-Za-z0-9-_]+(?: +[A-Za-z0-9-_]+)*$"  # Go RE2 with Perl flags: '-' literal


@dataclass(frozen=True)
class Field:
    type: type
    required: bool = False
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None


# CreateWorkspaceSSHKey: Description string `json:"description,omitempty"`; Name *string
# `json:"name"` Required, Max Length 128, Pattern; SSHKey *string `json:"sshKey"` Required;
# Visibility *string `json:"visibility,omitempty"` Enum ["account","workspace"]
CREATE_WORKSPACE_SSH_KEY = {
    "description": Field(str),
    "name": Field(str, required=True, max_length=128, pattern=NAME_PATTERN),
    "sshKey": Field(str, required=True),
    "visibility": Field(str, enum=("account", "workspace")),
}
# UpdateWorkspaceSSHKey: the same four, all omitempty, none required
UPDATE_WORKSPACE_SSH_KEY = {
    "description": Field(str),
    "name": Field(str, max_length=128, pattern=NAME_PATTERN),
    "sshKey": Field(str),
    "visibility": Field(str, enum=("account", "workspace")),
}
# SSHKey (tenant API): CreationDate omitempty (server-set); Name, SSHKey Required
SSH_KEY = {
    "creationDate": Field(str),
    "name": Field(str, required=True),
    "sshKey": Field(str, required=True),
}
# WorkspaceSSHKey (answer): ID, Name, PrimaryWorkspace, SSHKey Required; Description not
# omitempty (always present); Visibility Enum; CreationDate omitempty
WORKSPACE_SSH_KEY = {
    "creationDate": Field(str),
    "description": Field(str, required=True),
    "id": Field(str, required=True),
    "name": Field(str, required=True, max_length=128, pattern=NAME_PATTERN),
    "primaryWorkspace": Field(bool, required=True),
    "sshKey": Field(str, required=True),
    "visibility": Field(str, enum=("account", "workspace")),
}
# PVMInstanceReference, the required fields only (the answer may carry many more)
PVM_INSTANCE_REQUIRED = (
    "diskSize",
    "href",
    "imageID",
    "memory",
    "osType",
    "procType",
    "processors",
    "pvmInstanceID",
    "serverName",
    "status",
)
PROC_TYPES = ("dedicated", "shared", "capped", "")

ROUTES = {
    ("GET", r"/v1/ssh-keys"): None,
    ("POST", r"/v1/ssh-keys"): CREATE_WORKSPACE_SSH_KEY,
    ("GET", r"/v1/ssh-keys/[^/]+"): None,
    ("PUT", r"/v1/ssh-keys/[^/]+"): UPDATE_WORKSPACE_SSH_KEY,
    ("DELETE", r"/v1/ssh-keys/[^/]+"): None,
    ("GET", r"/pcloud/v1/tenants/[^/]+/sshkeys"): None,
    ("POST", r"/pcloud/v1/tenants/[^/]+/sshkeys"): SSH_KEY,
    ("GET", r"/pcloud/v1/tenants/[^/]+/sshkeys/[^/]+"): None,
    ("PUT", r"/pcloud/v1/tenants/[^/]+/sshkeys/[^/]+"): SSH_KEY,
    ("DELETE", r"/pcloud/v1/tenants/[^/]+/sshkeys/[^/]+"): None,
    ("GET", r"/pcloud/v1/cloud-instances/[^/]+/pvm-instances"): None,
}


def check(body: Any, model: dict[str, Field], where: str) -> None:
    assert isinstance(body, dict), where
    unknown = set(body) - set(model)
    assert not unknown, f"{where}: fields the model does not have: {unknown}"
    for name, spec in model.items():
        if name not in body:
            assert not spec.required, f"{where}: required field {name} missing"
            continue
        value: Any = body[name]
        assert isinstance(value, spec.type), f"{where}: {name} is {type(value).__name__}"
        text = str(value)  # the constraints below are on strings only
        if spec.max_length is not None:
            assert len(text) <= spec.max_length, f"{where}: {name} too long"
        if spec.pattern is not None:
            assert re.fullmatch(spec.pattern, text), f"{where}: {name} {value!r} off pattern"
        if spec.enum is not None:
            assert value in spec.enum, f"{where}: {name} {value!r} not in {spec.enum}"


def route_of(method: str, path: str) -> dict[str, Field] | None:
    for (m, pattern), model in ROUTES.items():
        if m == method and re.fullmatch(pattern, path):
            return model
    raise AssertionError(f"{method} {path} is no route of the SDK")


@pytest.fixture
def lines(tmp_path: Path) -> list[str]:
    return [
        keygen(tmp_path / f"k{i}", "ed25519", comment=f"c{i}").with_suffix(".pub").read_text()
        for i in range(3)
    ]


async def _every_operation(cloud: CloudFixture, lines: list[str]) -> None:
    cloud.add_instance(cloud.ws, "vm", "10.1.1.1", external_ip="169.1.1.1")
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        await client.add_key(ws, lines[0], "a key")  # no visibility given
        await client.add_key(ws, lines[1], "b", "desc", "account")
        key = await client.get_key(ws, "a key")
        key = await client.update_key(ws, key, name="a-key 2")
        key = await client.update_key(ws, key, visibility="account", description="")
        await client.update_key(ws, key, ssh_key=lines[2].strip())
        await client.delete_key(ws, await client.find_key(ws, "b"))
        await client.instances(ws)
    cloud.v1_enabled = False
    async with StratosClient(cloud.api_key) as client:
        (ws,) = await client.workspaces()
        await client.add_key(ws, lines[0], "t1")
        key = await client.get_key(ws, "t1")
        key = await client.update_key(ws, key, name="t2")
        await client.delete_key(ws, key)


async def test_requests_match_the_sdk_models(cloud: CloudFixture, lines: list[str]) -> None:
    await _every_operation(cloud, lines)
    crn = f"crn:v1:bluemix:public:power-iaas:{cloud.ws.region_id}:a/{cloud.account_id}:"
    checked = 0
    for request in cloud.requests:
        if request.path in ("/identity/token", "/v2/resource_instances"):
            continue
        model = route_of(request.method, request.path)
        # AuthInfo(cloudInstanceID): Authorization and CRN on every Power call
        assert request.headers["authorization"].startswith("Bearer ")
        assert request.headers["crn"] == f"{crn}{cloud.ws.guid}::"
        if model is None:
            assert request.body == b"", f"{request.method} {request.path} sends no body"
            continue
        assert request.headers["content-type"] == "application/json"
        check(json.loads(request.body), model, f"{request.method} {request.path}")
        checked += 1
    assert checked == 7  # 2 v1 creates, 3 v1 updates, 1 tenant create, 1 tenant update
    posts = [
        json.loads(r.body) for r in cloud.requests if r.method == "POST" and r.body[:1] == b"{"
    ]
    assert posts[0]["visibility"] == "workspace"  # sent even when not given


async def test_answers_of_the_emulator_match_the_sdk_models(
    cloud: CloudFixture, lines: list[str]
) -> None:
    """The emulator the other tests trust gives what the SDK would accept."""
    await _every_operation(cloud, lines)
    seen_instances = False
    for request in cloud.requests:
        if not request.answer or request.status >= 300:
            continue
        doc = json.loads(request.answer)
        if request.path == "/v1/ssh-keys" and request.method == "GET":
            for row in doc["sshKeys"]:
                check(row, WORKSPACE_SSH_KEY, "WorkspaceSSHKeys")
        elif request.path.startswith("/v1/ssh-keys") and request.method in ("POST", "PUT", "GET"):
            check(doc, WORKSPACE_SSH_KEY, f"{request.method} WorkspaceSSHKey")
        elif request.path.endswith("/pvm-instances"):
            seen_instances = True
            for vm in doc["pvmInstances"]:
                missing = [f for f in PVM_INSTANCE_REQUIRED if f not in vm]
                assert not missing, missing
                assert vm["procType"] in PROC_TYPES
                assert isinstance(vm["networks"], list)
        elif "/sshkeys" in request.path and request.method in ("POST", "PUT"):
            check(doc, SSH_KEY, "SSHKey")
    assert seen_instances


@pytest.mark.parametrize("name", ["ok", "two words", "a-b_c", "x" * 128, "a  b"])
def test_the_client_name_rule_is_the_sdk_pattern(name: str) -> None:
    from tui.core.upload.stratos_input import validate_key_name

    assert validate_key_name(name) == name and re.fullmatch(NAME_PATTERN, name)


@pytest.mark.parametrize("name", ["", " lead", "trail ", "dot.name", "tab\tname", "x" * 129])
def test_names_off_the_sdk_pattern_are_refused(name: str) -> None:
    from tui.core.errors import InvalidArgument
    from tui.core.upload.stratos_input import validate_key_name

    with pytest.raises(InvalidArgument):
        validate_key_name(name)
    assert not (re.fullmatch(NAME_PATTERN, name) and len(name) <= 128)

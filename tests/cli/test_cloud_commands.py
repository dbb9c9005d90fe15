"""``sshdeck cloud key|rename|update|instances`` and the fuller ``keys`` listing, as processes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.cloud import CloudFixture
from tests.keyfactory import keygen

Run = Callable[..., subprocess.CompletedProcess[str]]
HOSTILE = "evil\033]52;c;cm0gLXJmIH4=\007[/]\u202e"


@pytest.fixture
def lines(tmp_path: Path) -> list[str]:
    return [
        keygen(tmp_path / f"k{i}", "ed25519", comment=f"me{i}").with_suffix(".pub").read_text()
        for i in range(2)
    ]


def ok(out: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert out.returncode == 0, out.stderr
    return out


def one_sentence(out: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert out.returncode == code, out.stdout + out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    return out.stderr.strip()


def test_key_rename_update_round_trip(
    cloud: CloudFixture, run_cli: Run, lines: list[str], tmp_path: Path
) -> None:
    row = cloud.add_key(cloud.ws, "laptop", lines[0].strip(), description="old desk")
    doc = json.loads(ok(run_cli("cloud", "key", "laptop", "--json")).stdout)
    assert doc["key"]["id"] == row["id"] and doc["key"]["description"] == "old desk"
    assert doc["key"]["primary_workspace"] is True and doc["workspace"]["name"] == "prod-dallas"
    text = ok(run_cli("cloud", "key", row["id"])).stdout
    assert "Name:        laptop" in text and "Owner:       this workspace" in text

    out = ok(run_cli("cloud", "rename", "laptop", "work laptop"))
    assert out.stdout.startswith("renamed: SSH key 'work laptop'")
    new_pub = tmp_path / "new.pub"
    new_pub.write_text(lines[1])
    doc = json.loads(
        ok(
            run_cli(
                "cloud", "update", "work laptop", "--description", "desk 2",
                "--visibility", "account", "--key-file", str(new_pub), "--json",
            )
        ).stdout
    )  # fmt: skip
    assert doc["result"] == "updated" and doc["visibility"] == "account"
    (stored,) = cloud.workspace_keys(cloud.ws)
    assert (stored["name"], stored["description"], stored["visibility"]) == (
        "work laptop",
        "desk 2",
        "account",
    )
    assert stored["sshKey"] == lines[1].strip()
    assert one_sentence(run_cli("cloud", "update", "work laptop"), 2).startswith("Nothing to")
    before = len(cloud.requests)
    assert "not allowed" in one_sentence(run_cli("cloud", "rename", "work laptop", "a/b"))
    assert len(cloud.requests) == before  # refused before the network


def test_keys_text_shows_visibility_owner_description_created(
    cloud: CloudFixture, run_cli: Run, lines: list[str]
) -> None:
    london = cloud.add_workspace("dev-london", "lon06")
    cloud.add_key(cloud.ws, "mine", lines[0].strip(), description="laptop", visibility="workspace")
    cloud.add_key(london, "team", lines[1].strip(), visibility="account")
    text = ok(run_cli("cloud", "keys", "--workspace", "prod-dallas")).stdout
    header, *rows = text.splitlines()[1:]
    for column in ("VISIBILITY", "OWNER", "CREATED", "DESCRIPTION"):
        assert column in header
    mine = next(r for r in rows if r.startswith("mine"))
    team = next(r for r in rows if r.startswith("team"))
    assert "workspace" in mine and "this workspace" in mine and "laptop" in mine
    assert "2026-01-15" in mine
    assert "account" in team and "another" in team

    out = run_cli("cloud", "delete", "team", "--yes")
    sentence = one_sentence(out)
    assert "not owned by workspace prod-dallas" in sentence and "dev-london" in sentence
    assert len(cloud.workspace_keys(london)) == 1


def test_cloud_texts_are_escaped_in_text_and_exact_in_json(
    cloud: CloudFixture, run_cli: Run, lines: list[str]
) -> None:
    cloud.add_key(cloud.ws, "k", lines[0].strip(), description=HOSTILE)
    cloud.add_instance(cloud.ws, HOSTILE, "10.0.0.9")
    cloud.workspaces[0].name = "prod" + HOSTILE
    for args in (("keys",), ("key", "k"), ("instances",), ("workspaces",)):
        out = ok(run_cli("cloud", *args))
        assert "\033" not in out.stdout and "\007" not in out.stdout, args
        assert "\u202e" not in out.stdout
        assert "\\033]52;c;cm0gLXJmIH4=\\007[/]\\342\\200\\256" in out.stdout, args
    doc = json.loads(ok(run_cli("cloud", "keys", "--json")).stdout)
    assert doc["keys"][0]["description"] == HOSTILE
    doc = json.loads(ok(run_cli("cloud", "instances", "--json")).stdout)
    assert doc["instances"][0]["name"] == HOSTILE
    cloud.fail(409, method="PUT", body={"description": HOSTILE})
    sentence = one_sentence(run_cli("cloud", "rename", "k", "k2"))
    assert "\033" not in sentence and "\\033]52;c;cm0gLXJmIH4=\\007" in sentence


def test_instances_text_and_json(cloud: CloudFixture, run_cli: Run) -> None:
    cloud.add_instance(cloud.ws, "web-1", "192.168.1.5", external_ip="169.48.7.8")
    cloud.add_instance(cloud.ws, "ibmi-1", "192.168.1.6", os_type="ibmi")
    doc = json.loads(ok(run_cli("cloud", "instances", "--json")).stdout)
    by_name = {vm["name"]: vm for vm in doc["instances"]}
    assert by_name["web-1"]["login_target"] == "root@169.48.7.8"
    assert by_name["web-1"]["networks"][0] == {
        "network_name": "public-net",
        "ip_address": "192.168.1.5",
        "external_ip": "169.48.7.8",
    }
    assert by_name["ibmi-1"]["os_type"] == "ibmi" and by_name["ibmi-1"]["status"] == "ACTIVE"
    text = ok(run_cli("cloud", "instances")).stdout
    assert text.startswith("Workspace prod-dallas (dal12): 2 instance(s)")
    assert "root@169.48.7.8" in text and "public-net 192.168.1.5 (169.48.7.8)" in text
    cloud.fail(403, path="/pcloud/v1/cloud-instances")
    assert "Reader service role" in one_sentence(run_cli("cloud", "instances"))


def test_private_flag_and_plain_http_refusal(
    cloud: CloudFixture, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IBMCLOUD_POWER_API_ENDPOINT")
    monkeypatch.setenv("IBMCLOUD_PI_API_ENDPOINT", "power-iaas.cloud.ibm.com")
    doc = json.loads(ok(run_cli("cloud", "workspaces", "--private", "--json")).stdout)
    assert doc["workspaces"][0]["api_endpoint"] == (
        "https://private.us-south.power-iaas.cloud.ibm.com"
    )
    doc = json.loads(ok(run_cli("cloud", "workspaces", "--json")).stdout)
    assert doc["workspaces"][0]["api_endpoint"] == "https://us-south.power-iaas.cloud.ibm.com"
    monkeypatch.setenv("IBMCLOUD_PI_API_ENDPOINT", "http://power.example.invalid")
    sentence = one_sentence(run_cli("cloud", "keys"))
    assert "Refusing to send the IBM Cloud API key or token in clear text" in sentence
    assert "IBMCLOUD_PI_API_ENDPOINT" in sentence


def test_slow_and_oversized_answers_are_one_sentence(
    cloud: CloudFixture, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSHDECK_HTTP_TIMEOUT", "1")
    cloud.trickle_path, cloud.trickle_interval = "/v1/ssh-keys", 0.4
    sentence = one_sentence(run_cli("cloud", "keys"))
    assert "did not answer within 1 seconds, 3 time(s)" in sentence
    cloud.trickle_path = None
    monkeypatch.setenv("SSHDECK_HTTP_MAX_BYTES", str(1024 * 1024))
    cloud.flood_path = "/pcloud/v1/cloud-instances"
    sentence = one_sentence(run_cli("cloud", "instances"))
    assert "sent an answer larger than 1 MB" in sentence and "abandoned unread" in sentence

"""Acceptance of ``sshdeck cloud`` against a second, strict emulator written from IBM's docs.

``tests/cloud_emulator_strict.py`` shares nothing with the main emulator: form-only IAM with
exactly the documented fields, relative (or absolute) ``next_url`` without the original filter,
the Power API under a path prefix, 401s with empty bodies, error bodies with only some of
``code``/``description``/``error``/``message``. Every command and failure sentence of the
issue is run as a real process; a canary API key must never leave the client.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cloud_emulator_strict import Canned, StrictIBM, err
from tests.keyfactory import keygen

Run = Callable[..., subprocess.CompletedProcess[str]]
CANARY = "CANARY-strict-9d2f41c07e5b4a13b6e8"
HTML = {"Content-Type": "text/html"}


@pytest.fixture
def ibm(monkeypatch: pytest.MonkeyPatch) -> Iterator[StrictIBM]:
    emu = StrictIBM({CANARY}).start()
    emu.workspace("prod-dallas", "dal12")
    emu.workspace("dev-london", "lon06")
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IBMCLOUD_API_KEY", CANARY)
    monkeypatch.setenv("SSHDECK_HTTP_BACKOFF", "0.05")
    try:
        yield emu
    finally:
        emu.stop()
        for seen in emu.seen:  # the key travels only in the IAM form body
            assert CANARY not in seen.path
            assert all(CANARY not in v for v in seen.headers.values())


@pytest.fixture
def cli(run_cli: Run) -> Run:
    """``run_cli`` that also checks the canary never reaches stdout or stderr."""

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        out = run_cli(*args, input=input)
        assert CANARY not in out.stdout + out.stderr
        assert "Traceback" not in out.stderr
        return out

    return run


def ok_json(out: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert out.returncode == 0, out.stderr
    doc: dict = json.loads(out.stdout)  # type: ignore[type-arg]  # one document, nothing else
    return doc


def one_sentence(out: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert out.returncode == code, out.stdout + out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    return out.stderr.strip()


def test_workflow_matching_memory_and_json(ibm: StrictIBM, cli: Run, ssh_dir: Path) -> None:
    rsa = keygen(ssh_dir / "id_rsa", "rsa", 2048, comment="me@laptop").with_suffix(".pub")
    dallas, london = ibm.resources
    data = ok_json(cli("cloud", "workspaces", "--json"))  # two pages via a relative next_url
    assert {w["name"]: w["region_id"] for w in data["workspaces"]} == {
        "prod-dallas": "dal12",
        "dev-london": "lon06",
    }
    assert {w["crn"] for w in data["workspaces"]} == {dallas["crn"], london["crn"]}
    assert ibm.count("POST", "/identity/token") == 1
    out = cli("cloud", "keys")
    assert out.returncode == 2 and "--workspace" in out.stderr  # several, none chosen
    for wanted, ws in ((london["guid"], london), (dallas["crn"], dallas)):
        doc = ok_json(cli("cloud", "keys", "--workspace", wanted, "--json"))
        assert doc["workspace"]["crn"] == ws["crn"] and doc["keys"] == []
    assert ibm.seen[-1].headers["CRN"] == dallas["crn"]
    assert ibm.seen[-1].headers["Authorization"].startswith("Bearer ")
    assert ibm.seen[-1].path == "/power/api/v1/ssh-keys"  # prefix kept, no double slash

    # remembered: no --workspace from now on means prod-dallas
    created = ok_json(cli("cloud", "upload", "-f", str(rsa), "--json"))
    assert created["result"] == "created" and created["name"] == "id_rsa"
    assert created["workspace"]["crn"] == dallas["crn"]
    assert created["command"].splitlines() == [
        f"ibmcloud pi workspace target {dallas['crn']}",
        f'ibmcloud pi ssh-key create id_rsa --key "{rsa.read_text().strip()}"',
    ]
    assert [k["name"] for k in ibm.keys[dallas["crn"]]] == ["id_rsa"]
    again = ok_json(cli("cloud", "upload", "-f", str(rsa), "--name", "other", "--json"))
    assert again["result"] == "already-present" and again["name"] == "id_rsa"
    assert len(ibm.keys[dallas["crn"]]) == 1  # nothing created
    listing = ok_json(cli("cloud", "keys", "--json"))
    (key,) = listing["keys"]
    assert key["sha256"] == created["sha256"] and key["sha256"].startswith("SHA256:")
    assert key["local_file"] == str(rsa)

    ed = keygen(ssh_dir / "id_ed25519", "ed25519", comment="me@laptop").with_suffix(".pub")
    taken = one_sentence(cli("cloud", "upload", "-f", str(ed), "--name", "id_rsa"))
    assert "id_rsa" in taken and "--name" in taken
    out = cli(
        "cloud", "upload", "-f", str(ed), "--name", "my key", "--description", "laptop",
        "--visibility", "account", "--workspace", "dev-london",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "created" in out.stdout and "RSA" in out.stderr  # non-RSA: a warning, not a refusal
    assert f"ibmcloud pi workspace target {london['crn']}" in out.stdout
    assert '--description "laptop" --visibility account' in out.stdout
    (stored,) = ibm.keys[london["crn"]]
    assert stored["visibility"] == "account" and stored["description"] == "laptop"

    assert cli("cloud", "delete", "my key").returncode == 2  # no --yes: nothing deleted
    assert ibm.keys[london["crn"]]
    out = cli("cloud", "delete", stored["id"], "--yes")  # by ID, remembered workspace
    assert out.returncode == 0, out.stderr
    assert ibm.keys[london["crn"]] == []
    assert cli("cloud", "delete", "id_rsa", "--workspace", "prod-dallas", "--yes").returncode == 0
    assert ibm.keys[dallas["crn"]] == []


def test_names_and_keys_checked_before_the_network(
    ibm: StrictIBM, cli: Run, tmp_path: Path
) -> None:
    rsa = keygen(tmp_path / "me@host", "rsa", 1024).with_suffix(".pub")
    for bad in ("x" * 129, "trailing ", " lead", "dot.name", "tab\tname"):
        sentence = one_sentence(cli("cloud", "upload", "-f", str(rsa), "--name", bad))
        assert "128" in sentence
    sentence = one_sentence(cli("cloud", "upload", "-f", str(rsa.with_suffix(""))))
    assert "private key" in sentence
    assert ibm.seen == []  # refused before any request
    out = ok_json(cli("cloud", "upload", "-f", str(rsa), "--workspace", "prod-dallas", "--json"))
    assert out["name"] == "me-host" and out["result"] == "created"
    assert any("1024" in w for w in out["warnings"])
    long_name = "a" * 64 + " " + "b" * 63
    out = ok_json(cli("cloud", "upload", "-f", str(rsa), "--name", long_name, "--json"))
    assert out["result"] == "already-present"


def test_login_logout_and_bad_key(
    ibm: StrictIBM, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    assert "cloud login" in one_sentence(cli("cloud", "workspaces"))
    sentence = one_sentence(cli("cloud", "login", "--api-key-stdin", input="not-" + CANARY))
    assert "BXNIM0415E" in sentence and "not-" not in sentence
    form = ibm.seen[-1]
    assert form.headers["Content-Type"] == "application/x-www-form-urlencoded"
    out = cli("cloud", "login", "--api-key-stdin", input=CANARY + "\n")
    assert out.returncode == 0, out.stderr
    assert cli("cloud", "workspaces").returncode == 0  # from the keyring
    assert cli("cloud", "logout").returncode == 0
    assert cli("cloud", "workspaces").returncode == 1


def test_failure_sentences(ibm: StrictIBM, cli: Run, tmp_path: Path) -> None:
    rsa = keygen(tmp_path / "k", "rsa", 1024).with_suffix(".pub")
    ed = keygen(tmp_path / "e", "ed25519").with_suffix(".pub")
    up = ("cloud", "upload", "-f", str(rsa), "--workspace", "prod-dallas")

    ibm.queue("POST", "/v1/ssh-keys", Canned(403))  # empty body
    assert (
        "your user needs the Manager service role on workspace prod-dallas (or be the account "
        "owner) to add SSH keys"
    ) in one_sentence(cli(*up))
    ibm.queue("POST", "/v1/ssh-keys", err(409, error="conflict"))
    assert "409" in one_sentence(cli(*up))
    ibm.queue("POST", "/v1/ssh-keys", err(422, description="name in body is bad"))
    assert "name in body is bad" in one_sentence(cli(*up))
    ibm.rsa_only = True
    sentence = one_sentence(cli("cloud", "upload", "-f", str(ed)))
    assert "only RSA is supported" in sentence and "ssh-keygen -t rsa" in sentence
    ibm.queue("GET", "/v2/resource_instances", err(500, message=f"echo {CANARY}"), times=3)
    assert "HTTP 500" in one_sentence(cli("cloud", "workspaces"))
    ibm.queue("POST", "/identity/token", Canned(400, b'{"errorCode": "BXNIM0415E"}'))
    assert "BXNIM0415E" in one_sentence(cli("cloud", "workspaces"))
    assert ibm.keys[ibm.resources[0]["crn"]] == []


def test_retries_refresh_and_timeouts(
    ibm: StrictIBM, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = ("cloud", "keys", "--workspace", "prod-dallas")
    html = Canned(500, b"<html><body>Internal Server Error</body></html>", HTML)
    ibm.queue("GET", "/v1/ssh-keys", html, times=2)
    assert cli(*keys).returncode == 0
    assert ibm.count("GET", "/v1/ssh-keys") == 3
    ibm.queue("GET", "/v1/ssh-keys", Canned(503, b"<html>down</html>", HTML), times=5)
    assert "HTTP 503" in one_sentence(cli(*keys))
    assert ibm.count("GET", "/v1/ssh-keys") == 6  # at most 3 tries
    ibm._queue.clear()
    ibm.seen.clear()

    ibm.queue("GET", "/v1/ssh-keys", Canned(429, b"", {"Retry-After": "1"}))
    assert cli(*keys).returncode == 0
    first, second = (s for s in ibm.seen if s.path.endswith("/v1/ssh-keys"))
    assert second.at - first.at >= 0.9  # waited as Retry-After said
    ibm.queue("GET", "/v1/ssh-keys", Canned(429, b"", {"Retry-After": "0"}), times=9)
    assert "429" in one_sentence(cli(*keys))
    assert ibm.count("GET", "/v1/ssh-keys") == 2 + 4  # bounded: first try and 3 retries
    ibm._queue.clear()
    ibm.seen.clear()

    ibm.queue("GET", "/v1/ssh-keys", Canned(401))  # the token expired: one silent refresh
    out = cli(*keys)
    assert out.returncode == 0 and out.stderr == ""
    assert ibm.count("POST", "/identity/token") == 2
    ibm.queue("GET", "/v1/ssh-keys", Canned(401), times=2)
    assert "sshdeck cloud login" in one_sentence(cli(*keys))
    ibm.seen.clear()

    monkeypatch.setenv("SSHDECK_HTTP_TIMEOUT", "0.4")
    slow = Canned(200, b'{"sshKeys": []}', {"Content-Type": "application/json"}, delay=1.0)
    ibm.queue("GET", "/v1/ssh-keys", slow, times=3)
    assert "did not answer" in one_sentence(cli(*keys))
    assert ibm.count("GET", "/v1/ssh-keys") == 3


def test_absolute_next_url_tenant_fallback_and_missing_workspace(
    ibm: StrictIBM, cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rsa = keygen(tmp_path / "k", "rsa", 1024).with_suffix(".pub")
    ibm.absolute_next = True
    monkeypatch.setenv("IBMCLOUD_IAM_API_ENDPOINT", ibm.base + "/identity/token")
    assert len(ok_json(cli("cloud", "workspaces", "--json"))["workspaces"]) == 2
    dallas = ibm.resources[0]

    # a 404 that names the workspace: gone, and the account's keys are not shown instead
    ibm.tenant[dallas["account_id"]].append({"name": "acct", "sshKey": rsa.read_text().strip()})
    ibm.queue("GET", "/v1/ssh-keys", err(404, description=f"cloud instance {dallas['guid']}"))
    sentence = one_sentence(cli("cloud", "keys", "--workspace", "prod-dallas"))
    assert "prod-dallas" in sentence and "not found" in sentence

    ibm.v1 = False  # a host without /v1/ssh-keys: the tenant API, keys by name
    doc = ok_json(cli("cloud", "upload", "-f", str(rsa), "--name", "other", "--json"))
    assert doc["result"] == "already-present" and doc["name"] == "acct"
    ibm.tenant[dallas["account_id"]].clear()
    doc = ok_json(cli("cloud", "upload", "-f", str(rsa), "--name", "k2", "--json"))
    assert doc["result"] == "created"
    assert ibm.tenant[dallas["account_id"]][0]["name"] == "k2"
    assert cli("cloud", "delete", "k2", "--yes").returncode == 0
    assert ibm.seen[-1].path.endswith(f"/pcloud/v1/tenants/{dallas['account_id']}/sshkeys/k2")
    assert ibm.tenant[dallas["account_id"]] == []


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/v2/resource_instances?start=a", "/rc/v2/resource_instances?start=a"),
        ("/rc/v2/resource_instances?start=b", "/rc/v2/resource_instances?start=b"),
        ("v2/resource_instances?start=c", "/rc/v2/resource_instances?start=c"),
        ("?start=d", "/rc/v2/resource_instances?start=d"),
        (
            "https://elsewhere.example/v2/resource_instances?start=e",
            "/rc/v2/resource_instances?start=e",
        ),
    ],
)
async def test_next_url_relative_or_absolute_stays_on_the_controller(
    monkeypatch: pytest.MonkeyPatch, next_url: str, expected: str
) -> None:
    from tui.core.upload.stratos import StratosClient

    monkeypatch.setenv("IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT", "http://127.0.0.1:9/rc/")
    async with StratosClient("k") as client:
        assert client._same_origin(next_url) == "http://127.0.0.1:9" + expected


@pytest.mark.parametrize(
    ("body", "names_it"),
    [
        ({"description": "workspace not found"}, True),
        ({"error": "cloud instance not found", "code": 404}, True),
        ({"message": "g-123 does not exist"}, True),
        ({"code": 404, "message": "path /v1/ssh-keys was not found"}, False),
        ({"description": "the workspace ssh key API is not supported here"}, False),
        ({"error": "Not Found"}, False),
        (None, False),
    ],
)
def test_which_404_means_a_missing_route(body: object, names_it: bool) -> None:
    import httpx

    from tui.core.upload.stratos import _names_the_workspace
    from tui.core.upload.zones import Workspace

    ws = Workspace(
        "g-123", "prod", "crn:v1:bluemix:public:power-iaas:dal12:a/acc:g-123::", "dal12", "acc"
    )
    response = httpx.Response(404, json=body) if body is not None else httpx.Response(404)
    assert _names_the_workspace(response, ws) is names_it


def test_an_unusable_endpoint_is_named(
    ibm: StrictIBM, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IBMCLOUD_POWER_API_ENDPOINT", "http://[::1")
    assert "IBMCLOUD_POWER_API_ENDPOINT" in one_sentence(
        cli("cloud", "keys", "--workspace", "prod-dallas")
    )
    monkeypatch.setenv("IBMCLOUD_IAM_API_ENDPOINT", "127.0.0.1:9")
    assert "IBMCLOUD_IAM_API_ENDPOINT" in one_sentence(cli("cloud", "workspaces"))


@pytest.mark.parametrize(("value", "wait"), [("3", 3.0), ("1.5", 1.5), ("0", 0.0), ("", 2.0)])
def test_retry_after_in_seconds(value: str, wait: float) -> None:
    import httpx

    from tui.core.upload.stratos import _retry_after

    assert _retry_after(httpx.Response(429, headers={"Retry-After": value}), 1) == wait


async def test_upload_pane_against_the_strict_emulator(ibm: StrictIBM, ssh_dir: Path) -> None:
    """The pane's Stratos tab uses the same client: pick a workspace, 403 in place, then add."""
    from textual.widgets import Select

    from tests.ui.test_upload_stratos import DATA, SIZE, UploadApp, marks, message, panel_of
    from tests.ui.test_upload_stratos import settle as settled

    pub = ssh_dir / "id_rsa.pub"
    pub.write_bytes((DATA / "stratos_rsa.pub").read_bytes())
    london = ibm.resources[1]
    app = UploadApp(pub)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        panel = panel_of(app)
        panel.query_one("#stratos-workspace", Select).value = london["crn"]
        await settled(pilot)
        assert marks(panel) == []
        ibm.queue("POST", "/v1/ssh-keys", Canned(403))
        await pilot.click("#stratos-add")
        await settled(pilot)
        assert "Manager service role on workspace dev-london" in message(panel)
        await pilot.click("#stratos-add")
        await settled(pilot)
        assert marks(panel) == [("✔ this key", "id_rsa")]
        assert CANARY not in message(panel)
    assert [k["name"] for k in ibm.keys[london["crn"]]] == ["id_rsa"]


def test_rename_update_key_and_instances_on_the_strict_emulator(
    ibm: StrictIBM, cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rsa = keygen(tmp_path / "k", "rsa", 1024).with_suffix(".pub")
    other = keygen(tmp_path / "o", "ed25519").with_suffix(".pub")
    dallas = ibm.resources[0]
    assert ok_json(cli("cloud", "upload", "-f", str(rsa), "--workspace", "prod-dallas", "--json"))
    (stored,) = ibm.keys[dallas["crn"]]
    assert stored["visibility"] == "workspace"  # sent although not given
    assert cli("cloud", "rename", "k", "k renamed").returncode == 0
    out = cli("cloud", "update", "k renamed", "--description", "d", "--key-file", str(other))
    assert out.returncode == 0, out.stderr
    doc = ok_json(cli("cloud", "key", "k renamed", "--json"))
    assert doc["key"]["description"] == "d" and doc["key"]["type"] == "ssh-ed25519"
    puts = [s for s in ibm.seen if s.method == "PUT"]
    assert [json.loads(p.body) for p in puts] == [
        {"name": "k renamed"},
        {"description": "d", "sshKey": other.read_text().strip()},
    ]
    assert all(p.path.startswith("/power/api/v1/ssh-keys/") for p in puts)
    assert ok_json(cli("cloud", "instances", "--json"))["instances"] == []

    ibm.v1 = False  # the tenant API: PUT by name with both required fields
    ibm.tenant[dallas["account_id"]].append({"name": "t", "sshKey": rsa.read_text().strip()})
    assert cli("cloud", "rename", "t", "t2").returncode == 0
    put = [s for s in ibm.seen if s.method == "PUT"][-1]
    assert put.path.endswith(f"/pcloud/v1/tenants/{dallas['account_id']}/sshkeys/t")
    assert json.loads(put.body) == {"name": "t2", "sshKey": rsa.read_text().strip()}
    sentence = one_sentence(cli("cloud", "update", "t2", "--description", "x"))
    assert "older account-wide key API" in sentence
    monkeypatch.setenv("IBMCLOUD_POWER_API_ENDPOINT", "http://198.51.100.7/power")
    sentence = one_sentence(cli("cloud", "keys"))
    assert sentence.startswith("Refusing to send the IBM Cloud API key or token in clear text")

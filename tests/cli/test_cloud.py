"""``sshdeck cloud ...`` as a real process against the local emulator of IBM's APIs."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.cloud import CloudFixture
from tests.keyfactory import keygen
from tui.core import secrets

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    return keygen(tmp_path / "laptop_rsa", "rsa", 2048, comment="me@laptop").with_suffix(".pub")


def _json(result: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert result.returncode == 0, result.stderr
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


def test_login_stores_the_key_and_logout_forgets_it(
    cloud: CloudFixture, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    out = run_cli("cloud", "workspaces")
    assert out.returncode == 1 and "sshdeck cloud login" in out.stderr
    out = run_cli("cloud", "login", "--api-key-stdin", input=cloud.api_key + "\n")
    assert out.returncode == 0, out.stderr
    assert "stored in the system keyring" in out.stdout
    assert cloud.count("POST", "/identity/token") == 1  # verified before storing
    assert _json(run_cli("cloud", "workspaces", "--json"))["workspaces"][0]["name"] == "prod-dallas"
    out = run_cli("cloud", "logout")
    assert out.returncode == 0 and "Forgot" in out.stdout
    assert run_cli("cloud", "workspaces").returncode == 1


def test_login_refuses_a_bad_key_and_stores_nothing(
    cloud: CloudFixture, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    out = run_cli("cloud", "login", "--api-key-stdin", input="wrong-key\n")
    assert out.returncode == 1
    assert "BXNIM0415E" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "wrong-key" not in out.stderr + out.stdout
    out = run_cli("cloud", "login", input="")  # no terminal, no --api-key-stdin
    assert out.returncode == 1 and "--api-key-stdin" in out.stderr
    assert run_cli("cloud", "workspaces").returncode == 1


def test_login_without_a_keyring_says_so(
    cloud: CloudFixture, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    out = run_cli("cloud", "login", "--api-key-stdin", input=cloud.api_key + "\n")
    assert out.returncode == 1
    assert "not stored" in out.stderr and "IBMCLOUD_API_KEY" in out.stderr
    out2 = run_cli("cloud", "keys")
    assert out2.returncode == 1 and "keyring" in out2.stderr and "IBMCLOUD_API_KEY" in out2.stderr
    assert cloud.api_key not in out.stdout + out.stderr + out2.stdout + out2.stderr


def test_workspaces_json_follows_pagination(cloud: CloudFixture, run_cli: Run) -> None:
    for name, zone in (("dev-london", "lon06"), ("test-sydney", "syd05"), ("z-tokyo", "tok04")):
        cloud.add_workspace(name, zone)
    data = _json(run_cli("cloud", "workspaces", "--json"))
    names = [w["name"] for w in data["workspaces"]]
    assert names == ["dev-london", "prod-dallas", "test-sydney", "z-tokyo"]
    first = data["workspaces"][1]
    assert first["guid"] == cloud.ws.guid and first["crn"] == cloud.ws.crn
    assert first["zone"] == "dal12" and first["state"] == "active" and first["selected"] is False
    assert cloud.count("GET", "/v2/resource_instances") == 2
    text = run_cli("cloud", "workspaces").stdout
    assert "test-sydney" in text and "syd05" in text


def test_upload_created_then_already_present_and_keys_list(
    cloud: CloudFixture, run_cli: Run, pub: Path, ssh_dir: Path
) -> None:
    local = keygen(ssh_dir / "id_rsa", "rsa", 1024)
    data = _json(
        run_cli(
            "cloud", "upload", "-f", str(pub), "--description", "my laptop",
            "--visibility", "account", "--json",
        )
    )  # fmt: skip
    assert data["result"] == "created" and data["name"] == "laptop_rsa"
    assert data["sha256"].startswith("SHA256:") and data["id"]
    assert data["workspace"]["crn"] == cloud.ws.crn and data["warnings"] == []
    assert data["command"].splitlines()[0] == f"ibmcloud pi workspace target {cloud.ws.crn}"
    assert (
        data["command"]
        .splitlines()[1]
        .startswith('ibmcloud pi ssh-key create laptop_rsa --key "ssh-rsa ')
    )
    (stored,) = cloud.workspace_keys(cloud.ws)
    assert stored["description"] == "my laptop" and stored["visibility"] == "account"

    again = _json(run_cli("cloud", "upload", "-f", str(pub), "--name", "other", "--json"))
    assert again["result"] == "already-present" and again["name"] == "laptop_rsa"
    assert again["sha256"] == data["sha256"] and cloud.count("POST", "/v1/ssh-keys") == 1

    cloud.add_key(cloud.ws, "from-ssh-dir", local.with_suffix(".pub").read_text().strip())
    listing = _json(run_cli("cloud", "keys", "--json"))
    by_name = {k["name"]: k for k in listing["keys"]}
    assert by_name["laptop_rsa"]["sha256"] == data["sha256"]
    assert by_name["laptop_rsa"]["local_file"] is None
    assert by_name["from-ssh-dir"]["local_file"] == str(local.with_suffix(".pub"))
    assert listing["api"] == "v1" and listing["workspace"]["name"] == "prod-dallas"
    text = run_cli("cloud", "keys").stdout
    assert "from-ssh-dir" in text and str(local.with_suffix(".pub")) in text


def test_human_upload_output_and_non_rsa_warning(
    cloud: CloudFixture, run_cli: Run, tmp_path: Path
) -> None:
    key = keygen(tmp_path / "id_ed25519", "ed25519").with_suffix(".pub")
    out = run_cli("cloud", "upload", "-f", str(key))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("created: SSH key 'id_ed25519'")
    assert "ibmcloud pi ssh-key create id_ed25519" in out.stdout
    assert out.stderr.startswith("warning: ") and "ssh-keygen -t rsa -b 4096" in out.stderr


def test_workspace_choice(cloud: CloudFixture, run_cli: Run, pub: Path) -> None:
    other = cloud.add_workspace("dev-london", "lon06")
    out = run_cli("cloud", "upload", "-f", str(pub))
    assert out.returncode == 2
    assert "dev-london, prod-dallas" in out.stderr and "--workspace" in out.stderr
    data = _json(run_cli("cloud", "upload", "-f", str(pub), "--workspace", "dev-london", "--json"))
    assert data["workspace"]["guid"] == other.guid and len(cloud.workspace_keys(other)) == 1
    # remembered: the next command without --workspace uses it
    listing = _json(run_cli("cloud", "keys", "--json"))
    assert listing["workspace"]["guid"] == other.guid
    marks = _json(run_cli("cloud", "workspaces", "--json"))["workspaces"]
    assert [w["selected"] for w in marks] == [True, False]
    for wanted in (cloud.ws.guid, cloud.ws.crn):
        listing = _json(run_cli("cloud", "keys", "--workspace", wanted, "--json"))
        assert listing["workspace"]["guid"] == cloud.ws.guid
    out = run_cli("cloud", "keys", "--workspace", "nope")
    assert out.returncode == 1 and "No workspace is named 'nope'" in out.stderr


def test_duplicate_name_bad_name_and_junk_key(
    cloud: CloudFixture, run_cli: Run, pub: Path, tmp_path: Path
) -> None:
    cloud.add_key(
        cloud.ws, "laptop_rsa", keygen(tmp_path / "o", "ed25519").with_suffix(".pub").read_text()
    )
    out = run_cli("cloud", "upload", "-f", str(pub))
    assert out.returncode == 1 and "already has another key named 'laptop_rsa'" in out.stderr
    requests = len(cloud.requests)
    out = run_cli("cloud", "upload", "-f", str(pub), "--name", "bad/name")
    assert out.returncode == 1 and "not allowed" in out.stderr
    junk = tmp_path / "junk.pub"
    junk.write_text("my key is:\n" + pub.read_text() + "thanks\n")
    out = run_cli("cloud", "upload", "-f", str(junk))
    assert out.returncode == 1 and "lines" in out.stderr
    assert len(cloud.requests) == requests  # refused before any network
    assert cloud.count("POST", "/v1/ssh-keys") == 0


def test_403_says_manager_role(cloud: CloudFixture, run_cli: Run, pub: Path) -> None:
    cloud.fail(403, method="POST", path="/v1/ssh-keys")
    out = run_cli("cloud", "upload", "-f", str(pub))
    assert out.returncode == 1 and out.stdout == ""
    assert "your user needs the Manager service role on workspace prod-dallas" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_retries_and_timeouts(
    cloud: CloudFixture, run_cli: Run, pub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.fail(500, times=2, method="POST", path="/v1/ssh-keys")
    cloud.fail(429, times=1, method="GET", path="/v1/ssh-keys", retry_after=1)
    assert _json(run_cli("cloud", "upload", "-f", str(pub), "--json"))["result"] == "created"
    assert cloud.count("POST", "/v1/ssh-keys") == 3 and cloud.count("GET", "/v1/ssh-keys") == 2
    monkeypatch.setenv("SSHDECK_HTTP_TIMEOUT", "0.3")
    cloud.hang(10, times=3, path="/v1/ssh-keys")
    out = run_cli("cloud", "keys")
    assert out.returncode == 1 and "did not answer within 0.3 seconds" in out.stderr


def test_tenant_fallback_and_delete(cloud: CloudFixture, run_cli: Run, pub: Path) -> None:
    cloud.v1_enabled = False
    assert _json(run_cli("cloud", "upload", "-f", str(pub), "--json"))["result"] == "created"
    listing = _json(run_cli("cloud", "keys", "--json"))
    assert listing["api"] == "tenant" and listing["keys"][0]["name"] == "laptop_rsa"
    out = run_cli("cloud", "delete", "laptop_rsa")
    assert out.returncode == 2 and "--yes" in out.stderr
    assert len(cloud.tenant_keys[cloud.account_id]) == 1
    data = _json(run_cli("cloud", "delete", "laptop_rsa", "--yes", "--json"))
    assert data["result"] == "deleted" and data["name"] == "laptop_rsa"
    assert cloud.tenant_keys[cloud.account_id] == []
    out = run_cli("cloud", "delete", "laptop_rsa", "--yes")
    assert out.returncode == 1 and "no SSH key named" in out.stderr


def test_delete_by_id_on_v1(cloud: CloudFixture, run_cli: Run, pub: Path) -> None:
    row = cloud.add_key(cloud.ws, "k", pub.read_text().strip())
    out = run_cli("cloud", "delete", row["id"], "--yes")
    assert out.returncode == 0 and "deleted: SSH key 'k'" in out.stdout
    assert cloud.workspace_keys(cloud.ws) == []


def test_canary_never_printed(
    cloud: CloudFixture, run_cli: Run, pub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    echo = {"description": f"key {cloud.api_key} refused", "error": "x"}
    outputs = [run_cli("cloud", "upload", "-f", str(pub), "--json")]
    cloud.expire_tokens()
    for status in (400, 403, 404, 409, 422, 500):
        cloud.fail(status, times=3, body=echo, path="/v1/ssh-keys")
        outputs.append(run_cli("cloud", "keys", "--json"))
    outputs.append(run_cli("cloud", "login", "--api-key-stdin", input=cloud.api_key + "x\n"))
    monkeypatch.setenv("IBMCLOUD_API_KEY", cloud.api_key + "x")
    outputs.append(run_cli("cloud", "workspaces"))
    assert [o.returncode for o in outputs] == [0, 1, 1, 1, 1, 1, 1, 1, 1]
    for out in outputs:
        for secret in (cloud.api_key, *cloud.issued_tokens):
            assert secret not in out.stdout + out.stderr


def _read_until(fd: int, marker: bytes | None, limit: float = 30) -> bytes:
    """Read a pty's output until ``marker`` shows up (or until the other side closes)."""
    data = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and (marker is None or marker not in data):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            data += chunk
    return data


def test_login_on_a_terminal_asks_without_echo(
    cloud: CloudFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "cloud", "login"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
    )
    os.close(slave)
    try:
        seen = _read_until(master, b"(input hidden): ")
        os.write(master, cloud.api_key.encode() + b"\n")
        seen += _read_until(master, None)
        assert process.wait(timeout=30) == 0, seen
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    assert b"stored in the system keyring" in seen
    assert cloud.api_key.encode() not in seen  # the terminal did not echo it
    assert secrets.get_secret(secrets.API_KEY_NAME) == cloud.api_key

"""The API key and tokens never leak: not in logs (DEBUG, httpx and httpcore included), errors,
exception reprs or the client's own state dump; plus the pure helpers (zones, names, command)."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest

from tests.fixtures.cloud import CloudFixture
from tests.keyfactory import keygen
from tui.core import secrets
from tui.core.errors import SshDeckError
from tui.core.settings import Settings
from tui.core.upload.stratos import CloudError, NoApiKey, StratosClient, load_api_key
from tui.core.upload.stratos_input import default_key_name, equivalent_command
from tui.core.upload.zones import power_endpoint, region_of_zone


async def test_canary_key_and_tokens_never_leak(
    cloud: CloudFixture, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "tui"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    line = keygen(tmp_path / "k", "ed25519").with_suffix(".pub").read_text()
    errors: list[BaseException] = []
    # the server echoes the key and a token in its error bodies: they must be scrubbed
    echo = {"description": f"bad key {cloud.api_key}", "message": "x"}
    async with StratosClient(cloud.api_key, timeout=1.0) as client:
        (ws,) = await client.workspaces()
        await client.add_key(ws, line, "canary")
        cloud.expire_tokens()
        await client.list_keys(ws)
        for status, times in ((400, 1), (403, 1), (409, 1), (500, 3), (401, 2)):
            cloud.fail(status, times=times, path="/v1/ssh-keys", body=echo)
            try:
                await client.list_keys(ws)
            except CloudError as exc:
                errors.append(exc)
        cloud.hang(5, times=3)
        try:
            await client.list_keys(ws)
        except CloudError as exc:
            errors.append(exc)
        dump = repr(vars(client)) + repr(client)
    async with StratosClient(cloud.api_key + "-wrong") as client:
        try:
            await client.token()
        except CloudError as exc:
            errors.append(exc)
    kinds = [type(e).__name__ for e in errors]
    assert kinds == [
        "CloudRefused",
        "CloudForbidden",
        "CloudConflict",
        "CloudUnavailable",
        "CloudAuthError",
        "CloudUnavailable",
        "CloudAuthError",
    ]
    secrets_seen = [cloud.api_key, *cloud.issued_tokens]
    assert len(cloud.issued_tokens) >= 2
    texts = [caplog.text, dump] + [
        str(e) + repr(e) + "".join(traceback.format_exception(e)) for e in errors
    ]
    assert "HTTP Request" in caplog.text  # httpx really logged, at DEBUG level too
    for text in texts:
        for secret in secrets_seen:
            assert secret not in text
    # the messages that quote the server's words show where the echoed key was scrubbed
    assert all("[redacted]" in str(errors[i]) for i in (0, 2, 3))


def test_no_api_key_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NoApiKey, match="sshdeck cloud login"):
        load_api_key()
    assert secrets.store_secret(secrets.API_KEY_NAME, "CANARY-stored-key-123")
    assert load_api_key() == "CANARY-stored-key-123"
    monkeypatch.setenv("IBMCLOUD_API_KEY", "from-env")
    assert load_api_key() == "from-env"
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    monkeypatch.setattr(
        secrets,
        "keyring_status",
        lambda: secrets.KeyringStatus(False, "none", "No system keyring is available here."),
    )
    with pytest.raises(SshDeckError) as info:
        load_api_key()
    assert "IBMCLOUD_API_KEY" in str(info.value) and "keyring" in str(info.value)
    assert "CANARY" not in str(info.value)


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("dal10", "us-south"),
        ("dal12", "us-south"),
        ("us-south", "us-south"),
        ("us-east", "us-east"),
        ("wdc06", "us-east"),
        ("wdc07", "us-east"),
        ("lon04", "lon"),
        ("lon06", "lon"),
        ("eu-de-1", "eu-de"),
        ("eu-de-2", "eu-de"),
        ("sao01", "sao"),
        ("sao04", "sao"),
        ("tor01", "tor"),
        ("mon01", "mon"),
        ("syd04", "syd"),
        ("syd05", "syd"),
        ("tok04", "tok"),
        ("osa21", "osa"),
        ("che01", "che"),
        ("mad02", "mad"),
        ("mad04", "mad"),
        ("par01", "par"),  # unknown zones lose their digits, as the Go SDK does
    ],
)
def test_zone_hosts(zone: str, region: str) -> None:
    assert region_of_zone(zone) == region
    assert power_endpoint(zone) == f"https://{region}.power-iaas.cloud.ibm.com"


def test_power_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBMCLOUD_POWER_API_ENDPOINT", "http://127.0.0.1:9/")
    override = Settings.from_environment().power_endpoint_override
    assert override == ("IBMCLOUD_POWER_API_ENDPOINT", "http://127.0.0.1:9/")
    assert power_endpoint("syd05", override=override[1]) == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("id_ed25519.pub", "id_ed25519"),
        ("/home/me/.ssh/work laptop.pub", "work laptop"),
        ("me@host.example.pub", "me-host-example"),
        ("...pub", "sshdeck-key"),
        ("a" * 200 + ".pub", "a" * 128),
    ],
)
def test_default_key_name(file: str, name: str) -> None:
    assert default_key_name(file) == name


def test_equivalent_command_quotes_safely() -> None:
    command = equivalent_command("crn:x::", "my key", 'ssh-rsa AAAA me "$HOME"', "d", "account")
    assert command.splitlines() == [
        "ibmcloud pi workspace target crn:x::",
        "ibmcloud pi ssh-key create 'my key' --key 'ssh-rsa AAAA me \"$HOME\"' "
        '--description "d" --visibility account',
    ]

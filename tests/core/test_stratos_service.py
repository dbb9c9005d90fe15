"""The cloud service: everything it needs comes from the Settings it is handed, not from
whatever the environment says when a request is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.cloud import CloudFixture
from tui.core import secrets
from tui.core.settings import Settings
from tui.core.upload.service import CloudService
from tui.core.upload.stratos import CloudAuthError, NoApiKey


def _settings(cloud: CloudFixture, home: Path, **extra: object) -> Settings:
    environ = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        **cloud.env(),
        "SSHDECK_HTTP_BACKOFF": "0.05",
        **{name: str(value) for name, value in extra.items()},
    }
    return Settings.from_environment(environ)


async def test_the_service_uses_its_settings_not_the_environment(
    cloud: CloudFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(cloud, tmp_path)
    # the process environment now points nowhere: a client that read it would fail
    for name in cloud.env():
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    service = CloudService(settings)
    async with service.client(cloud.api_key) as client:
        login = await service.log_in(client, cloud.api_key, "env")
        assert [ws.name for ws in login.workspaces] == ["prod-dallas"]
        assert login.chosen is not None and login.chosen.guid == cloud.ws.guid  # the only one
        keys = await client.list_keys(login.workspaces[0])
    assert keys == []
    assert service.session.logged_in and service.session.source == "env"
    assert service.session.workspaces == list(login.workspaces)


async def test_a_typed_key_is_stored_and_a_refused_one_logs_nobody_in(
    cloud: CloudFixture, tmp_path: Path
) -> None:
    service = CloudService(_settings(cloud, tmp_path))
    async with service.client("wrong-key") as client:
        with pytest.raises(CloudAuthError):
            await service.log_in(client, "wrong-key", "session")
    assert not service.session.logged_in
    assert secrets.get_secret(secrets.API_KEY_NAME) is None
    async with service.client(cloud.api_key) as client:
        login = await service.log_in(client, cloud.api_key, "session")
    assert login.source == "keyring" and login.warning is None
    assert secrets.get_secret(secrets.API_KEY_NAME) == cloud.api_key
    assert service.find_api_key() == (cloud.api_key, "keyring")
    assert service.forget_api_key() and not service.forget_api_key()
    with pytest.raises(NoApiKey, match="sshdeck cloud login"):
        service.find_api_key()


def test_the_api_key_of_the_settings_wins(cloud: CloudFixture, tmp_path: Path) -> None:
    service = CloudService(_settings(cloud, tmp_path, IBMCLOUD_API_KEY="from-settings"))
    assert service.find_api_key() == ("from-settings", "env")
    assert "from-settings" not in repr(service.settings)


async def test_the_chosen_workspace_goes_to_the_settings_config_file(
    cloud: CloudFixture, tmp_path: Path
) -> None:
    london = cloud.add_workspace("dev-london", "lon06")
    config = tmp_path / "elsewhere" / "sshdeck.json"
    service = CloudService(_settings(cloud, tmp_path, SSHDECK_CONFIG_FILE=config))
    async with service.client(cloud.api_key) as client:
        login = await service.log_in(client, cloud.api_key, "env")
        assert login.chosen is None  # two workspaces, none chosen yet
        ws = await service.workspace(client, "dev-london")
    assert ws.guid == london.guid
    assert service.chosen_workspace_id() == ws.crn
    assert config.is_file() and ws.crn in config.read_text()
    assert not (tmp_path / ".config" / "sshdeck" / "cloud.json").exists()


def test_private_endpoints_from_the_settings(cloud: CloudFixture, tmp_path: Path) -> None:
    settings = Settings.from_environment(
        {"HOME": str(tmp_path), "SSHDECK_CLOUD_PRIVATE": "1", **cloud.env()}
    )
    client = CloudService(settings).client("k")
    assert client.private is True
    assert CloudService(settings).client("k", private=False).private is False


def test_the_upload_key_is_read_with_its_problems(tmp_path: Path) -> None:
    service = CloudService(Settings.from_environment({"HOME": str(tmp_path)}))
    missing = service.read_upload_key(tmp_path / "nothing.pub")
    assert missing.public is None and missing.error and "cannot be read" in missing.error
    junk = tmp_path / "junk.pub"
    junk.write_text("not a key\n")
    read = service.read_upload_key(junk)
    assert read.public is None and read.error and "\n" not in read.error


def test_no_environment_read_in_the_upload_wing() -> None:
    """Settings reads the environment, in one place; the upload wing and its CLI only get it."""
    import tui.cli
    import tui.core.upload

    sources = [
        *Path(tui.core.upload.__file__).parent.glob("*.py"),
        *Path(tui.cli.__file__).parent.glob("cloud*.py"),
        Path(tui.cli.__file__).parent / "copy_id.py",
    ]
    assert len(sources) > 10
    for source in sources:
        text = source.read_text()
        for needle in ("os.environ", "getenv(", "/proc/self/environ"):
            assert needle not in text, f"{source.name} reads the environment ({needle})"

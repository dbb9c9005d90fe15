"""Shared fixtures. Every test runs with HOME, XDG dirs, the keyring and the agent socket
pointed at its own temporary directory: nothing here may touch the developer's real ~/.ssh,
keyring or ssh-agent, nor any address off this machine.

Fixture families live in ``tests/fixtures/*`` (one module per owner) and are registered as
plugins in ``pytest_plugins`` below: a new module needs one line there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# One module per fixture family; each test finds these fixtures by name (pytest's plugin
# mechanism), without importing them. tests/test_fixture_plugins.py checks the list is complete.
pytest_plugins = [
    "tests.fixtures.sshd",  # first: the server families below import it
    "tests.fixtures.agent",
    "tests.fixtures.cloud",
    "tests.fixtures.diagnosis_servers",
    "tests.fixtures.engine_servers",
    "tests.fixtures.hosts",
    "tests.fixtures.listeners",
    "tests.fixtures.matrix",
]

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.delenv("SSH_AGENT_PID", raising=False)
    for var in (
        "IBMCLOUD_API_KEY",
        "IBMCLOUD_IAM_API_ENDPOINT",
        "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT",
        "IBMCLOUD_POWER_API_ENDPOINT",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.TestKeyring")
    monkeypatch.setenv("SSHDECK_TEST_KEYRING", str(tmp_path / "keyring.json"))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    )
    import keyring

    from tests.keyring_backend import TestKeyring

    keyring.set_keyring(TestKeyring())
    return home


@pytest.fixture
def ssh_dir(isolated_home: Path) -> Path:
    path = isolated_home / ".ssh"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``sshdeck`` as a real process (``python -m tui``) with the test's environment."""

    def run(
        *args: str, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui", *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO_ROOT,
        )

    return run


def ssh_keygen(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The oracle: OpenSSH's own ssh-keygen."""
    return subprocess.run(
        ["ssh-keygen", *args], input=input or "", capture_output=True, text=True, timeout=120
    )

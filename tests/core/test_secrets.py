"""Keyring access: an in-memory backend stores by fingerprint; fail/null/plaintext count as none."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend

from tests.keyfactory import keygen
from tui.core import secrets


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("absent")


class PlaintextKeyring(MemoryKeyring):
    """Looks like keyrings.alt's plaintext file keyring: must count as "no keyring"."""


def test_in_memory_backend_keyed_by_fingerprint() -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    assert secrets.keyring_status().available
    assert secrets.get_passphrase("SHA256:abc") is None
    assert secrets.store_passphrase("SHA256:abc", "words")
    assert memory.store == {("sshdeck", "SHA256:abc"): "words"}
    assert secrets.get_passphrase("SHA256:abc") == "words"
    assert secrets.forget_passphrase("SHA256:abc")
    assert not secrets.forget_passphrase("SHA256:abc")
    assert memory.store == {}


@pytest.mark.parametrize(
    "backend",
    [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(), PlaintextKeyring()],
    ids=["fail", "null", "plaintext"],
)
def test_insecure_backends_are_no_keyring(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    status = secrets.keyring_status()
    assert not status.available and status.reason and status.reason.endswith("stored.")
    assert not secrets.store_passphrase("SHA256:abc", "words")
    assert secrets.get_passphrase("SHA256:abc") is None
    if isinstance(backend, PlaintextKeyring):
        assert backend.store == {}


def test_cli_goes_on_without_a_keyring(
    ssh_dir: Path, ssh_agent, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    key = keygen(ssh_dir / "id_ed25519", "ed25519", passphrase="pw")
    done = run_cli("agent", "add", "-f", str(key), "-P", "pw", "--remember", "--json")
    assert done.returncode == 0, done.stderr
    assert "No secure system keyring" in done.stderr
    assert '"remembered": false' in done.stdout
    assert len(ssh_agent.fingerprints()) == 1


def test_cli_remembers_when_asked(ssh_dir: Path, ssh_agent, run_cli) -> None:  # type: ignore[no-untyped-def]
    key = keygen(ssh_dir / "id_ed25519", "ed25519", passphrase="pw")
    done = run_cli("agent", "add", "-f", str(key), "--passphrase-stdin", input="pw\n")
    assert done.returncode == 0, done.stderr
    fingerprint = ssh_agent.fingerprints()[0]
    assert secrets.get_passphrase(fingerprint) is None  # not asked: not stored
    done = run_cli("agent", "add", "-f", str(key), "-P", "pw", "--remember")
    assert done.returncode == 0, done.stderr
    assert secrets.get_passphrase(fingerprint) == "pw"

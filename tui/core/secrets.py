"""Secrets at rest: the OS keyring through ``keyring``, or nothing.

Only a real OS keyring counts. The ``fail`` and ``null`` backends and the plaintext/obfuscated
file keyrings of ``keyrings.alt`` would store secrets in the clear (or not at all) while
appearing to work, so they are reported as "no keyring" and nothing is stored.

Passphrases are stored under service ``sshdeck``, keyed by the key's SHA256 fingerprint; other
secrets (the cloud API key) under a name of their own in the same service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SERVICE = "sshdeck"
API_KEY_NAME = "ibmcloud-api-key"
_INSECURE_MODULE_PREFIXES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")
_INSECURE_NAMES = ("PlaintextKeyring", "EncryptedKeyring", "Windows.RegistryKeyring")


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    backend: str
    reason: str | None = None  # why there is no usable keyring, as one sentence


def _backend() -> Any:
    import keyring

    return keyring.get_keyring()


def _is_insecure(backend: Any) -> bool:
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        backends = backend.backends
        # a chain writes to its first backend that accepts: an insecure one anywhere in it may
        # end up holding the secret (first by priority, or after a secure one declines)
        return not backends or any(_is_insecure(b) for b in backends)
    cls = type(backend)
    return cls.__module__.startswith(_INSECURE_MODULE_PREFIXES) or cls.__name__ in _INSECURE_NAMES


def keyring_status() -> KeyringStatus:
    try:
        backend = _backend()
    except Exception:
        return KeyringStatus(
            False, "none", "No system keyring is available here, so nothing will be stored."
        )
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if _is_insecure(backend):
        return KeyringStatus(
            False,
            name,
            "No secure system keyring is available here (only a plaintext or dummy one), so nothing will be stored.",
        )
    return KeyringStatus(True, name)


def get_secret(name: str) -> str | None:
    """The stored secret, or None when absent or when there is no usable keyring."""
    if not keyring_status().available:
        return None
    try:
        value: str | None = _backend().get_password(SERVICE, name)
        return value
    except Exception:
        return None


def store_secret(name: str, value: str) -> bool:
    """Store a secret; False (and nothing stored) when no secure keyring exists or it refused."""
    if not keyring_status().available:
        return False
    try:
        _backend().set_password(SERVICE, name, value)
    except Exception:
        return False
    return True


def delete_secret(name: str) -> bool:
    """Forget a secret; False when there was nothing to forget."""
    if not keyring_status().available:
        return False
    try:
        _backend().delete_password(SERVICE, name)
    except Exception:
        return False
    return True


def get_passphrase(sha256: str) -> str | None:
    return get_secret(sha256)


def store_passphrase(sha256: str, passphrase: str) -> bool:
    return store_secret(sha256, passphrase)


def forget_passphrase(sha256: str) -> bool:
    return delete_secret(sha256)

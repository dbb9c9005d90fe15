"""Private keys: tell their format and whether they are encrypted, open them, convert them.

OpenSSH-format keys are handled by :mod:`tui.core.keys.openssh_format` (their public half is in the
clear, so no passphrase is needed to list them); PEM / PKCS#8 keys go through cryptography,
imported only when such a key is met.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.errors import KeyFormatError, PassphraseRequired, UnsupportedKeyError, WrongPassphrase
from tui.core.keys import openssh_format, wire
from tui.core.keys.public import PublicKey, public_key_from_blob, read_bytes

PEM_LABELS = {
    "-----BEGIN RSA PRIVATE KEY-----": "pkcs1",
    "-----BEGIN EC PRIVATE KEY-----": "sec1",
    "-----BEGIN DSA PRIVATE KEY-----": "pem-dsa",
    "-----BEGIN PRIVATE KEY-----": "pkcs8",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----": "pkcs8",
}
WRONG_PASSPHRASE = "The passphrase is wrong; try again (it is case-sensitive)."


@dataclass(frozen=True)
class PrivateKeyInfo:
    """What can be known about a private key file without its passphrase."""

    format: str  # "openssh", "pkcs1", "sec1", "pem-dsa", "pkcs8"
    encrypted: bool
    public: PublicKey | None  # None for an encrypted PEM key
    rounds: int | None = None
    cipher: str | None = None


@dataclass(frozen=True)
class OpenedKey:
    """A decrypted private key, ready to be rewritten in OpenSSH format."""

    public: PublicKey  # carries the private key's own comment
    entry: openssh_format.PrivateEntry
    info: PrivateKeyInfo

    @property
    def comment(self) -> str:
        return self.entry.comment


def looks_private(text: str) -> bool:
    """Does this text start like a private key file (as ssh-keygen -l decides it)?"""
    first = text.lstrip().split("\n", 1)[0]
    return "PRIVATE KEY" in first


def _pem_format(text: str) -> str:
    first = text.strip().split("\n", 1)[0].strip()
    if first == openssh_format.BEGIN:
        return "openssh"
    if first in PEM_LABELS:
        return PEM_LABELS[first]
    if "PRIVATE KEY" in first:
        raise UnsupportedKeyError(
            "This private key format is not one sshdeck reads (OpenSSH, PEM or PKCS#8)."
        )
    raise KeyFormatError(
        "This is not a private key file (no BEGIN ... PRIVATE KEY line at the top); "
        "give the private key, not its .pub or another file."
    )


def _pem_encrypted(text: str, fmt: str) -> bool:
    return "ENCRYPTED PRIVATE KEY" in text.split("\n", 1)[0] or (
        fmt != "pkcs8" and "Proc-Type: 4,ENCRYPTED" in text
    )


def _check_pem_armor(text: str) -> None:
    lines = [ln.strip() for ln in text.strip().splitlines()]
    end_line = lines[0].replace("BEGIN", "END")
    if end_line not in lines:
        raise KeyFormatError(
            "The private key is cut short (no END line); copy the whole file again."
        )
    if any(lines[lines.index(end_line) + 1 :]):
        raise KeyFormatError("There is extra text after the private key's END line; remove it.")


def _load_pem(text: str, passphrase: str | None) -> Any:
    from cryptography.hazmat.primitives import serialization

    if passphrase == "" and _pem_encrypted(text, _pem_format(text)):
        # a passphrase of length zero, as ssh-keygen treats it: it never opens an encrypted key
        raise WrongPassphrase(WRONG_PASSPHRASE)
    try:
        return serialization.load_pem_private_key(
            text.encode(),
            None if passphrase is None else passphrase.encode(),
            unsafe_skip_rsa_key_validation=True,
        )
    except TypeError:
        if passphrase is None:
            raise PassphraseRequired(
                "The key is protected by a passphrase; give it to continue."
            ) from None
        raise KeyFormatError(
            "The key is not encrypted, but a passphrase was given; leave it out."
        ) from None
    except ValueError:
        if _pem_encrypted(text, _pem_format(text)) and passphrase is not None:
            raise WrongPassphrase(WRONG_PASSPHRASE) from None
        raise KeyFormatError(
            "The private key data is damaged or truncated; restore it from a backup."
        ) from None
    except Exception:  # cryptography raises UnsupportedAlgorithm for odd curves and ciphers
        raise UnsupportedKeyError(
            "This private key uses an algorithm sshdeck cannot read."
        ) from None


def entry_from_crypto(key: Any, comment: str = "") -> tuple[bytes, openssh_format.PrivateEntry]:
    """Public blob and OpenSSH private fields of a cryptography private key object."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    if isinstance(key, ed25519.Ed25519PrivateKey):
        pk = key.public_key().public_bytes_raw()
        fields = wire.string(pk) + wire.string(key.private_bytes_raw() + pk)
        return wire.string("ssh-ed25519") + wire.string(pk), openssh_format.PrivateEntry(
            "ssh-ed25519", fields, comment
        )
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        pub = n.public_numbers
        fields = b"".join(wire.mpint(v) for v in (pub.n, pub.e, n.d, n.iqmp, n.p, n.q))
        return wire.string("ssh-rsa") + wire.mpint(pub.e) + wire.mpint(
            pub.n
        ), openssh_format.PrivateEntry("ssh-rsa", fields, comment)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        curve = {"secp256r1": "nistp256", "secp384r1": "nistp384", "secp521r1": "nistp521"}.get(
            key.curve.name
        )
        if curve is None:
            raise UnsupportedKeyError(
                f"SSH cannot use keys on the {key.curve.name} curve; make an ed25519 key instead."
            )
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        key_type = f"ecdsa-sha2-{curve}"
        fields = (
            wire.string(curve)
            + wire.string(point)
            + wire.mpint(key.private_numbers().private_value)
        )
        return wire.string(key_type) + wire.string(curve) + wire.string(
            point
        ), openssh_format.PrivateEntry(key_type, fields, comment)
    if isinstance(key, dsa.DSAPrivateKey):
        dn = key.private_numbers()
        p = dn.public_numbers.parameter_numbers
        y = dn.public_numbers.y
        fields = b"".join(wire.mpint(v) for v in (p.p, p.q, p.g, y, dn.x))
        public = wire.string("ssh-dss") + b"".join(wire.mpint(v) for v in (p.p, p.q, p.g, y))
        return public, openssh_format.PrivateEntry("ssh-dss", fields, comment)
    raise UnsupportedKeyError(
        "SSH cannot use this kind of private key; make an ed25519 key instead."
    )


def inspect_private_key(text: str) -> PrivateKeyInfo:
    """Format, encryption and (when knowable without a passphrase) the public key."""
    fmt = _pem_format(text)
    if fmt == "openssh":
        container = openssh_format.parse_container(openssh_format.unarmor(text))
        public = public_key_from_blob(container.public_blobs[0])
        return PrivateKeyInfo(
            "openssh",
            container.encrypted,
            public,
            container.rounds,
            container.cipher if container.encrypted else None,
        )
    _check_pem_armor(text)
    if _pem_encrypted(text, fmt):
        return PrivateKeyInfo(fmt, True, None)
    key = _load_pem(text, None)
    blob, _entry = entry_from_crypto(key)
    return PrivateKeyInfo(fmt, False, public_key_from_blob(blob))


def open_private_key(text: str, passphrase: str | None) -> OpenedKey:
    """Decrypt (when needed) and return the key with its comment; typed errors otherwise.

    A passphrase given for an unencrypted key is ignored, as ssh-keygen does.
    """
    info = inspect_private_key(text)
    if info.format == "openssh":
        container = openssh_format.parse_container(openssh_format.unarmor(text))
        entry = openssh_format.decrypt(container, passphrase if info.encrypted else None)
        public = public_key_from_blob(container.public_blobs[0], comment=entry.comment)
        return OpenedKey(public, entry, info)
    key = _load_pem(text, passphrase if info.encrypted else None)
    blob, entry = entry_from_crypto(key)
    return OpenedKey(public_key_from_blob(blob), entry, info)


def read_private_key_text(path: Path) -> str:
    data = read_bytes(path)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFormatError(f"{path} is not a text key file; check the file name.") from None
    if not text.strip():
        raise KeyFormatError(f"{path} is empty; it holds no key.")
    return text


def open_private_key_file(path: Path, passphrase: str | None) -> OpenedKey:
    text = read_private_key_text(path)
    try:
        return open_private_key(text, passphrase)
    except (KeyFormatError, UnsupportedKeyError) as exc:
        raise type(exc)(f"{path}: {exc}") from None

"""The ``openssh-key-v1`` private key container, read and written by hand.

cryptography can load and save this format but drops the comment, and re-encoding a key through
it would lose fields of types it does not know (security keys). Working on the container keeps
the key material byte for byte when only the passphrase or comment changes.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field

from tui.core.errors import KeyFormatError, PassphraseRequired, UnsupportedKeyError, WrongPassphrase
from tui.core.keys import wire

MAGIC = b"openssh-key-v1\x00"
BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"
END = "-----END OPENSSH PRIVATE KEY-----"
DEFAULT_CIPHER = "aes256-ctr"
DEFAULT_ROUNDS = 16
#: bcrypt rounds above this are refused (ssh-keygen -a 1000 takes about a minute already)
MAX_ROUNDS = 100_000
# cipher name -> (key length, iv length, block size, mode)
CIPHERS = {
    "aes128-ctr": (16, 16, 16, "ctr"),
    "aes192-ctr": (24, 16, 16, "ctr"),
    "aes256-ctr": (32, 16, 16, "ctr"),
    "aes128-cbc": (16, 16, 16, "cbc"),
    "aes192-cbc": (24, 16, 16, "cbc"),
    "aes256-cbc": (32, 16, 16, "cbc"),
    "aes128-gcm@openssh.com": (16, 12, 16, "gcm"),
    "aes256-gcm@openssh.com": (32, 12, 16, "gcm"),
    # read only (ssh-keygen -Z writes them; sshdeck rewrites such keys with aes256-ctr)
    "chacha20-poly1305@openssh.com": (64, 0, 8, "chacha"),
    "3des-cbc": (24, 8, 8, "3des"),
}
WRITABLE_CIPHERS = tuple(name for name, spec in CIPHERS.items() if spec[3] in ("ctr", "cbc", "gcm"))


@dataclass(frozen=True)
class Container:
    """The clear parts of an OpenSSH private key file."""

    cipher: str
    kdf: str
    kdf_options: bytes
    public_blobs: tuple[bytes, ...]
    private_blob: bytes = field(repr=False)  # the private key itself when not encrypted
    tag: bytes = b""

    @property
    def encrypted(self) -> bool:
        return self.cipher != "none"

    @property
    def rounds(self) -> int | None:
        if self.kdf != "bcrypt":
            return None
        reader = wire.WireReader(self.kdf_options)
        reader.string()
        return reader.uint32()


@dataclass(frozen=True)
class PrivateEntry:
    """One decrypted key: its type, its private fields as stored, and its comment."""

    key_type: str
    # the wire-encoded private fields that follow the type string: the secret, kept out of repr
    fields: bytes = field(repr=False)
    comment: str


def unarmor(text: str) -> bytes:
    """The binary inside BEGIN/END OPENSSH PRIVATE KEY lines."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    if not lines or lines[0] != BEGIN:
        raise KeyFormatError("The file does not start with the OpenSSH private key header.")
    if END not in lines:
        raise KeyFormatError(
            "The private key is cut short (no END line); copy the whole file again."
        )
    end = lines.index(END)
    if any(lines[end + 1 :]):
        raise KeyFormatError("There is extra text after the private key's END line; remove it.")
    try:
        return base64.b64decode("".join(lines[1:end]), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(
            "The private key's base64 data is damaged; restore the file from a backup."
        ) from None


def armor(data: bytes) -> str:
    body = base64.b64encode(data).decode()
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def parse_container(data: bytes) -> Container:
    if not data.startswith(MAGIC):
        raise KeyFormatError(
            "The private key data does not start with the OpenSSH magic; the file is damaged."
        )
    reader = wire.WireReader(data, len(MAGIC))
    cipher = reader.text()
    kdf = reader.text()
    kdf_options = reader.string()
    count = reader.uint32()
    if count != 1:
        raise KeyFormatError(f"The file holds {count} keys; sshdeck expects exactly one per file.")
    public = tuple(reader.string() for _ in range(count))
    private = reader.string()
    tag = reader.rest()
    # An unknown cipher or KDF only matters to decrypt(): the public half is readable anyway.
    return Container(cipher, kdf, kdf_options, public, private, tag)


def _check_openable(container: Container) -> None:
    if container.cipher not in CIPHERS:
        raise UnsupportedKeyError(
            f"The key is encrypted with {container.cipher}, which sshdeck cannot open; "
            "use ssh-keygen -p to re-encrypt it."
        )
    if container.kdf != "bcrypt":
        raise UnsupportedKeyError(
            f"The key uses the {container.kdf} KDF, which sshdeck cannot open."
        )


def _chacha20_poly1305_open(key: bytes, blob: bytes, tag: bytes) -> bytes:
    """OpenSSH's chacha20-poly1305 with sequence number 0, no additional data (cipher-chachapoly.c).

    The 64-bit counter and 64-bit nonce of the original ChaCha20 map to cryptography's 16-byte
    nonce as counter (little-endian) then nonce.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
    from cryptography.hazmat.primitives.poly1305 import Poly1305

    main_key = key[:32]
    seq = (0).to_bytes(8, "big")
    poly_key = (
        Cipher(algorithms.ChaCha20(main_key, (0).to_bytes(8, "little") + seq), None)
        .encryptor()
        .update(bytes(32))
    )
    try:
        Poly1305.verify_tag(poly_key, blob, tag)
    except InvalidSignature:
        raise WrongPassphrase(
            "The passphrase is wrong; try again (it is case-sensitive)."
        ) from None
    decryptor = Cipher(algorithms.ChaCha20(main_key, (1).to_bytes(8, "little") + seq), None)
    return decryptor.decryptor().update(blob)


def _derive(passphrase: str, kdf_options: bytes, key_len: int, iv_len: int) -> tuple[bytes, bytes]:
    import bcrypt

    reader = wire.WireReader(kdf_options)
    salt = reader.string()
    rounds = reader.uint32()
    if not salt or rounds < 1 or not reader.at_end:
        raise KeyFormatError(
            "The key's bcrypt settings are damaged (empty salt or zero rounds); "
            "restore the file from a backup."
        )
    if rounds > MAX_ROUNDS:
        raise KeyFormatError(
            f"The key asks for {rounds} bcrypt rounds, more than the {MAX_ROUNDS} sshdeck runs; "
            "the file is damaged or hostile."
        )
    if not passphrase:
        # As OpenSSH (private2_decrypt): an empty passphrase never opens an encrypted key.
        raise WrongPassphrase("The passphrase is wrong; try again (it is case-sensitive).")
    material = bcrypt.kdf(
        passphrase.encode(), salt, key_len + iv_len, rounds, ignore_few_rounds=True
    )
    return material[:key_len], material[key_len:]


def _cipher(name: str, key: bytes, iv: bytes, tag: bytes | None = None):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    mode_name = CIPHERS[name][3]
    if mode_name == "3des":
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

        return Cipher(TripleDES(key), modes.CBC(iv))
    mode = {"ctr": modes.CTR, "cbc": modes.CBC}.get(mode_name)
    if mode is not None:
        return Cipher(algorithms.AES(key), mode(iv))
    return Cipher(algorithms.AES(key), modes.GCM(iv, tag))


def _parse_private_fields(reader: wire.WireReader, key_type: str) -> None:
    """Skip the private fields of ``key_type`` so that the comment can be read after them."""
    if key_type == "ssh-ed25519":
        reader.string()
        reader.string()
    elif key_type == "ssh-rsa":
        for _ in range(6):
            reader.mpint()
    elif key_type == "ssh-dss":
        for _ in range(5):
            reader.mpint()
    elif key_type.startswith("ecdsa-sha2-"):
        reader.string()
        reader.string()
        reader.mpint()
    elif key_type == "sk-ssh-ed25519@openssh.com":
        reader.string()
        reader.string()
        reader.uint8()
        reader.string()
        reader.string()
    elif key_type == "sk-ecdsa-sha2-nistp256@openssh.com":
        reader.string()
        reader.string()
        reader.string()
        reader.uint8()
        reader.string()
        reader.string()
    else:
        raise UnsupportedKeyError(f"sshdeck cannot rewrite private keys of type {key_type}.")


def decrypt(container: Container, passphrase: str | None) -> PrivateEntry:
    """Open the private section; a wrong passphrase is WrongPassphrase (checkints differ)."""
    blob = container.private_blob
    if container.encrypted:
        if passphrase is None:
            raise PassphraseRequired("The key is protected by a passphrase; give it to continue.")
        _check_openable(container)
        key_len, iv_len, _block, mode = CIPHERS[container.cipher]
        key, iv = _derive(passphrase, container.kdf_options, key_len, iv_len)
        if mode == "chacha":
            if len(container.tag) < 16 or len(blob) % 8:
                raise KeyFormatError(
                    "The encrypted key is cut short; restore the file from a backup."
                )
            blob = _chacha20_poly1305_open(key, blob, container.tag[:16])
        elif mode == "gcm":
            if len(container.tag) < 16:
                raise KeyFormatError(
                    "The encrypted key is cut short; restore the file from a backup."
                )
            decryptor = _cipher(container.cipher, key, iv, container.tag[:16]).decryptor()
            try:
                blob = decryptor.update(blob) + decryptor.finalize()
            except Exception:
                raise WrongPassphrase(
                    "The passphrase is wrong; try again (it is case-sensitive)."
                ) from None
        else:
            if len(blob) % CIPHERS[container.cipher][2]:
                raise KeyFormatError(
                    "The encrypted key is cut short; restore the file from a backup."
                )
            decryptor = _cipher(container.cipher, key, iv).decryptor()
            blob = decryptor.update(blob) + decryptor.finalize()
    reader = wire.WireReader(blob)
    check1, check2 = reader.uint32(), reader.uint32()
    if check1 != check2:
        if container.encrypted:
            raise WrongPassphrase("The passphrase is wrong; try again (it is case-sensitive).")
        raise KeyFormatError("The private key's check bytes differ; the file is damaged.")
    key_type = reader.text()
    start = reader.pos
    _parse_private_fields(reader, key_type)
    fields = blob[start : reader.pos]
    comment = reader.string().decode("utf-8", errors="replace")
    return PrivateEntry(key_type, fields, comment)


def build(
    public_blob: bytes,
    entry: PrivateEntry,
    passphrase: str | None = None,
    rounds: int = DEFAULT_ROUNDS,
    cipher: str = DEFAULT_CIPHER,
) -> str:
    """A complete armored private key file, encrypted when a non-empty passphrase is given."""
    check = os.urandom(4)
    section = (
        check
        + check
        + wire.string(entry.key_type)
        + entry.fields
        + wire.string(entry.comment.encode())
    )
    if passphrase:
        key_len, iv_len, block, _mode = CIPHERS[cipher]
        salt = os.urandom(16)
        kdf_options = wire.string(salt) + wire.uint32(rounds)
    else:
        cipher, block, kdf_options = "none", 8, b""
    section += bytes(range(1, 1 + (-len(section) % block)))
    tag = b""
    if passphrase:
        key, iv = _derive(passphrase, kdf_options, key_len, iv_len)
        encryptor = _cipher(cipher, key, iv).encryptor()
        section = encryptor.update(section) + encryptor.finalize()
        if CIPHERS[cipher][3] == "gcm":
            tag = encryptor.tag
    data = (
        MAGIC
        + wire.string(cipher)
        + wire.string("bcrypt" if passphrase else "none")
        + wire.string(kdf_options)
        + wire.uint32(1)
        + wire.string(public_blob)
        + wire.string(section)
        + tag
    )
    return armor(data)

"""Public keys: parse every form people paste or keep on disk, and describe them as OpenSSH does.

Parsing is pure Python over the wire format (no cryptography import) so that listing a
directory of a thousand keys or fingerprinting one file starts fast. Only PEM public keys need
``cryptography``, and it is imported on demand; a certificate's CA signature is checked by
``certificate_signature``.

Over 400 lines on purpose: every form a public key comes in (an OpenSSH line with
authorized_keys options, RFC 4716, PEM, certificates, files of many keys) is parsed here into
the one :class:`PublicKey`, with one set of refusals; split by form, each parser would need the
others' helpers (options, base64, wire checks) back.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from tui.core.errors import KeyFileError, KeyFormatError
from tui.core.keys import wire
from tui.core.keys.certificate_signature import verify_certificate
from tui.core.keys.fingerprint import digest, format_fingerprint, randomart

CERT_SUFFIX = "-cert-v01@openssh.com"
ECDSA_CURVES = {"nistp256": 256, "nistp384": 384, "nistp521": 521}
PLAIN_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "ssh-dss",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
CERT_TYPES = tuple(
    t.replace("@openssh.com", "") + CERT_SUFFIX if "@" in t else t + CERT_SUFFIX
    for t in PLAIN_TYPES
)
KEY_TYPES = PLAIN_TYPES + CERT_TYPES
_LABELS = {
    "ssh-ed25519": "ED25519",
    "ssh-rsa": "RSA",
    "ssh-dss": "DSA",
    "sk-ssh-ed25519@openssh.com": "ED25519-SK",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA-SK",
}
MAX_FILE_SIZE = 1 << 20  # keys are small; anything bigger is not a key file


def plain_type_of(key_type: str) -> str:
    """``ssh-ed25519-cert-v01@openssh.com`` -> ``ssh-ed25519``; plain types unchanged."""
    if key_type in CERT_TYPES:
        return PLAIN_TYPES[CERT_TYPES.index(key_type)]
    return key_type


def type_label(key_type: str) -> str:
    """The name ssh-keygen shows in brackets: RSA, ECDSA, ED25519-SK, RSA-CERT..."""
    plain = plain_type_of(key_type)
    label = _LABELS.get(plain, "ECDSA" if plain.startswith("ecdsa-") else plain.upper())
    return label + "-CERT" if key_type in CERT_TYPES else label


@dataclass(frozen=True)
class CertificateInfo:
    """The parts of an OpenSSH certificate a person checks."""

    serial: int
    cert_type: str  # "user" or "host"
    key_id: str
    principals: tuple[str, ...]
    valid_after: int
    valid_before: int
    signing_key_sha256: str


# NIST curves y^2 = x^3 - 3x + b over GF(p): (p, b, order)
_NIST = {
    "nistp256": (
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    "nistp384": (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
    ),
    "nistp521": (
        2**521 - 1,
        0x0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
        0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409,
    ),
}


def _valid_ec_point(curve: str, point: bytes) -> bool:
    """What OpenSSH's sshkey_ec_validate_public() accepts: an uncompressed point on the curve,
    coordinates below p and each longer than half the order's bits (cofactor 1: on the curve
    means in the group)."""
    p, b, order = _NIST[curve]
    size = (p.bit_length() + 7) // 8
    if len(point) != 1 + 2 * size or point[0] != 4:
        return False
    x = int.from_bytes(point[1 : 1 + size], "big")
    y = int.from_bytes(point[1 + size :], "big")
    if x >= p or y >= p:
        return False
    half = order.bit_length() // 2
    if x.bit_length() <= half or y.bit_length() <= half:
        return False
    return (y * y - (x * x * x - 3 * x + b)) % p == 0


def _read_plain_fields(reader: wire.WireReader, plain_type: str) -> int:
    """Consume the public fields of ``plain_type``; return the key size in bits."""
    if plain_type == "ssh-rsa":
        exponent = reader.mpint()
        modulus = reader.mpint()
        if exponent <= 0 or modulus <= 0:
            raise KeyFormatError("The RSA key data is damaged; copy the key again from its source.")
        return modulus.bit_length()
    if plain_type == "ssh-dss":
        p = reader.mpint()
        for _ in range(3):
            reader.mpint()
        return p.bit_length()
    if plain_type in ("ssh-ed25519", "sk-ssh-ed25519@openssh.com"):
        if len(reader.string()) != 32:
            raise KeyFormatError("The ed25519 key data has the wrong length; the key is damaged.")
        if plain_type.startswith("sk-"):
            reader.string()  # application
        return 256
    if plain_type.startswith(("ecdsa-sha2-", "sk-ecdsa-sha2-")):
        curve = reader.text()
        if curve not in ECDSA_CURVES or curve not in plain_type:
            raise KeyFormatError(
                "The ECDSA key names a curve that does not match its type; the key is damaged."
            )
        point = reader.string()
        if not _valid_ec_point(curve, point):
            raise KeyFormatError(
                "The ECDSA key point is damaged; copy the key again from its source."
            )
        if plain_type.startswith("sk-"):
            reader.string()  # application
        return ECDSA_CURVES[curve]
    raise KeyFormatError(
        f"Unknown key type {plain_type!r}; sshdeck reads ed25519, ECDSA, RSA, DSA and security keys."
    )


@dataclass(frozen=True)
class PublicKey:
    """One public key (or certificate) with what OpenSSH shows about it."""

    key_type: str
    blob: bytes
    comment: str = ""
    options: str | None = None

    def __post_init__(self) -> None:
        self._parsed  # noqa: B018  (validates the blob at construction)

    @cached_property
    def _parsed(self) -> tuple[bytes, int, CertificateInfo | None]:
        reader = wire.WireReader(self.blob)
        blob_type = reader.text()
        if blob_type != self.key_type:
            raise KeyFormatError(
                f"The key says it is {self.key_type} but its data is {blob_type[:40]!r}; the key is damaged."
            )
        if blob_type not in KEY_TYPES:
            raise KeyFormatError(
                f"Unknown key type {blob_type[:40]!r}; sshdeck reads ed25519, ECDSA, RSA, DSA and security keys."
            )
        plain = plain_type_of(blob_type)
        cert: CertificateInfo | None = None
        if blob_type in CERT_TYPES:
            reader.string()  # nonce
            start = reader.pos
            bits = _read_plain_fields(reader, plain)
            plain_blob = wire.string(plain) + self.blob[start : reader.pos]
            serial = reader.uint64()
            kind = reader.uint32()
            key_id = reader.text()
            principals_reader = wire.WireReader(reader.string())
            principals = []
            while not principals_reader.at_end:
                principals.append(principals_reader.text())
            valid_after = reader.uint64()
            valid_before = reader.uint64()
            reader.string()  # critical options
            reader.string()  # extensions
            reader.string()  # reserved
            signing_key = reader.string()
            signed_end = reader.pos
            signature = reader.string()
            verify_certificate(signing_key, self.blob[:signed_end], signature)
            cert = CertificateInfo(
                serial=serial,
                cert_type={1: "user", 2: "host"}.get(kind, str(kind)),
                key_id=key_id,
                principals=tuple(principals),
                valid_after=valid_after,
                valid_before=valid_before,
                signing_key_sha256=format_fingerprint(digest(signing_key)),
            )
        else:
            bits = _read_plain_fields(reader, plain)
            plain_blob = self.blob
        if not reader.at_end:
            raise KeyFormatError(
                "The key data has unexpected bytes at its end; the key is damaged."
            )
        return plain_blob, bits, cert

    @property
    def plain_blob(self) -> bytes:
        """The blob fingerprints are taken over: for a certificate, the key it certifies."""
        return self._parsed[0]

    @property
    def bits(self) -> int:
        return self._parsed[1]

    @property
    def certificate(self) -> CertificateInfo | None:
        return self._parsed[2]

    @property
    def is_certificate(self) -> bool:
        return self.key_type in CERT_TYPES

    @property
    def plain_type(self) -> str:
        return plain_type_of(self.key_type)

    @property
    def label(self) -> str:
        return type_label(self.key_type)

    def fingerprint(self, hash_name: str = "sha256") -> str:
        return format_fingerprint(digest(self.plain_blob, hash_name), hash_name)

    @cached_property
    def sha256(self) -> str:
        return self.fingerprint("sha256")

    @cached_property
    def md5(self) -> str:
        return self.fingerprint("md5")

    def randomart(self, hash_name: str = "sha256") -> str:
        return randomart(digest(self.plain_blob, hash_name), self.label, self.bits, hash_name)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.blob).decode()

    def line(self, with_comment: bool = True) -> str:
        """The OpenSSH one-line form, ``type base64 [comment]`` (no options)."""
        text = f"{self.key_type} {self.base64}"
        return f"{text} {self.comment}" if with_comment and self.comment else text

    def keygen_line(self, hash_name: str = "sha256", comment: str | None = None) -> str:
        """The line ``ssh-keygen -l`` prints: ``BITS FINGERPRINT COMMENT (TYPE)``."""
        shown = self.comment if comment is None else comment
        return f"{self.bits} {self.fingerprint(hash_name)} {shown or 'no comment'} ({self.label})"

    def same_key(self, other: PublicKey) -> bool:
        return self.blob == other.blob


def public_key_from_blob(blob: bytes, comment: str = "", options: str | None = None) -> PublicKey:
    key_type = wire.WireReader(blob).text()
    return PublicKey(key_type=key_type, blob=blob, comment=comment, options=options)


_B64_TOKEN = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _decode_b64(token: str) -> bytes:
    if not _B64_TOKEN.fullmatch(token):
        raise KeyFormatError(
            "The key's base64 data contains characters that do not belong there; copy the key again."
        )
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(
            "The key's base64 data is cut short or damaged; copy the whole key again."
        ) from None


def _split_options(line: str) -> tuple[str, str]:
    """Split an authorized_keys/known_hosts prefix (quote-aware) from the rest of the line."""
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and line[i + 1 : i + 2] == '"':
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return line[:i], line[i:].lstrip(" \t")
        i += 1
    return line, ""


def _parse_key_tokens(text: str) -> tuple[PublicKey, str]:
    """Parse ``type base64`` at the start of ``text``; return the key and the rest of the line."""
    parts = text.split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise KeyFormatError(
            "This is not an OpenSSH public key line (it should start with a type such as ssh-ed25519)."
        )
    key = PublicKey(key_type=parts[0], blob=_decode_b64(parts[1]))
    rest = parts[2] if len(parts) > 2 else ""
    return key, rest


def parse_public_key_line(line: str) -> PublicKey:
    """One authorized_keys-style line: ``[options] type base64 [comment]``."""
    line = line.strip("\r\n")
    stripped = line.lstrip(" \t")
    options: str | None = None
    first = stripped.split(None, 1)[0] if stripped.split() else ""
    if first not in KEY_TYPES:
        options, stripped = _split_options(stripped)
        if not stripped:
            raise KeyFormatError(
                "This is not an OpenSSH public key line (it should start with a type such as ssh-ed25519)."
            )
    key, rest = _parse_key_tokens(stripped)
    comment = rest.lstrip(" \t")
    return PublicKey(key.key_type, key.blob, comment=comment.rstrip("\r"), options=options)


def _parse_rfc4716(text: str) -> PublicKey:
    lines = [ln.strip() for ln in text.strip().splitlines()]
    if (
        not lines
        or lines[0] != "---- BEGIN SSH2 PUBLIC KEY ----"
        or "---- END SSH2 PUBLIC KEY ----" not in lines
    ):
        raise KeyFormatError(
            "The SSH2 public key block is incomplete; copy it again from BEGIN to END."
        )
    end = lines.index("---- END SSH2 PUBLIC KEY ----")
    if any(ln for ln in lines[end + 1 :]):
        raise KeyFormatError(
            "There is extra text after the SSH2 public key block; paste only the key."
        )
    body = lines[1:end]
    comment = ""
    i = 0
    while i < len(body) and ":" in body[i]:
        header = body[i]
        while header.endswith("\\") and i + 1 < len(body):
            i += 1
            header = header[:-1] + body[i]
        name, _, value = header.partition(":")
        if name.strip().lower() == "comment":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            comment = value
        i += 1
    return public_key_from_blob(_decode_b64("".join(body[i:])), comment=comment)


def _parse_pem_public(text: str) -> PublicKey:
    from cryptography.hazmat.primitives import serialization

    try:
        loaded = serialization.load_pem_public_key(text.strip().encode())
        line = loaded.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    except (ValueError, TypeError, binascii.Error):
        raise KeyFormatError("The PEM public key is damaged or of a kind SSH cannot use.") from None
    return parse_public_key_line(line.decode())


def _meaningful_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def parse_public_key(text: str) -> PublicKey:
    """Exactly one public key in any form: OpenSSH line (options allowed), RFC 4716, PEM.

    Text with anything else around the key is refused, so a paste with junk is caught before
    it reaches an authorized_keys file or a cloud account.
    """
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise KeyFormatError(
            "The text is empty; paste the public key line (it starts with ssh-ed25519, ssh-rsa...)."
        )
    if stripped.startswith("---- BEGIN SSH2 PUBLIC KEY"):
        return _parse_rfc4716(stripped)
    if stripped.startswith("-----BEGIN") and "PUBLIC KEY-----" in stripped.splitlines()[0]:
        return _parse_pem_public(stripped)
    if "PRIVATE KEY" in stripped:
        raise KeyFormatError(
            "This is a private key; never paste or upload it. Use the .pub file instead."
        )
    lines = _meaningful_lines(stripped)
    if len(lines) != 1:
        raise KeyFormatError(
            f"The text holds {len(lines)} lines; paste only the single line of the public key."
        )
    return parse_public_key_line(lines[0])


def parse_public_keys(text: str) -> list[PublicKey]:
    """Every key of an authorized_keys-style text, skipping lines that are not keys."""
    keys = []
    for line in _meaningful_lines(text):
        try:
            keys.append(parse_public_key_line(line))
        except KeyFormatError:
            continue
    return keys


def read_text_file(path: Path) -> str:
    """Read a small text file with one-sentence errors for every way it can go wrong."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFormatError(f"{path} is a binary file, not a key; check the file name.") from None


def read_bytes(path: Path) -> bytes:
    """A key file's bytes, refusing without reading it anything that is not a small regular file.

    The file is opened with ``O_NONBLOCK`` (a FIFO does not hang the open) and checked with
    ``fstat`` on the open descriptor: directories, FIFOs, sockets and devices (``/dev/zero``)
    are refused, and so is a file above :data:`MAX_FILE_SIZE`; at most that many bytes are read
    even from a file that grows meanwhile.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyFileError(
            f"{path} does not exist; check the path (sshdeck list shows your keys)."
        ) from None
    except IsADirectoryError:
        raise KeyFileError(
            f"{path} is a directory; give the path of a key file inside it."
        ) from None
    except PermissionError:
        raise KeyFileError(
            f"{path} cannot be read (permission denied); check its owner and mode."
        ) from None
    except OSError as exc:
        raise KeyFileError(f"{path} cannot be read ({exc.strerror}); check the path.") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise KeyFileError(f"{path} is a directory; give the path of a key file inside it.")
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileError(
                f"{path} is not a regular file (a device, FIFO or socket); "
                "give the path of a key file."
            )
        if st.st_size > MAX_FILE_SIZE:
            raise KeyFileError(
                f"{path} is {st.st_size} bytes, over the {MAX_FILE_SIZE}-byte limit for a key "
                "file; check the file name."
            )
        chunks = []
        left = MAX_FILE_SIZE + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise KeyFileError(
                f"{path} is over the {MAX_FILE_SIZE}-byte limit for a key file; "
                "check the file name."
            )
        return b"".join(chunks)
    except PermissionError:
        raise KeyFileError(
            f"{path} cannot be read (permission denied); check its owner and mode."
        ) from None
    except OSError as exc:
        raise KeyFileError(f"{path} cannot be read ({exc.strerror}); check the path.") from None
    finally:
        os.close(fd)


def read_public_key_file(path: Path) -> PublicKey:
    """The first key of a .pub (or authorized_keys-style) file, or the one RFC 4716 / PEM key."""
    text = read_text_file(path)
    stripped = text.strip()
    if not stripped:
        raise KeyFormatError(f"{path} is empty; it holds no key.")
    if stripped.startswith(("---- BEGIN SSH2", "-----BEGIN")):
        try:
            return parse_public_key(stripped)
        except KeyFormatError as exc:
            raise KeyFormatError(f"{path}: {exc}") from None
    keys = parse_public_keys(text)
    if not keys:
        raise KeyFormatError(
            f"{path} is not a public key file; it holds no line that starts with a key type."
        )
    return keys[0]

"""What ``ssh-keygen -l [-v] [-E hash] -f FILE`` prints, to the byte, quirks included.

People compare our output with ssh-keygen's, so this follows OpenSSH 9's ``do_fingerprint()``
and ``fingerprint_private()`` in ssh-keygen.c rather than a tidier idea of a key file:

- Lines are read into one reused buffer (``getline``) and the ``comment`` pointer is never reset
  between lines: a key line without a trailing comment shows whatever that stale pointer now
  points at (the options of an earlier line, an earlier comment, leftovers of a longer line).
- A line that is not a bare key may start with options or host names (quote-aware); exactly one
  space or tab must follow them. A line that starts with a non-zero number and a space is not.
- The type name may also be a signature name (``rsa-sha2-256``); base64 may hold ``\\r``;
  RSA moduli outside 1024..16384 bits are refused.
- A private key (``PRIVATE KEY`` on the first line) is shown through its ``.pub`` (whose empty
  comment becomes the .pub's path), else its own public half, with the private key's comment.
- Output goes through OpenSSH's ``mprintf``: bytes that are not printable in the locale are
  written as ``\\ooo``.

Everything works on bytes, so comments in any encoding come out as ssh-keygen prints them.

Over 400 lines on purpose: it is one C function's behaviour (``do_fingerprint`` and the helpers
it calls), quirks included; split, the shared line buffer and comment pointer that make those
quirks would have to cross modules.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from tui.core.errors import KeyFormatError, PassphraseRequired, SshDeckError
from tui.core.keys.public import KEY_TYPES, PublicKey

# Signature algorithm names sshkey_type_from_name() also accepts as key types.
SIGNATURE_ALIASES = {
    "rsa-sha2-256": "ssh-rsa",
    "rsa-sha2-512": "ssh-rsa",
    "rsa-sha2-256-cert-v01@openssh.com": "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com": "ssh-rsa-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com": "sk-ecdsa-sha2-nistp256@openssh.com",
}
RSA_MIN_BITS, RSA_MAX_BITS = 1024, 16384  # sshkey_check_rsa_length()
_B64_CHARS = re.compile(rb"[A-Za-z0-9+/=]*")
_STRTOL = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)")


@dataclass(frozen=True)
class Listed:
    """One key as ssh-keygen -l shows it: the key and the raw comment bytes (None: no comment)."""

    key: PublicKey
    comment: bytes | None


def _cstr(buf: bytes | bytearray, start: int) -> bytes:
    """The NUL-terminated string at ``start`` (empty past the end)."""
    if start >= len(buf):
        return b""
    end = buf.find(b"\0", start)
    return bytes(buf[start:] if end < 0 else buf[start:end])


def _b64_pton(token: bytes) -> bytes | None:
    """OpenBSD b64_pton: whitespace inside is skipped, anything else must be valid base64."""
    compact = bytes(b for b in token if b not in b" \t\n\v\f\r")
    if not _B64_CHARS.fullmatch(compact):
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def sshkey_read(text: bytes) -> tuple[PublicKey, int] | None:
    """Parse ``type base64`` at the start of ``text``; return the key and where the comment starts."""
    space = next((i for i, b in enumerate(text) if b in b" \t"), -1)
    if space <= 0:
        return None
    try:
        key_type = text[:space].decode("ascii")
    except UnicodeDecodeError:
        return None
    key_type = SIGNATURE_ALIASES.get(key_type, key_type)
    if key_type not in KEY_TYPES:
        return None
    pos = space
    while pos < len(text) and text[pos] in b" \t":
        pos += 1
    if pos >= len(text):
        return None
    end = pos
    while end < len(text) and text[end] not in b" \t":
        end += 1
    blob = _b64_pton(text[pos:end])
    if not blob:
        return None
    try:
        key = PublicKey(key_type=key_type, blob=blob)
        bits = key.bits
    except SshDeckError:
        return None
    if key.plain_type == "ssh-rsa" and not RSA_MIN_BITS <= bits <= RSA_MAX_BITS:
        return None
    while end < len(text) and text[end] in b" \t":
        end += 1
    return key, end


def _c_int_strtol(text: bytes) -> tuple[int, bytes]:
    """``(int)strtol(text, &ep, 10)`` and what follows the number (``text`` itself if none)."""
    match = _STRTOL.match(text)
    if not match:
        return 0, text
    value = max(-(1 << 63), min(int(match.group(1)), (1 << 63) - 1))  # long, saturated
    value = ((value + (1 << 31)) % (1 << 32)) - (1 << 31)  # then truncated to int
    return value, text[match.end() :]


def _lines(data: bytes) -> Iterator[bytes]:
    """getline(): each line with its newline (the last one may have none)."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            yield data[start:]
            return
        yield data[start : end + 1]
        start = end + 1


class _GetlineBuffer:
    """glibc getline()'s reused line buffer, as far as ssh-keygen's stale comment can see it.

    It starts at 120 bytes and grows to at least twice its size when a line (copied in pieces
    that end at 4096-byte file blocks) does not fit. Growing moves it: a pointer into the old
    buffer then reads freed memory. What that holds is heap behaviour, not a rule; measured on
    OpenSSH 9 / glibc 2.36: the initial small block is reused at once (reads as empty), a larger
    one keeps its old bytes.
    """

    INITIAL = 120
    BLOCK = 4096

    def __init__(self) -> None:
        self.data = bytearray()
        self.capacity = 0
        self.generation = 0
        self.freed: dict[int, tuple[int, bytes]] = {}

    def getline(self, raw: bytes, file_offset: int) -> None:
        self.capacity = self.capacity or self.INITIAL
        copied = 0
        while copied < len(raw):
            piece = min(len(raw) - copied, self.BLOCK - (file_offset + copied) % self.BLOCK)
            needed = copied + piece + 1
            if needed > self.capacity:
                self.freed[self.generation] = (self.capacity, bytes(self.data))
                self.generation += 1
                self.capacity = max(needed, 2 * self.capacity)
            copied += piece
        if len(self.data) < len(raw) + 1:
            self.data.extend(bytes(len(raw) + 1 - len(self.data)))
        self.data[: len(raw)] = raw
        self.data[len(raw)] = 0

    def string_at(self, pointer: tuple[int, int]) -> bytes:
        generation, offset = pointer
        if generation == self.generation:
            return _cstr(self.data, offset)
        capacity, content = self.freed[generation]
        return b"" if capacity <= self.INITIAL else _cstr(content, offset)


def public_listing(data: bytes, private_allowed: bool = True) -> list[Listed] | None:
    """do_fingerprint() over a public/authorized_keys/known_hosts text.

    Returns None when the first line says the file is a private key (the caller then follows
    fingerprint_private()).
    """
    reader = _GetlineBuffer()
    buf = reader.data
    # ssh-keygen's never-reset ``char *comment``: (buffer generation, offset)
    comment: tuple[int, int] | None = None
    found: list[Listed] = []
    offset = 0
    for lnum, raw in enumerate(_lines(data), start=1):
        # getline() writes the line and a NUL; the rest of the buffer keeps older bytes.
        reader.getline(raw, offset)
        offset += len(raw)
        newline = raw.find(b"\n")
        if newline >= 0:
            buf[newline] = 0
        line = _cstr(buf, 0)
        cp = len(line) - len(line.lstrip(b" \t"))
        if cp >= len(line) or line[cp : cp + 1] == b"#":
            continue
        if lnum == 1 and private_allowed and b"PRIVATE KEY" in line[cp:]:
            return None
        parsed = sshkey_read(line[cp:])
        if parsed is None:
            number, after = _c_int_strtol(line[cp:])
            if number == 0 or after[:1] not in (b" ", b"\t"):
                comment = (reader.generation, cp)
                quoted = False
                i = cp
                while i < len(line) and (quoted or line[i] not in b" \t"):
                    if line[i : i + 2] == b'\\"':
                        i += 1
                    elif line[i] == ord('"'):
                        quoted = not quoted
                    i += 1
                if i >= len(line):
                    continue
                buf[i] = 0
                line = _cstr(buf, 0) + b"\0" + line[i + 1 :]
                cp = i + 1
                parsed = sshkey_read(line[cp:])
            if parsed is None:
                continue
        key, rest = parsed
        cp += rest
        if cp < len(line) and line[cp] != 0 and line[cp : cp + 1] != b"#":
            comment = (reader.generation, cp)
            shown: bytes | None = line[cp:]
        else:
            shown = None if comment is None else reader.string_at(comment)
        found.append(Listed(key, shown))
    return found


def try_load_public(data: bytes, filename: bytes) -> Listed | None:
    """sshkey_try_load_public(): the first key line of a file; an empty comment is the file name."""
    for raw in _lines(data):
        if raw[:1] in (b"#", b"\n", b""):
            continue
        if raw.startswith(b"-----BEGIN") or raw == b"SSH PRIVATE KEY FILE":
            break
        text = raw.split(b"\0", 1)[0].lstrip(b" \t")
        if not text:
            continue
        parsed = sshkey_read(text)
        if parsed is None:
            continue
        key, rest = parsed
        comment = re.split(rb"[\r\n]", text[rest:], maxsplit=1)[0]
        return Listed(key, comment or filename)
    return None


def _read(path: str) -> bytes:
    from pathlib import Path

    from tui.core.keys.public import read_bytes

    return read_bytes(Path(path))


def private_listing(path: str, data: bytes) -> Listed:
    """fingerprint_private(): the .pub's key and comment, else the private file's own."""
    from tui.core.keys.private import inspect_private_key, open_private_key
    from tui.core.keys.public import public_key_from_blob

    listed = try_load_public(data, path.encode())
    if listed is None:
        try:
            pub_data = _read(path + ".pub")
        except SshDeckError:
            pub_data = b""
        listed = try_load_public(pub_data, (path + ".pub").encode())
    text = _as_ssh_keygen_reads_it(data)
    key = listed.key if listed else None
    comment = listed.comment if listed else None
    encrypted_pem = False
    if key is None:
        try:
            info = inspect_private_key(text)
            if info.format == "openssh" and info.public is not None:
                key = public_key_from_blob(info.public.blob)
            encrypted_pem = info.encrypted and info.public is None
        except SshDeckError:
            pass
    if (key is None or not comment) and _permissions_ok(path):
        comment = None
        try:
            opened = open_private_key(text, None)
            key = key or opened.public
            comment = opened.comment.encode() if opened.info.format == "openssh" else None
        except SshDeckError:
            pass
    if key is None:
        if encrypted_pem:
            raise PassphraseRequired(
                f"{path} is an encrypted key without a .pub beside it; "
                f"run sshdeck pub -f {path} --write first."
            )
        raise KeyFormatError(f"{path} is not a key file; check the file name.")
    return Listed(key, comment)


_OPENSSH_BEGIN = b"-----BEGIN OPENSSH PRIVATE KEY-----\n"
_OPENSSH_END = b"\n-----END OPENSSH PRIVATE KEY-----\n"


def _as_ssh_keygen_reads_it(data: bytes) -> str:
    """The private key text as OpenSSH's parsers see it ("" when they would refuse it).

    The OpenSSH format must start with its BEGIN line exactly (no indent, no CRLF); text after
    the END line is ignored, for PEM too.
    """
    if b"OPENSSH PRIVATE KEY" in data.split(b"\n", 1)[0]:
        end = data.find(_OPENSSH_END)
        if not data.startswith(_OPENSSH_BEGIN) or end < 0:
            return ""
        data = data[: end + len(_OPENSSH_END)]
    else:
        lines = data.split(b"\n")
        if not lines[0].startswith(b"-----BEGIN"):
            return ""  # OpenSSL's PEM reader wants its BEGIN line at the start of a line
        end_line = lines[0].strip().replace(b"BEGIN", b"END")
        stripped = [line.strip() for line in lines]
        if end_line in stripped:
            data = b"\n".join(lines[: stripped.index(end_line) + 1]) + b"\n"
    return data.decode("ascii", errors="replace")


def _permissions_ok(path: str) -> bool:
    """sshkey_perm_ok(): a private key of ours that others may read is not loaded."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_uid != os.getuid() or not st.st_mode & 0o077


def _utf8_locale(utf8: bool | None) -> bool:
    """Would ssh-keygen, started beside us, run in a UTF-8 locale? ``Settings`` knows (it reads
    the environment this process was started with, before Python's own PEP 538 change)."""
    if utf8 is not None:
        return utf8
    from tui.core.settings import Settings

    return Settings.from_environment().utf8_locale


def _printable_width(char: str) -> bool:
    return unicodedata.category(char) not in ("Cc", "Cs", "Cn", "Zl", "Zp")


def mprintf(data: bytes, utf8: bool | None = None) -> str:
    """OpenSSH's mprintf(): keep printable characters, \\t \\r \\n; others become ``\\ooo``."""
    utf8 = _utf8_locale(utf8)
    out: list[str] = []
    i = 0
    while i < len(data):
        byte = data[i]
        length = 1
        char: str | None = None
        if byte < 0x80:
            char = chr(byte)
        elif utf8:
            length = 2 if byte >> 5 == 6 else 3 if byte >> 4 == 14 else 4 if byte >> 3 == 30 else 1
            try:
                char = data[i : i + length].decode("utf-8")
            except UnicodeDecodeError:
                char, length = None, 1
        if char is not None and (char in "\t\r\n" or _printable_width(char)):
            out.append(char)
        else:
            out.extend(f"\\{b:03o}" for b in data[i : i + length])
        i += length
    return "".join(out)


def fingerprint_report(
    path: str, hash_name: str = "sha256", visual: bool = False, utf8: bool | None = None
) -> list[str]:
    """The lines ``ssh-keygen -l [-v] [-E hash] -f path`` prints; typed errors where it fails.

    ``utf8``: the locale ssh-keygen would print in (``Settings.utf8_locale``; None: read the
    environment now)."""
    from tui.core.keys.public import parse_public_key

    if path == "-":  # standard input, as ssh-keygen -l -f - reads it: public keys only
        import sys

        from tui.core.errors import KeyFileError
        from tui.core.keys.public import MAX_FILE_SIZE

        data, path = sys.stdin.buffer.read(MAX_FILE_SIZE + 1), "(stdin)"
        if len(data) > MAX_FILE_SIZE:
            raise KeyFileError(
                f"Standard input holds over {MAX_FILE_SIZE} bytes, the limit for a key file; "
                "give the key file itself."
            )
    else:
        data = _read(path)
    entries = public_listing(data, private_allowed=path != "(stdin)")
    if entries is None:
        entries = [private_listing(path, data)]
    elif not entries:
        entries = _other_public_forms(path, data, parse_public_key)
    utf8 = _utf8_locale(utf8)
    out = []
    for entry in entries:
        key = entry.key
        comment = b"no comment" if entry.comment is None else entry.comment
        out.append(
            f"{key.bits} {key.fingerprint(hash_name)} {mprintf(comment, utf8)} ({key.label})"
        )
        if visual:
            out.append(key.randomart(hash_name))
    return out


def _other_public_forms(path: str, data: bytes, parse) -> list[Listed]:  # type: ignore[no-untyped-def]
    """RFC 4716 and PEM public keys, which ssh-keygen -l refuses but a person expects read."""
    text = data.decode("utf-8", errors="replace").strip()
    if text.startswith(("---- BEGIN SSH2", "-----BEGIN")):
        try:
            key = parse(text)
        except SshDeckError as exc:
            raise KeyFormatError(f"{path}: {exc}") from None
        return [Listed(key, key.comment.encode() or None)]
    if not text:
        raise KeyFormatError(f"{path} is empty; it holds no key.")
    raise KeyFormatError(
        f"{path} is not a public key file; give a .pub, a private key or an authorized_keys file."
    )

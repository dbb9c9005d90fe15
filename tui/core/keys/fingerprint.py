"""Fingerprints and the randomart picture, byte for byte as ssh-keygen prints them.

The rules follow ``fingerprint_randomart()`` in OpenSSH's sshkey.c: a 17x9 field, a walk
starting at the centre driven by the digest's bit pairs (lowest first), visit counts mapped
to `` .o+=*BOX@%&#/^``, ``S`` at the start and ``E`` at the end.
"""

from __future__ import annotations

import base64
import hashlib

FIELD_WIDTH = 17
FIELD_HEIGHT = 9
AUGMENTATION = " .o+=*BOX@%&#/^SE"
HASHES = ("sha256", "md5")


def digest(blob: bytes, hash_name: str = "sha256") -> bytes:
    if hash_name not in HASHES:
        raise ValueError(f"unknown fingerprint hash {hash_name!r}")
    return hashlib.new(hash_name, blob).digest()


def format_fingerprint(raw: bytes, hash_name: str = "sha256") -> str:
    if hash_name == "md5":
        return "MD5:" + ":".join(f"{b:02x}" for b in raw)
    return "SHA256:" + base64.b64encode(raw).decode().rstrip("=")


def fingerprint(blob: bytes, hash_name: str = "sha256") -> str:
    """``SHA256:<unpadded base64>`` or ``MD5:<colon hex>`` of a public key blob."""
    return format_fingerprint(digest(blob, hash_name), hash_name)


def _centred_border(label: str) -> str:
    # OpenSSH pads with (width - len) / 2 dashes on the left, the rest on the right.
    left = (FIELD_WIDTH - len(label)) // 2
    right = FIELD_WIDTH - len(label) - left
    return "+" + "-" * left + label + "-" * right + "+"


def randomart_title(type_label: str, bits: int) -> str:
    # OpenSSH formats into char[17] with snprintf: "[TYPE BITS]", falling back to "[TYPE]"
    # when the first form would not fit; whatever remains too long is cut to 16 characters.
    title = f"[{type_label} {bits}]"
    if len(title) > FIELD_WIDTH:
        title = f"[{type_label}]"
    return title[: FIELD_WIDTH - 1]


def randomart(raw_digest: bytes, type_label: str, bits: int, hash_name: str = "sha256") -> str:
    """The picture ``ssh-keygen -lv`` prints (11 lines, no trailing newline)."""
    field = [[0] * FIELD_HEIGHT for _ in range(FIELD_WIDTH)]
    top = len(AUGMENTATION) - 1  # index of "E"; "S" is top - 1, visits cap at top - 2
    x, y = FIELD_WIDTH // 2, FIELD_HEIGHT // 2
    for byte in raw_digest:
        for _ in range(4):
            x += 1 if byte & 0x1 else -1
            y += 1 if byte & 0x2 else -1
            x = max(0, min(x, FIELD_WIDTH - 1))
            y = max(0, min(y, FIELD_HEIGHT - 1))
            if field[x][y] < top - 2:
                field[x][y] += 1
            byte >>= 2
    field[FIELD_WIDTH // 2][FIELD_HEIGHT // 2] = top - 1
    field[x][y] = top
    lines = [_centred_border(randomart_title(type_label, bits))]
    for row in range(FIELD_HEIGHT):
        lines.append(
            "|" + "".join(AUGMENTATION[field[col][row]] for col in range(FIELD_WIDTH)) + "|"
        )
    lines.append(_centred_border(f"[{hash_name.upper()}]"))
    return "\n".join(lines)

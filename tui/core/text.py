"""The one way to show untrusted text: control characters made visible as OpenSSH does.

Key comments, file names, server banners, remote stderr, cloud names, descriptions and error
texts come from files, servers and the cloud, so they are treated as hostile: an ``ESC ] 52``
sequence would write the user's clipboard, a CSI would move the cursor, U+202E would reverse
what follows. OpenSSH (``utf8.c: vasnmprintf()``) prints such bytes as ``\\ooo`` octal escapes
(ESC becomes ``\\033``, BEL ``\\007``); we do the same, byte by byte of the UTF-8 encoding, for

* C0 controls and DEL (``\\r`` too; ``\\n`` and ``\\t`` only where the text is one line),
* C1 controls (U+0080 to U+009F),
* bidi controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C),
* line and paragraph separators, other invisible format characters, unassigned and private-use
  code points, and undecodable bytes (kept by ``surrogateescape``; byte 0x96 shows as ``\\226``,
  as ``ssh-keygen -l`` prints it).

Printable text, backslash included, passes unchanged, as with OpenSSH's ``mprintf``.
JSON output does not use this: it keeps the exact string and lets JSON escape it.
The app shows the result as plain text (never markup), so ``[/]`` stays ``[/]``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["decode", "is_safe", "visible", "visible_bytes"]

_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _octal(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
        return f"\\{code - 0xDC00:03o}"
    return "".join(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogatepass"))


@lru_cache(maxsize=4096)
def _unsafe(ch: str) -> bool:
    code = ord(ch)
    if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
        return True
    if code < 0x7F:
        return False
    if code in _BIDI:
        return True
    # Cc control, Cf format (zero-width, bidi), Cs surrogates, Co private use, Cn unassigned,
    # Zl / Zp line and paragraph separators.
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control character shown as OpenSSH shows it (``\\033``).

    ``multiline=True`` keeps ``\\n`` and ``\\t`` (a banner, remote stderr); otherwise they are
    escaped too, so one field stays on one line.
    """
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        if multiline and ch in "\n\t":
            out.append(ch)
        elif _unsafe(ch):
            out.append(_octal(ch))
        else:
            out.append(ch)
    return "".join(out)


def decode(data: bytes) -> str:
    """Bytes from a file or a server as text, undecodable bytes kept for :func:`visible`."""
    return data.decode("utf-8", "surrogateescape")


def visible_bytes(data: bytes, *, multiline: bool = False) -> str:
    """:func:`visible` of raw bytes; invalid UTF-8 shows as octal, as ssh prints it."""
    return visible(decode(data), multiline=multiline)


def is_safe(text: str, *, multiline: bool = False) -> bool:
    """True when :func:`visible` would leave ``text`` unchanged."""
    return visible(text, multiline=multiline) == text

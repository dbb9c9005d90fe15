"""The SSH wire encoding (RFC 4251 section 5): strings, mpints, uint32/uint64."""

from __future__ import annotations

import struct

from tui.core.errors import KeyFormatError


class WireReader:
    """Reads SSH wire values from a bytes buffer; any overrun is a KeyFormatError."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise KeyFormatError(
                "The key data is truncated or damaged; copy the key again from its source."
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def uint8(self) -> int:
        return self._take(1)[0]

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self._take(4))[0]
        return value

    def uint64(self) -> int:
        value: int = struct.unpack(">Q", self._take(8))[0]
        return value

    def string(self) -> bytes:
        return self._take(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode("utf-8")
        except UnicodeDecodeError:
            raise KeyFormatError(
                "The key data contains text that is not UTF-8; the file is damaged."
            ) from None

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    @property
    def at_end(self) -> bool:
        return self.pos >= len(self.data)


def string(value: bytes | str) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return struct.pack(">I", len(raw)) + raw


def uint32(value: int) -> bytes:
    return struct.pack(">I", value)


def mpint(value: int) -> bytes:
    if value == 0:
        return string(b"")
    length = (value.bit_length() + 8) // 8
    return string(value.to_bytes(length, "big", signed=True))

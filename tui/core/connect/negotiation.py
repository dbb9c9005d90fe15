"""Algorithm negotiation as ssh reports it: which list had nothing in common, and the fix.

When the client and the server share no key exchange, host key, cipher or MAC algorithm, ssh
says (``kex.c: kex_choose_conf()``)::

    Unable to negotiate with 127.0.0.1 port 2222: no matching cipher found. Their offer: aes128-cbc

asyncssh raises its own words for the lists it checks itself, and for the host key list only the
server notices (it closes the connection). Both lists are read here from the server's KEXINIT
and the client's own lists, so the outcome ``no-common-algorithm`` says the same as ssh, checked
in ssh's order: key exchange, host key, cipher, MAC (none for AEAD ciphers), compression.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KEX_MARKERS", "Mismatch", "config_line", "mismatch", "read_lists"]

#: (our key, ssh's words, the ssh_config option that adds an algorithm)
_KINDS = (
    ("kex", "key exchange method", "KexAlgorithms"),
    ("hostkey", "host key type", "HostKeyAlgorithms"),
    ("cipher", "cipher", "Ciphers"),
    ("mac", "MAC", "MACs"),
    ("compression", "compression method", "Compression"),
)
_AEAD = ("chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
#: markers in a KEXINIT list, not algorithms
KEX_MARKERS = ("ext-info-", "kex-strict-")


def config_line(words: str, offer: list[str]) -> str | None:
    """The ~/.ssh/config line that lets ssh (and sshdeck) use the server's first offer, for a
    list named in ssh's ``words`` ("cipher", "key exchange method", ...); None when unknown."""
    option = next((opt for _k, w, opt in _KINDS if w == words), None)
    usable = [a for a in offer if not a.startswith(KEX_MARKERS)]
    if option is None or not usable:
        return None
    first = usable[0]
    if option == "Compression":
        return "Compression yes" if first.startswith("zlib") else "Compression no"
    return f"{option} +{first}"


def read_lists(conn: Any) -> tuple[dict[str, list[str]], dict[str, list[str]]] | None:
    """(server's lists, ours) from an asyncssh connection that received the server's KEXINIT.

    Read only, through :mod:`tui.core.connect.asyncssh_private`.
    """
    from tui.core.connect.asyncssh_private import client_algorithm_lists, server_kexinit

    try:
        from asyncssh.packet import SSHPacket

        raw = server_kexinit(conn)
        if not raw:
            return None
        packet = SSHPacket(raw)
        if packet.get_byte() != 20:  # MSG_KEXINIT
            return None
        packet.get_bytes(16)  # cookie
        names = [packet.get_namelist() for _ in range(8)]
        theirs = {
            "kex": _text(names[0]),
            "hostkey": _text(names[1]),
            "cipher": _text(names[2]),
            "mac": _text(names[4]),
            "compression": _text(names[6]),
        }
        ours = {kind: _text(values) for kind, values in client_algorithm_lists(conn).items()}
        return theirs, ours
    except Exception:  # noqa: BLE001 - asyncssh internals; the diagnosis then says less
        return None


def _text(values: Any) -> list[str]:
    return [v.decode("ascii", "replace") if isinstance(v, bytes) else str(v) for v in values]


class Mismatch:
    """The first list without a common algorithm, in ssh's order."""

    def __init__(self, kind: str, words: str, option: str, offer: list[str]) -> None:
        self.kind, self.words, self.option, self.offer = kind, words, option, offer

    def message(self, host: str, port: int) -> str:
        """ssh's line: ``Unable to negotiate with H port P: no matching cipher found...``."""
        return (
            f"Unable to negotiate with {host} port {port}: no matching {self.words} found. "
            f"Their offer: {','.join(self.offer)}"
        )

    def fix_line(self) -> str:
        """The ~/.ssh/config line that lets ssh (and sshdeck) use the server's first offer."""
        return config_line(self.words, self.offer) or f"{self.option} +?"


def mismatch(theirs: dict[str, list[str]], ours: dict[str, list[str]]) -> Mismatch | None:
    """The first category in ssh's order where nothing is common (None: all have a match)."""
    for kind, words, option in _KINDS:
        mine = [a for a in ours.get(kind, []) if not a.startswith(KEX_MARKERS)]
        offer = theirs.get(kind, [])
        if not mine:
            continue  # our list is unknown (GSS, asyncssh internals): not a finding
        if kind == "mac":
            chosen = next((c for c in ours.get("cipher", []) if c in theirs.get("cipher", [])), "")
            if chosen in _AEAD or "gcm" in chosen:
                continue  # an AEAD cipher needs no MAC
        if not any(a in offer for a in mine):
            return Mismatch(kind, words, option, offer)
    return None

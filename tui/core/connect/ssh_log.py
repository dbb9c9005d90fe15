"""asyncssh's debug log, re-worded as ``ssh -vvv`` lines and read for stage changes.

A :class:`LogRelay` is a logging handler that listens to the ``asyncssh`` logger only for one
connection (its ``[conn=N]`` context). Lines asyncssh shares with OpenSSH's output are written in
OpenSSH's words at level 1 (``Remote protocol version``, ``kex: algorithm``, ``Authentications
that can continue``); the rest is passed through at level 2; packet traces (asyncssh's debug
level 3) become one ``debug3:`` line with the packet's name and size: the hex dump below it is
dropped, since it may hold a password or a signature.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tui.core.connect.trace import Trace

_lock = threading.Lock()
_installed = 0
_saved_level = logging.NOTSET


class _CutPacketDumps(logging.Filter):
    """On the ``asyncssh`` logger itself, so that no handler (ours, the root's, a test runner's
    log capture) ever receives a packet's hex dump: only the line naming the packet is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "packet", None) is not None:
            if isinstance(record.msg, str):
                record.msg = record.msg.split("\n", 1)[0]
            record.packet = b""
        return True


_cut_packet_dumps = _CutPacketDumps()


class LogRelay(logging.Handler):
    def __init__(self, trace: Trace, debug_level: int) -> None:
        super().__init__(logging.DEBUG)
        self.trace = trace
        self.debug_level = max(1, min(3, debug_level))
        self.context: str | None = None
        self.direction = ""
        self.algs: dict[str, str] = {}
        self.password_began: float | None = None

    def install(self) -> None:
        import asyncssh

        global _installed, _saved_level
        logger = logging.getLogger("asyncssh")
        with _lock:
            if _installed == 0:
                _saved_level = logger.level
            _installed += 1
            logger.setLevel(logging.DEBUG)
            logger.addFilter(_cut_packet_dumps)  # once: addFilter ignores a filter already there
            asyncssh.set_debug_level(max(2, self.debug_level))
        logger.addHandler(self)

    def remove(self) -> None:
        global _installed
        logger = logging.getLogger("asyncssh")
        logger.removeHandler(self)
        with _lock:
            if _installed > 0:
                _installed -= 1
                if _installed == 0:
                    logger.setLevel(_saved_level)

    def bind(self, conn: Any) -> None:
        from tui.core.connect.asyncssh_private import log_context

        self.context = log_context(conn)

    def emit(self, record: logging.LogRecord) -> None:
        if self.context is None:
            return
        try:
            message = record.getMessage()
        except Exception:
            return
        head = f"[{self.context}"
        if not (message.startswith(head + "]") or message.startswith(head + ",")):
            return
        text = message.split("] ", 1)[1] if "] " in message else message
        text = text.split("\n", 1)[0]  # packet hex dumps stay out of every transcript
        if getattr(record, "packet", None) is not None:
            if self.debug_level >= 3:
                self.trace.debug(3, text)
            return
        try:
            self.relay(text)
        except Exception:  # a transcript detail must never break the login
            return

    def relay(self, text: str) -> None:
        trace = self.trace
        stripped = text.strip()
        key, _, value = stripped.partition(": ")
        if stripped.startswith("Sending version "):
            trace.debug(1, f"Local version string {stripped.split(' ', 2)[2]}")
        elif stripped.startswith("Received version "):
            version = stripped.split(" ", 2)[2]
            trace.server_version = version
            parts = version.split("-", 2)
            software = parts[2] if len(parts) == 3 else version
            proto = parts[1] if len(parts) == 3 else "?"
            trace.debug(1, f"Remote protocol version {proto}, remote software version {software}")
            trace.end("protocol version", True, software)
            trace.begin("key exchange")
        elif stripped == "Requesting key exchange":
            trace.debug(1, "SSH2_MSG_KEXINIT sent")
        elif stripped == "Received key exchange request":
            trace.debug(1, "SSH2_MSG_KEXINIT received")
        elif key == "Key exchange alg":
            trace.kex = value
            trace.debug(1, f"kex: algorithm: {value}")
        elif stripped in ("Client to server:", "Server to client:"):
            self.direction = "client->server" if stripped.startswith("Client") else "server->client"
            self.algs = {}
            trace.debug(2, text.strip())
        elif key in ("Encryption alg", "MAC alg", "Compression alg"):
            self.algs[key] = value
            if key == "Compression alg":
                cipher = self.algs.get("Encryption alg", "?")
                mac = self.algs.get("MAC alg", "?")
                if mac == cipher or "gcm" in cipher:
                    mac = "<implicit>"
                trace.debug(
                    1, f"kex: {self.direction} cipher: {cipher} MAC: {mac} compression: {value}"
                )
        elif stripped == "Completed key exchange":
            trace.debug(1, "SSH2_MSG_NEWKEYS received")
        elif key == "Remaining auth methods":
            methods = [m for m in value.split(",") if m]
            if not trace.auth_methods:
                trace.auth_methods = methods
            if self.password_began is not None:
                trace.attempt("password", None, False, self.password_began)
                self.password_began = None
            trace.debug(1, f"Authentications that can continue: {value}")
        elif stripped == "Trying password auth":
            trace.password_tried = True
            trace.auth_method = "password"
            self.password_began = time.monotonic()
            trace.debug(1, "Next authentication method: password")
        elif stripped.startswith("Trying public key auth") or stripped.startswith("Auth failed"):
            trace.debug(2, stripped)
        else:
            trace.debug(2, stripped)

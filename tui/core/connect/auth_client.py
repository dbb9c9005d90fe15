"""The asyncssh client callbacks of a login: the facts asyncssh does not log, in OpenSSH's words.

One :class:`asyncssh.SSHClient` per login, made by :func:`make_client`: it checks the host key
(:func:`tui.core.connect.host_key_check.check_host_key`), offers the keys one at a time in ssh's
order (:mod:`tui.core.connect.identities`), answers password and keyboard-interactive prompts
(given once, or asked), records partial success (``AuthenticationMethods a,b``), and writes each
step into the :class:`~tui.core.connect.trace.Trace` as ssh's ``-vvv`` lines say it.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from tui.core.connect.host_key_check import check_host_key
from tui.core.connect.ssh_log import LogRelay
from tui.core.connect.trace import OfferedKey, Trace
from tui.core.text import visible

__all__ = ["make_client", "server_sig_algs"]


def make_client(
    trace: Trace,
    offer: list[Any],
    passphrase: str | None,
    ask: Any,
    relay: LogRelay | None,
    password: str | None = None,
    ask_password: Any = None,
) -> Any:
    """asyncssh client callbacks: the facts asyncssh does not log, in OpenSSH's words."""
    import asyncssh

    class Client(asyncssh.SSHClient):
        def __init__(self) -> None:
            self.trace, self.offer, self.passphrase, self.ask = trace, offer, passphrase, ask
            self.conn: Any = None
            self.check: Any = None
            self.connected = False  # the caller connected the socket and said so
            self.version_sent: bytes | None = None  # ... and wrote this version line on it
            self.current: OfferedKey | None = None
            self.began = time.monotonic()
            self.first_key = True
            self.kbd_pending = False
            # a password given once (--password-stdin) is tried once per method, as typed once
            self.passwords = {"password": password, "keyboard-interactive": password}

        def connection_made(self, conn: Any) -> None:
            self.conn = conn
            if self.version_sent is not None:
                from tui.core.connect.asyncssh_private import drop_version_write

                drop_version_write(conn, self.version_sent)
            if not self.connected:
                self.trace.end("connect", True)
                self.trace.debug(1, "Connection established.")
            self.trace.begin("protocol version")
            if relay is not None:
                relay.bind(conn)

        def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
            return check_host_key(self.trace, self.check, key, self.conn)

        def auth_banner_received(self, msg: str, lang: str) -> None:
            self.trace.banner = msg
            for text in visible(msg.rstrip("\n"), multiline=True).splitlines():
                self.trace.line(0, text)

        def begin_auth(self, username: str) -> None:
            self._read_server_sig_algs()
            self.trace.debug(1, f"Authenticating to {self.trace.host}:{self.trace.port} as "
                             f"'{visible(username)}'")  # fmt: skip
            self.trace.begin("authentication")

        def _read_server_sig_algs(self) -> None:
            if self.trace.server_sig_algs is not None:
                return
            algs = server_sig_algs(self.conn)
            self.trace.server_sig_algs = algs
            if algs:
                self.trace.debug(1, "kex_input_ext_info: server-sig-algs=<" + ",".join(algs) + ">")

        def public_key_auth_requested(self) -> Any:
            from tui.core.connect.identities import rsa_sig_algs
            from tui.core.connect.key_offer import offer_key_pair

            self._close_attempt(False)
            self._read_server_sig_algs()
            if self.first_key:
                self.first_key = False
                self.trace.debug(1, "Next authentication method: publickey")
            while self.offer:
                identity = self.offer.pop(0)
                record = identity.record
                sig_algs = rsa_sig_algs(
                    identity.public, self.trace.server_sig_algs, identity.rsa_allowed
                )
                if sig_algs == []:  # ssh 9.2: no mutual signature algorithm, key skipped
                    self.trace.debug(
                        1, f"Offering public key: {visible(record.name)} {record.label} {record.sha256}"
                        + record.suffix
                    )  # fmt: skip
                    self.trace.debug(1, "send_pubkey_test: no mutual signature algorithm")
                    record.problem = "no-mutual-signature"
                    self.trace.skipped.append(record)
                    continue
                self.trace.offered.append(record)
                self.trace.auth_method = "publickey"
                self.current, self.began = record, time.monotonic()
                self.trace.debug(
                    1, f"Offering public key: {visible(record.name)} {record.label} {record.sha256}"
                    + record.suffix
                )  # fmt: skip
                return offer_key_pair(identity, self.trace, self.passphrase, self.ask, sig_algs)
            return None

        def _close_attempt(self, ok: bool) -> None:
            if self.current is not None:
                self.current.used = ok
                self.trace.attempt("publickey", self.current, ok, self.began)
                self.current = None

        def _partial(self) -> None:
            """The server asks for another method: the key just signed was accepted (partial)."""
            record = self.current
            if record is not None and record.signed:
                record.partial = True
                self._close_attempt(True)
                self.trace.partial_success.append("publickey")
                with contextlib.suppress(Exception):
                    self.trace.auth_methods_after_partial = list(
                        self.conn.get_server_auth_methods()
                    )
                self.trace.line(1, 'Authenticated using "publickey" with partial success.')
            elif record is not None:
                self._close_attempt(False)
            if self.kbd_pending:
                self.kbd_pending = False
                self.trace.attempt("keyboard-interactive", None, False, self.began)

        def auth_completed(self) -> None:
            if self.trace.auth_method == "password" and self.trace.password_tried:
                self.trace.attempt("password", None, True, self.began)
                self.current = None
            elif self.trace.auth_method == "keyboard-interactive":
                self.kbd_pending = False
                self.trace.attempt("keyboard-interactive", None, True, self.began)
            else:
                self._close_attempt(True)
            method = self.trace.auth_method or "none"
            self.trace.end("authentication", True, method)
            where = f"[{self.trace.address or self.trace.host}]:{self.trace.port}"
            self.trace.line(1, f'Authenticated to {self.trace.host} ({where}) using "{method}".')

        async def _password(self, method: str, prompt: str) -> str | None:
            given = self.passwords.get(method)
            if given is not None:
                self.passwords[method] = None
                return given
            if ask_password is None:
                return None
            answer: str | None = await ask_password(prompt)
            self.trace.add_secret(answer)
            return answer

        async def password_auth_requested(self) -> str | None:
            self._partial()
            who = f"{self.trace.user}@{self.trace.host}"
            answer = await self._password("password", f"{who}'s password: ")
            if answer is None:
                self.trace.debug(2, "no password to try")
            else:
                self.trace.auth_method, self.trace.password_tried = "password", True
            return answer

        async def kbdint_auth_requested(self) -> str | None:
            self._partial()
            if self.passwords.get("keyboard-interactive") is None and ask_password is None:
                return None
            self.trace.auth_method = "keyboard-interactive"
            self.began = time.monotonic()
            self.trace.debug(1, "Next authentication method: keyboard-interactive")
            return ""

        async def kbdint_challenge_received(
            self, name: str, instructions: str, lang: str, prompts: Any
        ) -> list[str] | None:
            if name:
                self.trace.line(0, visible(name, multiline=True))
            if instructions:
                self.trace.line(0, visible(instructions.rstrip("\n"), multiline=True))
            answers: list[str] = []
            who = f"({self.trace.user}@{self.trace.host})"
            for prompt, _echo in prompts:
                answer = await self._password("keyboard-interactive", f"{who} {visible(prompt)}")
                if answer is None:
                    self.trace.attempt("keyboard-interactive", None, False, self.began)
                    return None
                answers.append(answer)
            self.kbd_pending = bool(prompts)
            return answers

    return Client()


def server_sig_algs(conn: Any) -> list[str] | None:
    """The server's ``server-sig-algs`` (RFC 8308), in OpenSSH's order; None without EXT_INFO.

    asyncssh keeps the received list as a set: read only.
    """
    from tui.core.connect.asyncssh_private import server_sig_algs as raw_sig_algs

    raw = raw_sig_algs(conn)
    algs = {alg.decode("ascii", "replace") for alg in raw if alg}
    if not algs:
        return None
    order = [
        "ssh-ed25519", "sk-ssh-ed25519@openssh.com", "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512",
        "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    ]  # fmt: skip
    return [a for a in order if a in algs] + sorted(algs - set(order))

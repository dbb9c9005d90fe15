"""ssh's ``-vvv`` lines, read: the stages, the facts and the failure of the openssh engine.

:class:`OpensshReader` takes ssh's stderr one line at a time (the transcript gets each line,
escaped), moves the stages on, and records what a line says (server version, kex, host key and
its check, the keys offered and accepted, partial success, ``Unable to negotiate``, the
ProxyJump host's own lines, the failure) on the :class:`~tui.core.connect.trace.Trace`;
:meth:`OpensshReader.exception` turns the failure into the exception the asyncssh engine would
have met, so :func:`tui.core.connect.diagnosis.diagnose` says the same for both engines.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Literal, TypeAlias

from tui.core.connect.outcomes import Outcome
from tui.core.connect.session_outcomes import certificate_invalid
from tui.core.connect.trace import OfferedKey, Trace
from tui.core.text import visible

__all__ = ["Failure", "OpensshReader", "certificate_verdict"]

#: what ended ssh's run, as read from its lines (turned into an exception by the reader)
Failure: TypeAlias = Literal[
    "auth", "closed", "disconnect", "dns", "host-key", "negotiate", "not-ssh", "refused",
    "timeout", "unreachable",
]  # fmt: skip


_LEVEL = re.compile(r"^debug([123]): ")
_OFFER = re.compile(r"^debug1: Offering public key: (.+?) (\S+) (SHA256:\S+)(?: (.*))?$")
_ACCEPT = re.compile(r"^debug1: Server accepts key: (.+?) \S+ (SHA256:\S+)")
_VERBOSE_ONLY = re.compile(
    r"^(OpenSSH_|Authenticated to |Authenticated using |Transferred: |Bytes per second: |  #\d+ )"
)
_LOADKEY = re.compile(r'^Load key "(.+)": (.*)$')


class OpensshReader:
    """Turns ssh's lines into stages and facts on a Trace."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.changed = False
        self.failure: Failure | None = None
        self.exit_status: int | None = None
        self.current: OfferedKey | None = None
        self.began = time.monotonic()
        self.perm_path: str | None = None
        self.asked = False
        self.renamed: tuple[str, str] | None = None  # (config copy, the user's config)
        self.quiet: set[str] = set()  # lines ssh prints only because of how it was called
        self.last_level = 0
        self.disconnect: tuple[int, str] | None = None  # the server's code and reason
        self.proxied = False  # a ProxyJump/ProxyCommand: only "(via proxy)" is the target
        self.in_command = False  # from "Sending command" on
        self.remote_stderr: list[str] = []
        self.unable: str | None = None  # ssh's "Unable to negotiate with ..." line
        self.partial: list[str] = []  # methods that succeeded with partial success
        self.partial_key: OfferedKey | None = None
        self.wanted: list[str] = []  # the methods that can continue after a partial success
        self.jump_host: str | None = None  # the ProxyJump host, while its own ssh runs
        self.jump_done = False  # the jump host's login succeeded

    def feed(self, text: str) -> None:
        trace = self.trace
        if self.renamed is not None:
            text = text.replace(*self.renamed)
        if text in self.quiet:
            return
        match = _LEVEL.match(text)
        ssh_own = _VERBOSE_ONLY.match(text) or (not text.strip() and self.last_level > 0)
        if self.in_command and match is None and not ssh_own:
            # the command's own stderr (ssh may drain it even after the exit status)
            self.remote_stderr.append(text)
            return
        level = int(match.group(1)) if match else 0
        if level == 0 and _VERBOSE_ONLY.match(text):
            level = 1  # lines ssh prints only with -v
        if not text.strip():
            level = self.last_level  # the blank line closing a debug3 channel status block
        self.last_level = level
        trace.line(level, visible(text))  # ssh escapes most, not bidi or other UTF-8 controls
        body = text[len(match.group(0)) :] if match else text
        if self.proxied and not self.jump_done and body.startswith("Connecting to "):
            # the ssh that ProxyJump starts shares our stderr: this is the jump host
            found = re.match(r"Connecting to (\S+) \[", body)
            self.jump_host = found.group(1) if found else self.jump_host
            trace.end("resolve", True)
            trace.begin("connect")
        elif body.startswith("Connecting to "):
            trace.end("resolve", True)
            found = re.match(r"Connecting to (\S+) \[([^\]]*)\] port (\d+)\.", body)
            if found:
                trace.host, trace.address, trace.port = (
                    found.group(1),
                    found.group(2),
                    int(found.group(3)),
                )
            trace.begin("connect")
        elif body == "Connection established.":
            trace.end("connect", True)
            trace.begin("protocol version")
        elif body.startswith("Remote protocol version "):
            found = re.match(r"Remote protocol version ([^,]+), remote software version (.*)", body)
            if found:
                trace.server_version = f"SSH-{found.group(1)}-{found.group(2)}"
            trace.end("protocol version", True)
            trace.begin("key exchange")
        elif body.startswith("Authenticating to "):
            found = re.search(r" as '(.*)'$", body)
            trace.user = found.group(1) if found else trace.user
        elif body.startswith("kex: algorithm: "):
            trace.kex = body.split(": ", 2)[2]
        elif body.startswith("Server host key: "):
            parts = body.split()
            if len(parts) >= 5:
                trace.host_key = {"type": parts[3], "sha256": parts[4]}
            trace.end("key exchange", True)
            trace.begin("host key check")
        elif "is known and matches the" in body:
            trace.host_key_status = "known"
            trace.end("host key check", True, "known")
        elif body.startswith("Warning: Permanently added "):
            trace.host_key_status = "added"
            trace.end("host key check", True, "added")
        elif "REMOTE HOST IDENTIFICATION HAS CHANGED" in body:
            self.changed = True
        elif self.changed and (
            body.startswith("Offending ") or body.lstrip().startswith("ssh-keygen -f ")
        ):
            trace.host_key_lines.append(body.strip())  # the old entry's file:line, the fix
        elif body == "Host key verification failed.":
            trace.host_key_status = "changed" if self.changed else "unknown"
            self.failure = "host-key"
        elif body.startswith("kex_input_ext_info: server-sig-algs=<"):
            algs = body.split("=<", 1)[1].rstrip(">").split(",")
            if not self.proxied or self.jump_done:
                trace.server_sig_algs = algs
        elif body.startswith("Unable to negotiate with "):
            self.unable = body
            self.failure = "negotiate"
        elif body.startswith('Authenticated using "') and "partial success" in body:
            found = re.match(r'Authenticated using "([^"]+)"', body)
            self.partial.append(found.group(1) if found else "?")
            trace.partial_success = list(self.partial)
            if self.current is not None:
                self.current.accepted = True
                self.current.partial = True
                self.partial_key = self.current
                self.current = None
        elif body.startswith("Authentications that can continue: ") and self.partial:
            self.wanted = body.split(": ", 1)[1].split(",")
            trace.auth_methods_after_partial = list(self.wanted)
            trace.begin("authentication")
            self._close(False)
        elif body.startswith("Authentications that can continue: "):
            if not trace.auth_methods:
                trace.auth_methods = body.split(": ", 1)[1].split(",")
            trace.begin("authentication")
            self._close(False)
        elif body.startswith("Offering public key: "):
            self._close(False)
            found = _OFFER.match(text)
            if found:
                path, label, sha, source = found.groups()
                name = None if path.startswith("agent") or source == "agent" else path
                record = OfferedKey(name, sha, label, source or "default")
                record.comment = None if name else path
                trace.offered.append(record)
                trace.auth_method = "publickey"
                self.current, self.began = record, time.monotonic()
        elif body.startswith("Server accepts key: ") and self.current is not None:
            self.current.accepted = True
        elif body.startswith(
            ("Next authentication method: password", "Next authentication method: keyboard")
        ):
            trace.password_tried = True
        elif body.startswith("Authenticated to ") and self.proxied and "(via proxy)" not in body:
            # the ProxyJump host's login (its ssh shares our stderr): what it offered and was
            # told is not about the target, whose own login comes next
            trace.offered, trace.auth_methods, trace.attempts = [], [], []
            trace.auth_method, self.current = None, None
            self.jump_done = True
            trace.server_version = None  # the target's own greeting comes next
        elif body.startswith("Authenticated to "):
            found = re.search(r'using "([^"]+)"', body)
            trace.auth_method = found.group(1) if found else trace.auth_method
            self._close(trace.auth_method == "publickey")
            trace.end("authentication", True, trace.auth_method or "")
            trace.begin("session opened")
        elif body.startswith("Entering interactive session."):
            trace.end("session opened", True)
        elif body.startswith("Sending command: "):
            self.in_command = True
        elif body.startswith("Exit status "):
            self.exit_status = int(body.split()[2])
        elif body.startswith("read_passphrase: requested to askpass"):
            self.asked = True  # a passphrase was given and ssh used it
        elif "UNPROTECTED PRIVATE KEY FILE" in body:
            self.perm_path = "?"
        elif _LOADKEY.match(body):
            path, reason = _LOADKEY.match(body).groups()  # type: ignore[union-attr]
            if "incorrect passphrase" in reason:
                for record in trace.offered:
                    if record.path == path:
                        record.problem = "wrong-passphrase"
            if "bad permissions" in reason:
                found_key = next((k for k in trace.offered if k.path == path), None)
                if found_key is None:
                    found_key = OfferedKey(path, "?", "?", "explicit")
                found_key.problem = "permissions"  # still an offered key, as ssh printed
                trace.skipped.append(found_key)
                self.current = None
        elif "Permission denied (" in body:
            self.failure = "auth"
        elif body.startswith("ssh: Could not resolve hostname"):
            trace.end("resolve", False)
            self.failure = "dns"
        elif body.endswith("Connection refused"):
            self.failure = self.failure or "refused"
        elif "Network is unreachable" in body or "No route to host" in body:
            self.failure = self.failure or "unreachable"
        elif "timed out" in body:
            self.failure = self.failure or "timeout"
        elif body.startswith("kex_exchange_identification: ") and trace.server_version is None:
            if "banner line" not in body:
                self.failure = self.failure or "not-ssh"
            elif not body.split(": ", 2)[-1].startswith("SSH-"):
                self.failure = "not-ssh"
        elif body.startswith("Received disconnect from "):
            found = re.match(r"Received disconnect from .*?:(\d+): (.*)$", body)
            if found:
                self.disconnect = (int(found.group(1)), found.group(2))
                self.failure = self.failure or "disconnect"
        elif body.startswith("Connection closed by") or body.startswith("Connection reset by"):
            self.failure = self.failure or "closed"

    def _close(self, ok: bool) -> None:
        if self.current is not None:
            self.current.used = ok
            self.trace.attempt("publickey", self.current, ok, self.began)
            self.current = None

    def exception(self) -> Exception:
        import asyncssh

        failure = self.failure
        if failure == "dns":
            return socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if failure == "refused":
            return ConnectionRefusedError()
        if failure == "timeout":
            return TimeoutError()
        if failure == "unreachable":
            import errno

            return OSError(errno.ENETUNREACH, "Network is unreachable")
        if failure == "host-key":
            return asyncssh.HostKeyNotVerifiable("Host key verification failed")
        if failure == "auth":
            for record in self.trace.offered:
                if (
                    record.accepted
                    and not record.used
                    and record.problem is None
                    and _encrypted(record.path)
                ):
                    record.problem = "wrong-passphrase" if self.asked else "needs-passphrase"
            return asyncssh.PermissionDenied("Permission denied")
        if failure == "disconnect" and self.disconnect is not None:
            return asyncssh.DisconnectError(*self.disconnect)
        if failure == "not-ssh":
            return asyncssh.ProtocolError("not an SSH server")
        return asyncssh.ConnectionLost("Connection closed")


def certificate_verdict(trace: Trace) -> tuple[Outcome, str, str] | None:
    """certificate-invalid when every key refused was a certificate sshd could not accept here
    (or the key it certifies), checked locally as sshd would; None otherwise."""
    from tui.core.connect.certificate_local import certificate_problems_from_file

    certs = [k for k in trace.offered if k.label.endswith("-CERT") and k.path]
    if not certs:
        return None
    problems: list[str] = []
    for record in certs:
        base = Path(str(record.path))
        candidates = [base, Path(f"{base}-cert.pub"), Path(f"{base}.pub")]
        for candidate in candidates:
            if not candidate.is_file():
                continue
            found = certificate_problems_from_file(candidate, trace.user)
            if found is None:
                continue
            if found:
                record.problem = "certificate-invalid"
                problems += [f"{visible(str(candidate))}: {problem}" for problem in found]
            break
    certified = {k.sha256 for k in certs if k.problem == "certificate-invalid"}
    if not problems or any(k.sha256 not in certified for k in trace.offered):
        return None
    trace.certificate_problems.extend(problems)
    return certificate_invalid(problems)


def _encrypted(path: str | None) -> bool:
    """Is this key file encrypted? A key the server took and ssh could not sign with is; an
    unencrypted one was signed with and refused after (PermitRootLogin no, an expired account).
    """
    if path is None:
        return False  # an agent key: the agent signs
    from tui.core.keys.private import inspect_private_key, read_private_key_text

    try:
        return inspect_private_key(read_private_key_text(Path(path))).encrypted
    except Exception:  # noqa: BLE001 - unreadable or not a private key: assume ssh could not
        return True

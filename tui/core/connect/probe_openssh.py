"""The second engine: the system's own ``ssh -vvv -o BatchMode=yes``, read line by line.

For people who want OpenSSH's exact words: its stderr streams into the transcript as it comes,
and the same stages, facts and outcome are read from its lines, so both engines answer the same
question the same way. How ssh is called (HOME's files, the passphrase through ``SSH_ASKPASS``)
is in :mod:`tui.core.connect.openssh_call`. BatchMode means ssh never asks anything: an encrypted key
that is not in the agent ends as ``key-needs-passphrase``; with ``--passphrase-stdin`` BatchMode
is replaced by "no password prompts" and the askpass helper answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from tui.core.connect.client import ConnectOptions, resolve_config
from tui.core.connect.engine import EngineName, ProbeOptions, Sink
from tui.core.connect.identities import DEFAULT_NAMES
from tui.core.connect.openssh_call import Askpass, passwd_home, rehomed_config, ssh_command
from tui.core.connect.outcomes import Outcome
from tui.core.connect.result import ProbeResult, result_from_trace, sentence
from tui.core.connect.session_outcomes import (
    auth_partial,
    certificate_invalid,
    logged_in,
    no_common_algorithm,
    parse_unable,
    session_failed,
    ssh_command_hint,
)
from tui.core.connect.trace import OfferedKey, Trace
from tui.core.text import visible

__all__ = ["OpensshEngine", "rehomed_config", "run_openssh", "ssh_command"]

_LEVEL = re.compile(r"^debug([123]): ")
_OFFER = re.compile(r"^debug1: Offering public key: (.+?) (\S+) (SHA256:\S+)(?: (.*))?$")
_ACCEPT = re.compile(r"^debug1: Server accepts key: (.+?) \S+ (SHA256:\S+)")
_VERBOSE_ONLY = re.compile(
    r"^(OpenSSH_|Authenticated to |Authenticated using |Transferred: |Bytes per second: |  #\d+ )"
)
_LOADKEY = re.compile(r'^Load key "(.+)": (.*)$')


class _Reader:
    """Turns ssh's lines into stages and facts on a Trace."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.changed = False
        self.failure: str | None = None  # a key of _failure_exception
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


def _certificates(trace: Trace) -> tuple[Outcome, str, str] | None:
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


class OpensshEngine:
    name: EngineName = "openssh"

    async def run(self, options: ProbeOptions, sink: Sink | None) -> ProbeResult:
        return await run_openssh(options, sink)


async def run_openssh(options: ProbeOptions, sink: Sink | None) -> ProbeResult:
    """Run ``ssh -vvv`` for these options, streaming its lines; returns the result."""
    connect: ConnectOptions = options.connect
    trace = Trace(sink=sink)
    trace.host, trace.port, trace.user = (
        connect.target.host,
        connect.effective_port,
        connect.target.user,
    )
    trace.add_secret(connect.passphrase)
    trace.add_secret(connect.password)
    reader = _Reader(trace)
    reader.proxied = resolve_config(connect).proxied
    home = Path.home()
    # default names passed as IdentityFile make ssh complain about the missing ones, which
    # it never does for its own defaults
    reader.quiet = {
        f"no such identity: {home / '.ssh' / name}: No such file or directory"
        for name in DEFAULT_NAMES
    }
    config = connect.config_file or home / ".ssh" / "config"
    text = None
    if config.is_file() and (reader.proxied or passwd_home().resolve() != home.resolve()):
        text = rehomed_config(config, home)
    if text is not None and reader.proxied:
        # the ssh that ProxyJump starts never sees our -o options, only the config: the jump
        # host's key is checked with the same rule (--accept-new applies to it) and, unless a
        # secret is to be given, nothing is asked
        accept = connect.accept_new or resolve_config(connect).accept_new
        text += f"  StrictHostKeyChecking {'accept-new' if accept else 'yes'}\n"
        if connect.passphrase is None and connect.password is None:
            text += "  BatchMode yes\n"
    system = Path("/etc/ssh/ssh_config")
    rehomed = passwd_home().resolve() != home.resolve()
    if connect.config_file is None and rehomed and text is None:
        # no user config: ssh's defaults spelled against HOME, then the system's
        text = (
            f'Host *\n  UserKnownHostsFile "{home}/.ssh/known_hosts" "{home}/.ssh/known_hosts2"\n'
        )
    if connect.config_file is None and text is not None and system.is_file():
        # without -F, ssh reads /etc/ssh/ssh_config after the user's (Debian's says
        # HashKnownHosts yes); a copy given with -F would hide it
        text += f"Include {system}\n"
    with tempfile.TemporaryDirectory(prefix="sshdeck-config-") as scratch:
        copy = None
        if text is not None:
            copy = Path(scratch) / "config"
            copy.write_text(text)
            reader.renamed = (str(copy), str(config))
        args = ssh_command(connect, options.command, copy)
        trace.begin("resolve")
        with Askpass(connect.passphrase, connect.password) as env:
            return await _run(args, env, trace, reader, connect, options)


async def _run(
    args: list[str],
    env: dict[str, str] | None,
    trace: Trace,
    reader: _Reader,
    connect: ConnectOptions,
    options: ProbeOptions,
) -> ProbeResult:
    from tui.core.connect.diagnosis import diagnose

    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        start_new_session=True,  # no controlling terminal: ssh must use the askpass helper
    )
    assert process.stdout is not None and process.stderr is not None
    stdout_task = asyncio.ensure_future(process.stdout.read())
    loop = asyncio.get_running_loop()
    # ssh's ConnectTimeout ends at the greeting: a server that stalls later would hang it
    # forever, so the login as a whole gets --timeout, as in the other engine
    deadline = loop.time() + max(connect.timeout, 1.0)
    try:
        while True:
            if trace.reached("authentication"):
                raw = await process.stderr.readline()
            else:
                try:
                    raw = await asyncio.wait_for(
                        process.stderr.readline(), max(0.0, deadline - loop.time())
                    )
                except TimeoutError:
                    _kill(process)
                    reader.failure = "timeout"
                    break
            if not raw:
                break
            reader.feed(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        returncode = await process.wait()
        out = (await stdout_task).decode("utf-8", errors="replace")
    except asyncio.CancelledError:
        if process.returncode is None:
            _kill(process)
            await process.wait()
        stdout_task.cancel()
        raise
    target = connect.target.host
    if trace.reached("authentication"):
        trace.end("session opened", returncode != 255 or reader.exit_status is not None)
        status = reader.exit_status if reader.exit_status is not None else returncode
        remote_stderr = "".join(text + "\n" for text in reader.remote_stderr)
        if options.command is None and status != 0:  # as `ssh host true` (the other engine too)
            outcome, diagnosis, fix = session_failed(
                str(trace.host), str(trace.user), status, out + remote_stderr, options.command
            )
        else:
            key = next((k for k in trace.offered if k.used), None) or reader.partial_key
            outcome, diagnosis, fix = logged_in(
                str(trace.host),
                str(trace.user),
                key.name if key else None,
                trace.auth_method,
                bool(reader.partial),
                ssh_command_hint(connect, key),
            )
        diagnosis, fix = sentence(diagnosis), sentence(fix)
        trace.line(0, diagnosis if outcome == Outcome.OK else f"{diagnosis} {fix}")
        return result_from_trace(
            trace, target, outcome, diagnosis, fix, "openssh",
            exit_status=status, stdout=out, stderr=remote_stderr,
        )  # fmt: skip
    if reader.failure == "host-key" and trace.host_key_status == "unknown" and not reader.proxied:
        await _show_unknown_key(trace)
    stage = trace.fail_open_stage()
    parsed = parse_unable(reader.unable) if reader.unable else None
    if reader.failure == "negotiate" and parsed is not None:
        outcome, diagnosis, fix = no_common_algorithm(*parsed, connect.target.host)
        if reader.proxied and not reader.jump_done and reader.jump_host:
            diagnosis = f"The jump host {reader.jump_host} (ProxyJump) failed: {diagnosis}"
    elif reader.failure == "auth" and (found := _certificates(trace)) is not None:
        outcome, diagnosis, fix = found
    elif reader.failure == "auth" and reader.partial:
        name = reader.partial_key.name if reader.partial_key else None
        outcome, diagnosis, fix = auth_partial(
            str(trace.host), str(trace.user), reader.partial, name, reader.wanted,
            trace.password_tried and bool(connect.password),
        )  # fmt: skip
    elif reader.proxied and not reader.jump_done and reader.jump_host:
        # the ssh that ProxyJump started failed: the jump host, not the target, is at fault
        trace.failed_host = reader.jump_host
        target_host = trace.host
        trace.host = f"the jump host {reader.jump_host} (ProxyJump)"
        outcome, diagnosis, fix = diagnose(reader.exception(), trace, connect, stage)
        trace.host = target_host
    else:
        outcome, diagnosis, fix = diagnose(reader.exception(), trace, connect, stage)
    trace.line(0, f"{diagnosis}: {fix}.")
    return result_from_trace(
        trace, target, outcome, sentence(diagnosis), sentence(fix), "openssh", stdout=out
    )


def _kill(process: Any) -> None:
    """ssh and what it started (the ssh of a ProxyJump): its own session, one process group."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()


async def _show_unknown_key(trace: Trace) -> None:
    """The fingerprint and randomart of an unknown host key, which ssh in BatchMode never shows.

    ``ssh-keyscan`` fetches the key again; it is shown only when its SHA256 is the one ssh saw.
    """
    from tui.core.keys.public import parse_public_key

    seen = trace.host_key or {}
    if not seen.get("type") or not seen.get("sha256") or trace.address is None:
        return
    args = ["ssh-keyscan", "-T", "5", "-t", str(seen["type"]), "-p", str(trace.port)]
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            trace.address,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=10)
    except (OSError, TimeoutError):
        return
    for line in out.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) < 3 or line.startswith("#"):
            continue
        try:
            key = parse_public_key(" ".join(parts[1:3]))
        except Exception:  # noqa: BLE001 - not a key line: nothing to show
            continue
        if key.sha256 != seen["sha256"]:
            continue
        trace.server_key = key
        lines = [f"{key.label} key fingerprint is {key.sha256}.", *key.randomart().splitlines()]
        trace.host_key_lines = lines
        for text in lines:
            trace.line(0, text)
        return

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
import signal
import tempfile
from pathlib import Path
from typing import Any

from tui.core.connect.client import ConnectOptions, resolve_config
from tui.core.connect.engine import EngineName, ProbeOptions, Sink
from tui.core.connect.identities import DEFAULT_NAMES
from tui.core.connect.openssh_call import Askpass, passwd_home, rehomed_config, ssh_command
from tui.core.connect.openssh_reader import OpensshReader, certificate_verdict
from tui.core.connect.outcomes import Outcome
from tui.core.connect.result import ProbeResult, result_from_trace, sentence
from tui.core.connect.session_outcomes import (
    after_login,
    auth_partial,
    no_common_algorithm,
    parse_unable,
)
from tui.core.connect.trace import Trace

__all__ = ["OpensshEngine", "rehomed_config", "run_openssh", "ssh_command"]


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
    reader = OpensshReader(trace)
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
        with Askpass(connect.passphrase, connect.password) as askpass_env:
            env = _agent_environment(askpass_env, connect.environment.ssh_auth_sock)
            return await _run(args, env, trace, reader, connect, options)


def _agent_environment(env: dict[str, str] | None, agent: str | None) -> dict[str, str]:
    """ssh's environment with the settings' agent socket (the asyncssh engine uses the same)."""
    result = dict(env) if env is not None else dict(os.environ)
    if agent:
        result["SSH_AUTH_SOCK"] = agent
    else:
        result.pop("SSH_AUTH_SOCK", None)
    return result


async def _run(
    args: list[str],
    env: dict[str, str] | None,
    trace: Trace,
    reader: OpensshReader,
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
        key = next((k for k in trace.offered if k.used), None) or reader.partial_key
        outcome, diagnosis, fix = after_login(
            trace, connect, options.command, status, out + remote_stderr, key,
            bool(reader.partial),
        )  # fmt: skip
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
    elif reader.failure == "auth" and (found := certificate_verdict(trace)) is not None:
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

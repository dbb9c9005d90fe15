"""Install a public key in a host's ``authorized_keys``: ssh-copy-id's promises, done better.

The pure helpers (merging a key into the file's content, reading a hosts file, parsing targets)
are separate from the network part so that they can be tested byte for byte. The network part
works through SFTP: it never runs a shell on the host, so no quoting can go wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.errors import InvalidArgument, SshDeckError
from tui.core.keys import PublicKey, parse_public_keys

RESULTS = ("installed", "already-present", "would-install", "failed")
STAGES = ("connecting", "checking", "installing", "verifying", "done", "failed")
DEFAULT_SSH_PORT = 22


class InstallError(SshDeckError):
    """The key could not be installed on one host."""

    code = "install-failed"


@dataclass(frozen=True)
class HostResult:
    host: str
    user: str | None
    port: int
    result: str  # "installed" | "already-present" | "would-install" | "failed"
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "user": self.user,
            "port": self.port,
            "result": self.result,
            "error": self.error,
        }

    @property
    def has_key(self) -> bool:
        return self.result in ("installed", "already-present")


@dataclass(frozen=True)
class HostProgress:
    """One step of one host's installation, for progress rows."""

    host: str
    port: int
    stage: str  # one of STAGES
    detail: str | None = None


@dataclass(frozen=True)
class HostTarget:
    """Where to install: ``[user@]host[:port]`` after parsing."""

    host: str
    user: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class ConnectOptions:
    """How to log in to one host.

    Stand-in until ``tui.core.connect.ConnectOptions`` exists; field names follow it.
    """

    target: HostTarget
    port: int | None = None
    identities: tuple[Path, ...] = ()
    config_file: Path | None = None
    known_hosts_file: Path | None = None
    accept_new: bool = False
    timeout: float = 15.0
    password: str | None = field(default=None, repr=False)
    use_agent: bool = True

    @property
    def effective_port(self) -> int:
        return self.port or self.target.port or DEFAULT_SSH_PORT


# --------------------------------------------------------------------------- pure helpers


def key_present(content: str, public_key: PublicKey) -> bool:
    """True when the key's blob is already authorized (lines with options count)."""
    return any(existing.blob == public_key.blob for existing in parse_public_keys(content))


def merge_key(content: bytes, public_key: PublicKey) -> bytes | None:
    """The new ``authorized_keys`` content, or None when the key is already there.

    Every existing byte is kept; a newline is added first when the file lacks a final one.
    """
    text = content.decode("utf-8", errors="surrogateescape")
    if key_present(text, public_key):
        return None
    line = public_key.line().encode("utf-8") + b"\n"
    if content and not content.endswith(b"\n"):
        return content + b"\n" + line
    return content + line


def parse_target_text(text: str) -> HostTarget:
    """``[user@]host``, ``host:port`` or ``[v6addr]:port``; a clear error otherwise."""
    from tui.core.connect import parse_target

    parsed = parse_target(text)
    return HostTarget(host=parsed.host, user=parsed.user, port=parsed.port)


def parse_hosts_file(text: str) -> list[HostTarget]:
    """One target a line; blank lines and ``#`` comments (whole or trailing) are ignored."""
    targets = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            targets.append(parse_target_text(line))
        except InvalidArgument as exc:
            raise InvalidArgument(f"Line {number} of the hosts file: {exc}") from None
    return targets


def read_hosts_file(path: Path) -> list[HostTarget]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidArgument(
            f"Cannot read the hosts file {path} ({exc.strerror}); check the path."
        ) from None
    return parse_hosts_file(text)


def default_private_key(public_path: Path) -> Path | None:
    """The private key next to a ``.pub`` file, when it is there."""
    if public_path.suffix == ".pub":
        private = public_path.with_suffix("")
        if private.is_file():
            return private
    return None


# --------------------------------------------------------------------------- network part


async def _connect(options: ConnectOptions, client_keys: list[Path] | None = None) -> Any:
    import asyncssh

    kh_file = options.known_hosts_file or Path.home() / ".ssh" / "known_hosts"
    host, port = options.target.host, options.effective_port
    known_hosts: Any = asyncssh.import_known_hosts("")  # nothing trusted: unknown is refused
    if kh_file.exists():
        try:
            known_hosts = asyncssh.read_known_hosts(str(kh_file))
        except (OSError, ValueError):
            raise InstallError(
                f"Cannot read the known hosts file {kh_file}; fix or remove the bad line."
            ) from None
    record_new_key = options.accept_new and not any(known_hosts.match(host, "", port)[:2])
    if record_new_key:
        known_hosts = None  # accept-new: a host with no entry at all is trusted on first sight
    keys: Any = [str(p) for p in (client_keys if client_keys is not None else options.identities)]
    kwargs: dict[str, Any] = {
        "port": options.effective_port,
        "username": options.target.user or None,
        "client_keys": keys or None,
        "password": None if client_keys is not None else options.password,
        "config": [str(options.config_file)] if options.config_file else (),
        "connect_timeout": options.timeout,
        "known_hosts": known_hosts,
    }
    if client_keys is not None:
        kwargs["preferred_auth"] = "publickey"
    if client_keys is not None or not options.use_agent or "SSH_AUTH_SOCK" not in os.environ:
        kwargs["agent_path"] = None
    try:
        conn = await asyncssh.connect(host, **kwargs)
        if record_new_key:
            _remember_host_key(kh_file, host, port, conn.get_server_host_key())
        return conn
    except asyncssh.HostKeyNotVerifiable:
        raise InstallError(
            f"The host key of {options.target.host} does not match known_hosts or is unknown; "
            "check it before trusting it."
        ) from None
    except asyncssh.PermissionDenied:
        raise InstallError(
            f"Login to {options.target.host} was refused; give a key with --identity or a "
            "password with --password-stdin."
        ) from None
    except (TimeoutError, OSError, asyncssh.Error) as exc:
        reason = (
            getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
        )
        raise InstallError(
            f"Cannot connect to {options.target.host} port {options.effective_port} ({reason}); "
            "check the address and that sshd runs."
        ) from None


def _remember_host_key(kh_file: Path, host: str, port: int, key: Any) -> None:
    """Append the host's key to known_hosts like ``ssh -o StrictHostKeyChecking=accept-new``."""
    if key is None:
        return
    name = host if port == DEFAULT_SSH_PORT else f"[{host}]:{port}"
    line = f"{name} {key.export_public_key('openssh').decode().split()[0]} "
    line += key.export_public_key("openssh").decode().split()[1] + "\n"
    kh_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(kh_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


async def _install_over_sftp(sftp: Any, public_key: PublicKey, dry_run: bool) -> str:
    import asyncssh

    ssh_dir = ".ssh"
    path = posixpath.join(ssh_dir, "authorized_keys")
    try:
        content = await (await sftp.open(path, "rb")).read()
        attrs = await sftp.stat(path)
        mode = (attrs.permissions or 0o600) & 0o7777
    except asyncssh.SFTPNoSuchFile:
        content, mode = b"", 0o600
    merged = merge_key(content, public_key)
    if merged is None:
        return "already-present"
    if dry_run:
        return "would-install"
    if not await sftp.exists(ssh_dir):
        await sftp.mkdir(ssh_dir, asyncssh.SFTPAttrs(permissions=0o700))
        await sftp.chmod(ssh_dir, 0o700)
    temp = posixpath.join(ssh_dir, f".authorized_keys.sshdeck-{secrets.token_hex(6)}")
    try:
        async with sftp.open(temp, "wb", asyncssh.SFTPAttrs(permissions=0o600)) as handle:
            await handle.write(merged)
        await sftp.chmod(temp, mode)
        try:
            await sftp.posix_rename(temp, path)
        except asyncssh.SFTPOpUnsupported:
            if await sftp.exists(path):  # plain SFTP rename will not replace a file
                raise InstallError(
                    "The host's SFTP server cannot replace files atomically; add the key by hand."
                ) from None
            await sftp.rename(temp, path)
    except BaseException:
        with contextlib.suppress(asyncssh.Error, OSError):
            await sftp.remove(temp)  # never leave a half-written copy behind
        raise
    return "installed"


def _usable_key(path: Path) -> bool:
    """Verification needs the private key without a passphrase prompt; skip it otherwise."""
    import asyncssh

    try:
        asyncssh.read_private_key(str(path))
    except (OSError, asyncssh.KeyImportError, ValueError):
        return False
    return True


async def install(
    public_key: PublicKey,
    options: ConnectOptions,
    *,
    dry_run: bool = False,
    verify_with: Path | None = None,
    on_progress: Callable[[HostProgress], None] | None = None,
) -> HostResult:
    """Install the key on one host; never raises for a host problem, reports it instead."""
    host, port = options.target.host, options.effective_port

    def report(stage: str, detail: str | None = None) -> None:
        if on_progress is not None:
            on_progress(HostProgress(host, port, stage, detail))

    def result(outcome: str, error: str | None = None) -> HostResult:
        return HostResult(host, options.target.user, port, outcome, error)

    from asyncssh import ChannelOpenError

    try:
        report("connecting")
        conn = await _connect(options)
        async with conn:
            report("checking")
            async with conn.start_sftp_client() as sftp:
                if not dry_run:
                    report("installing")
                outcome = await _install_over_sftp(sftp, public_key, dry_run)
        if outcome == "installed" and verify_with is not None and _usable_key(verify_with):
            report("verifying")
            try:
                check = await _connect(options, client_keys=[verify_with])
            except InstallError:
                raise InstallError(
                    f"The key was added on {host} but logging in with it failed; check the "
                    "modes of the home directory and ~/.ssh there (sshd's StrictModes)."
                ) from None
            check.close()
    except SshDeckError as exc:
        report("failed", str(exc))
        return result("failed", str(exc))
    except ChannelOpenError:
        message = f"{host} offers no SFTP subsystem; enable 'Subsystem sftp' in its sshd_config."
        report("failed", message)
        return result("failed", message)
    except OSError as exc:
        message = f"Connection to {host} was lost ({exc.strerror or exc}); try again."
        report("failed", message)
        return result("failed", str(exc))
    except Exception as exc:  # one host's failure never stops the others
        message = f"Installing on {host} failed ({type(exc).__name__}); try again with ssh -v."
        report("failed", message)
        return result("failed", message)
    report("done", outcome)
    return result(outcome)


async def install_many(
    public_key: PublicKey,
    targets: list[ConnectOptions],
    *,
    parallel: int = 8,
    dry_run: bool = False,
    on_progress: Callable[[HostProgress], None] | None = None,
    verify_with: Path | None = None,
) -> list[HostResult]:
    """Install on every target, at most ``parallel`` at once, results in target order."""
    limit = asyncio.Semaphore(max(1, parallel))

    async def one(options: ConnectOptions) -> HostResult:
        async with limit:
            return await install(
                public_key,
                options,
                dry_run=dry_run,
                verify_with=verify_with,
                on_progress=on_progress,
            )

    return list(await asyncio.gather(*(one(options) for options in targets)))

"""The install run: log in to each host, add the key to ``authorized_keys``, verify the new login.

Split from :mod:`tui.core.upload.authorized_keys` (the pure helpers and the result types).
Logging in is the tester's code (:func:`tui.core.connect.client.open_connection`), so host keys
are checked exactly as ``sshdeck test`` checks them. The file is read and appended to by
:mod:`tui.core.upload.remote_files` (SFTP, or a constant ``sh`` script on hosts without SFTP),
never replaced, under a lock on the host, and read again afterwards. A host's failure is its
:class:`HostResult`, never an exception; ``install_many`` runs hosts in parallel, the first
login to a host alone when accept-new may write its host key.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui.core.connect.client import (
    ConnectionFailed,
    ConnectOptions,
    open_connection,
    resolve_config,
)
from tui.core.connect.power_os import power_os_note
from tui.core.errors import SshDeckError
from tui.core.keys.public import PublicKey
from tui.core.upload.authorized_keys import (
    HostProgress,
    HostResult,
    InstallError,
    InstallOutcome,
    InstallStage,
    missing_lines,
)
from tui.core.upload.remote_files import (
    AUTHORIZED_KEYS,
    RemoteLock,
    SftpFiles,
    ShellFiles,
    append_chunks,
)


async def _install_with(
    files: SftpFiles | ShellFiles,
    lock: RemoteLock | None,
    public_keys: Sequence[PublicKey],
    dry_run: bool,
    before_write: Callable[[], None],
) -> tuple[InstallOutcome, str]:
    """(result, detail) for one host.

    Under the host's lock (``lock``; None in a dry run): read, append the missing lines, read
    again. The append is refused when the file's size changed since it was read (ssh-copy-id
    takes no lock), and repeated when the lines are not in the file afterwards (something
    replaced it meanwhile); ``installed`` only once the second read shows every key.
    """
    path = await files.locate()
    async with lock or contextlib.nullcontext():
        made_dir = lock is not None and lock.made_ssh_dir
        announced, plan, wrote = False, "", False
        for _attempt in range(4):
            old = await files.read(path)
            content, mode = (old.content, old.mode) if old is not None else (b"", 0o600)
            added = missing_lines(content, public_keys)
            if added is None and wrote:  # ours are there after all (a slow file system)
                return "installed", plan
            if added is None:  # possibly put there by another program since the first read
                what = "the key is" if len(public_keys) == 1 else "all the keys are"
                return "already-present", f"{what} already in ~/{AUTHORIZED_KEYS}"
            prefix, lines = added
            noun = "the key" if len(lines) == 1 else f"{len(lines)} keys"
            if old is not None:
                plan = (
                    f"append {noun} to ~/{AUTHORIZED_KEYS} ({len(content)} bytes kept, "
                    f"mode {mode:o})"
                )
            elif not made_dir and await files.has_ssh_dir():
                plan = f"create ~/{AUTHORIZED_KEYS} (0600) with {noun}"
            else:
                plan = f"create ~/.ssh (0700) and ~/{AUTHORIZED_KEYS} (0600) with {noun}"
            if dry_run:
                return "would-install", f"would {plan}"
            if not announced:
                before_write()
                announced = True
            plan = plan.replace("append", "appended", 1)
            if not await files.append(path, append_chunks(prefix, lines), old):
                continue  # the file changed since it was read: read it again
            wrote = True
            after = await files.read(path)
            if after is not None and missing_lines(after.content, public_keys) is None:
                return "installed", plan
    raise InstallError(
        f"~/{AUTHORIZED_KEYS} kept changing while sshdeck appended to it (another program "
        "rewrites it); try again."
    )


def _can_verify(path: Path, public_key: PublicKey) -> bool:
    """Verification never prompts: the key must open without a passphrase or from the keyring."""
    import asyncssh

    try:
        asyncssh.read_private_key(str(path))
    except (OSError, asyncssh.KeyImportError, ValueError):
        from tui.core.secrets import get_passphrase

        try:
            return get_passphrase(public_key.sha256) is not None
        except Exception:  # no keyring backend: nothing to open the key with
            return False
    return True


async def _login_fails(
    options: ConnectOptions, private_key: Path, public_key: PublicKey, host: str
) -> str | None:
    """Log in with the new key alone; None when it worked, else the sentence that says why not.

    ssh_config's IdentityFile keys are offered as well (the tester offers keys as ssh does), so
    the facts the tester's client recorded must show that the key which logged in is the new one.
    (No trace is passed in: that would turn on asyncssh's debug log for every connection.)
    The host key is checked as for the first login, accept-new included: the first login has
    recorded a new key by now, except in a known_hosts that keeps nothing (``/dev/null``).
    """
    check = replace(options, identities=(private_key,), use_agent=False, password=None)
    refused = (
        f"The key was added on {host} but logging in with it failed; check that its sshd "
        "accepts keys (PubkeyAuthentication) of this type, and the modes of the home directory "
        "and ~/.ssh there (sshd's StrictModes)."
    )
    try:
        async with await open_connection(check) as conn:
            trace = getattr(conn.get_owner(), "trace", None)
    except ConnectionFailed as exc:
        if exc.outcome in ("auth-failed", "key-permissions", "key-needs-passphrase"):
            return refused
        return f"The key was added on {host} but the login to check it failed: {exc}"
    offered = getattr(trace, "offered", None) or []
    if offered and not any(k.used and k.sha256 == public_key.sha256 for k in offered):
        return (
            f"The key was added on {host} but another key (an IdentityFile of ssh_config) logged "
            f"in during the check; check it with ssh -i {private_key} -o IdentitiesOnly=yes."
        )
    return None


def _login_failure(
    exc: ConnectionFailed, options: ConnectOptions, host: str, user: str | None
) -> str:
    """The sentence for a host that could not be logged in to, in copy-id's terms.

    The tester's diagnosis of a refused login needs a full trace (kept only by ``sshdeck
    test``), so a refusal is described from the way in that was tried, naming the user.
    """
    if exc.outcome == "key-needs-passphrase":  # the tester's fix names its own options
        return (
            f"{exc.diagnosis}: load it into the ssh-agent (sshdeck agent add -f KEY, or ssh-add) "
            "and log in through the agent, or type its passphrase in a terminal."
        )
    if exc.outcome != "auth-failed":
        return str(exc)
    who = user or "the user"
    if options.password is not None:
        return (
            f"{host} refused the password for {who} (or accepts no passwords): check the user "
            "name and the password, or log in with a key it already trusts."
        )
    if options.identities:
        names = ", ".join(str(path) for path in options.identities)
        return (
            f"{host} refused the key {names} for {who}: check the user name, or log in with a "
            "key it already trusts, the agent, or the account's password."
        )
    return (
        f"{host} refused every key offered for {who} (the agent's and ~/.ssh keys): check the "
        "user name, or log in with a key file it trusts or the account's password."
    )


@contextlib.contextmanager
def _trial_known_hosts(options: ConnectOptions, user_file: Path) -> Any:
    """For a dry run with accept-new: trust new host keys in a scratch copy, not in the real file."""
    if not options.accept_new:
        yield options
        return
    scratch = Path(tempfile.mkdtemp(prefix="sshdeck-dry-"))
    try:
        copy = scratch / "known_hosts"
        if user_file.is_file():
            shutil.copyfile(user_file, copy)
        yield replace(options, known_hosts_file=copy)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


async def install(
    public_key: PublicKey | Sequence[PublicKey],
    options: ConnectOptions,
    *,
    dry_run: bool = False,
    verify_with: Path | None = None,
    on_progress: Callable[[HostProgress], None] | None = None,
    index: int = 0,
) -> HostResult:
    """Install the key on one host; never raises for a host problem, reports it instead.

    ``verify_with`` is the private key of ``public_key``: after installing, sshdeck logs in with
    it alone (no agent, no password) and reports whether that worked in ``verified``.
    """
    host, port, user = options.target.host, options.effective_port, options.target.user

    def report(
        stage: InstallStage, detail: str | None = None, result: HostResult | None = None
    ) -> None:
        if on_progress is not None:
            on_progress(HostProgress(index, host, port, stage, detail, result))

    def finish(outcome: InstallOutcome, error: str | None = None, **extra: Any) -> HostResult:
        result = HostResult(host, user, port, outcome, error, **extra)
        report("failed" if outcome == "failed" else "done", error or result.detail, result)
        return result

    import asyncssh

    keys = [public_key] if isinstance(public_key, PublicKey) else list(public_key)
    public_key = keys[0]
    try:
        report("connecting")
        resolved = resolve_config(options)  # ~/.ssh/config may give the port and the user
        port, user = resolved.port, resolved.user
        user_file = resolved.known_hosts[0]  # where accept-new would write
        trial = _trial_known_hosts(options, user_file) if dry_run else None
        with trial or contextlib.nullcontext(options) as opts:
            conn = await open_connection(opts)
        async with conn:
            report("checking")
            # AIX and IBM i (Power's own) keep keys elsewhere or stricter: say so in the notes
            power_note = power_os_note(str(conn.get_extra_info("server_version") or "") or None)
            lock = None if dry_run else RemoteLock(conn)
            try:
                sftp = await conn.start_sftp_client()
            except asyncssh.ChannelOpenError:  # no sftp subsystem: sh, as ssh-copy-id does
                outcome, detail = await _install_with(
                    ShellFiles(conn), lock, keys, dry_run, lambda: report("installing")
                )
            else:
                async with sftp:
                    outcome, detail = await _install_with(
                        SftpFiles(sftp), lock, keys, dry_run, lambda: report("installing")
                    )
        if power_note:
            detail = f"{detail}. {power_note}"
        if outcome != "installed" or verify_with is None or len(keys) != 1:
            return finish(outcome, detail=detail)
        if not _can_verify(verify_with, public_key):
            return finish(
                outcome, detail=f"{detail}; not verified: {verify_with.name} needs a passphrase"
            )
        report("verifying")
        failure = await _login_fails(options, verify_with, public_key, host)
        if failure is not None:
            return finish(outcome, failure, verified=False, detail=detail)
        return finish(outcome, verified=True, detail=f"{detail}; login with the new key works")
    except ConnectionFailed as exc:
        return finish("failed", _login_failure(exc, options, host, user))
    except SshDeckError as exc:
        return finish("failed", str(exc))
    except asyncssh.ChannelOpenError:
        return finish("failed", f"{host} allows neither SFTP nor a shell; add the key by hand.")
    except asyncssh.SFTPError as exc:
        return finish(
            "failed",
            f"{host} refused to change ~/{AUTHORIZED_KEYS} ({exc.reason}); the user must own "
            "~/.ssh and be able to write in it there.",
        )
    except (OSError, asyncssh.Error) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "closed"
        return finish("failed", f"The connection to {host} was lost ({reason}); try again.")
    except Exception as exc:  # one host's failure never stops the others
        return finish(
            "failed", f"Installing on {host} failed ({type(exc).__name__}); try sshdeck test."
        )


async def install_many(
    public_key: PublicKey | Sequence[PublicKey],
    targets: list[ConnectOptions],
    *,
    parallel: int = 8,
    dry_run: bool = False,
    on_progress: Callable[[HostProgress], None] | None = None,
    verify_with: Path | None = None,
) -> list[HostResult]:
    """Install on every target, at most ``parallel`` at once, results in target order.

    With accept-new, the first login to a given host:port goes alone, so that its new host key
    is written to known_hosts once and the other logins to that host check against it.
    """
    limit = asyncio.Semaphore(max(1, parallel))
    first_login: dict[tuple[str, int], asyncio.Event] = {}

    async def one(index: int, options: ConnectOptions) -> HostResult:
        endpoint = (options.target.host, options.effective_port)
        gate: Awaitable[Any] | None = None
        if options.accept_new and endpoint in first_login:
            gate = first_login[endpoint].wait()
        elif options.accept_new:
            first_login[endpoint] = asyncio.Event()
        if gate is not None:
            await gate
        async with limit:
            try:
                return await install(
                    public_key,
                    options,
                    dry_run=dry_run,
                    verify_with=verify_with,
                    on_progress=on_progress,
                    index=index,
                )
            finally:
                if gate is None and options.accept_new:
                    first_login[endpoint].set()

    if on_progress is not None:
        for index, options in enumerate(targets):
            on_progress(HostProgress(index, options.target.host, options.effective_port, "waiting"))
    return list(await asyncio.gather(*(one(i, o) for i, o in enumerate(targets))))


__all__ = ["install", "install_many"]

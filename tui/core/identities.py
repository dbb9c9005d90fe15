"""The keys a login offers, in ssh's order, offered one at a time like ssh does.

Order (OpenSSH's ``pubkey_prepare``): the agent's keys (a key that is also an identity file is
offered from the agent, under the file's name), skipped when ``IdentitiesOnly`` unless they match
a file; then the ``-i`` files and the config's ``IdentityFile`` entries; the default names
(``~/.ssh/id_rsa``, ``id_ecdsa``, ``id_ecdsa_sk``, ``id_ed25519``, ``id_ed25519_sk``, ``id_dsa``)
only when neither gave a file.

A file key is offered by its public half only (from the ``.pub`` or the OpenSSH container, no
passphrase needed); the private key is read, and its passphrase looked for (keyring, then the one
given, then the ``ask`` callback), only when the server answers that it would accept the key:
exactly when ssh asks for a passphrase. A key readable by others is refused at that same moment
with OpenSSH's "UNPROTECTED PRIVATE KEY FILE" warning, as ssh does.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.errors import SshDeckError
from tui.core.keys import PublicKey, public_key_from_blob, read_public_key_file
from tui.core.private import inspect_private_key, read_private_key_text
from tui.core.trace import OfferedKey, Trace

DEFAULT_NAMES = ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa")

AskPassphrase = Callable[[Path, str], Awaitable[str | None]]


@dataclass
class Identity:
    """A key to offer: from a file, the agent, or both (``agent_pair`` set)."""

    record: OfferedKey
    public: PublicKey
    path: Path | None = None
    agent_pair: Any = None
    unprotected: int | None = None  # the file's mode when others may read it (ssh refuses it)


def _file_public_key(path: Path) -> tuple[PublicKey | None, bool]:
    """The public half of a private key file and whether it is encrypted."""
    text = read_private_key_text(path)
    info = inspect_private_key(text)
    public = info.public
    if public is None:
        pub = path.with_name(path.name + ".pub")
        public = read_public_key_file(pub) if pub.is_file() else None
    return public, info.encrypted


def _unprotected(path: Path) -> int | None:
    """The mode when the key is readable or writable by others (ssh refuses it)."""
    try:
        info = path.stat()
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid == os.getuid() and mode & 0o077:
        return mode
    return None


def permission_lines(path: Path, mode: int) -> list[str]:
    bar = "@" * 59
    return [
        bar,
        "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @",
        bar,
        f"Permissions 0{mode:o} for '{path}' are too open.",
        "It is required that your private key files are NOT accessible by others.",
        "This private key will be ignored.",
        f'Load key "{path}": bad permissions',
    ]


async def collect(
    trace: Trace,
    files: list[Path],
    explicit: bool,
    identities_only: bool,
    agent_path: str | None,
) -> list[Identity]:
    """Build the list of keys to offer, writing ssh's setup lines into the transcript."""
    loaded: list[Identity] = []
    for path in files:
        path = path.expanduser()
        if not path.is_file():
            trace.debug(1, f"identity file {path} type -1")
            continue
        try:
            public, _encrypted = _file_public_key(path)
        except (SshDeckError, OSError, ValueError) as exc:
            trace.debug(1, f'Load key "{path}": {exc}')
            continue
        if public is None:
            trace.debug(1, f'Load key "{path}": encrypted PEM key without a .pub beside it')
            continue
        source = "explicit" if explicit else "default"
        record = OfferedKey(str(path), public.sha256, public.label, source)
        trace.debug(1, f"identity file {path} type {public.key_type}")
        # like ssh: the public half is offered all the same; the private key is refused (with
        # OpenSSH's warning) only when the server would take it
        loaded.append(Identity(record, public, path, unprotected=_unprotected(path)))
    ordered: list[Identity] = []
    if agent_path:
        for pair in await _agent_keys(trace, agent_path):
            public = public_key_from_blob(bytes(pair.public_data))
            same = next((i for i in loaded if i.public.plain_blob == public.plain_blob), None)
            if same is not None:
                loaded.remove(same)
                same.agent_pair = pair
                same.record.source += " agent"
                ordered.append(same)
            elif not identities_only:
                comment = pair.get_comment() or None
                record = OfferedKey(None, public.sha256, public.label, "agent", comment=comment)
                ordered.append(Identity(record, public, None, pair))
    ordered.extend(loaded)
    for identity in ordered:
        where = identity.record.name  # an agent key: its comment, as ssh prints it
        trace.debug(
            1,
            f"Will attempt key: {where} {identity.public.label} {identity.public.sha256}"
            + identity.record.suffix,
        )
    return ordered


async def _agent_keys(trace: Trace, agent_path: str) -> list[Any]:
    import asyncssh

    try:
        agent = await asyncssh.connect_agent(agent_path)
    except (OSError, asyncssh.Error):
        trace.debug(1, f"get_agent_identities: ssh_get_authentication_socket: {agent_path}")
        return []
    if agent is None:
        return []
    try:
        keys = list(await agent.get_keys())
    except (OSError, ValueError, asyncssh.Error):
        keys = []
    trace.debug(1, f"get_agent_identities: agent returned {len(keys)} keys")
    return keys


def offer_key_pair(
    identity: Identity,
    trace: Trace,
    passphrase: str | None,
    ask: AskPassphrase | None,
) -> Any:
    """An asyncssh key pair that offers the public key and loads the private one on demand."""
    import asyncssh

    public = asyncssh.import_public_key(identity.public.line(with_comment=False))
    record = identity.record
    path = identity.path

    class OnDemandKeyPair(asyncssh.SSHKeyPair):  # type: ignore[misc]
        _key_type = "local"

        def __init__(self) -> None:
            super().__init__(
                public.algorithm,
                public.algorithm,
                public.sig_algorithms,
                public.sig_algorithms,
                public.public_data,
                None,
                filename=str(path).encode() if path else None,
            )
            self._private: Any = None

        def set_sig_algorithm(self, sig_algorithm: bytes) -> None:
            super().set_sig_algorithm(sig_algorithm)
            if identity.agent_pair is not None:
                identity.agent_pair.set_sig_algorithm(sig_algorithm)

        async def sign_async(self, data: bytes) -> bytes:
            record.accepted = True
            trace.debug(
                1,
                f"Server accepts key: {record.name} {record.label} {record.sha256}{record.suffix}",
            )
            if identity.agent_pair is not None:
                result: bytes = await identity.agent_pair.sign_async(data)
                return result
            if identity.unprotected is not None and path is not None:
                for text in permission_lines(path, identity.unprotected):
                    trace.line(0, text)
                record.problem = "permissions"
                trace.skipped.append(record)
                raise ValueError("bad permissions")
            if self._private is None:
                self._private = await _load_private(identity, trace, passphrase, ask)
            signature: bytes = self._private.sign(data, self.sig_algorithm)
            return signature

    return OnDemandKeyPair()


async def _load_private(
    identity: Identity, trace: Trace, passphrase: str | None, ask: AskPassphrase | None
) -> Any:
    """Read the private key; keyring first, then the passphrase given, then ask."""
    import asyncssh

    path = identity.path
    assert path is not None
    record = identity.record
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, path.read_bytes)
    try:
        encrypted = inspect_private_key(data.decode("ascii", errors="replace")).encrypted
        if not encrypted:
            return asyncssh.import_private_key(data)
    except (SshDeckError, asyncssh.KeyImportError, ValueError) as exc:
        record.problem = "unreadable"
        trace.debug(1, f'Load key "{path}": {exc}')
        raise ValueError("unreadable key") from None
    candidates: list[str] = []
    from tui.core.secrets import get_passphrase

    try:
        stored = get_passphrase(record.sha256)
    except Exception:  # no keyring backend: not a reason to fail the login
        stored = None
    if stored:
        candidates.append(stored)
        trace.debug(1, f"Passphrase for {path} found in the keyring")
    if passphrase is not None:
        candidates.append(passphrase)
    for candidate in candidates:
        trace.add_secret(candidate)
        key = await _decrypt(loop, data, candidate)
        if key is not None:
            return key
        trace.debug(1, f'Load key "{path}": incorrect passphrase supplied to decrypt private key')
        record.problem = "wrong-passphrase"
    if ask is not None:
        while True:
            answer = await ask(path, record.sha256)
            if answer is None:
                break
            trace.add_secret(answer)
            key = await _decrypt(loop, data, answer)
            if key is not None:
                return key
            trace.debug(1, f'Load key "{path}": incorrect passphrase supplied to decrypt key')
            record.problem = "wrong-passphrase"
    if record.problem is None:
        record.problem = "needs-passphrase"
        trace.line(0, f"Skipping {path}: it is encrypted and no passphrase was given for it.")
    raise ValueError("no passphrase")


async def _decrypt(loop: asyncio.AbstractEventLoop, data: bytes, passphrase: str) -> Any:
    import asyncssh

    try:
        return await loop.run_in_executor(None, asyncssh.import_private_key, data, passphrase)
    except (asyncssh.KeyEncryptionError, asyncssh.KeyImportError, ValueError):
        return None


def default_files(home: Path | None = None) -> list[Path]:
    base = (home or Path.home()) / ".ssh"
    return [base / name for name in DEFAULT_NAMES]

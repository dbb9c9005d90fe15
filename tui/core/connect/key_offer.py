"""A key offered the way ssh offers it: the public half first, the private half only when the
server would take it.

:func:`offer_key_pair` makes an asyncssh key pair from an :class:`~tui.core.connect.identities.Identity`
whose private key is read (and its passphrase looked for: keyring, the one given, then the
``ask`` callback) only when asyncssh signs, which is exactly when ssh asks for a passphrase; a
key readable by others is refused at that moment with OpenSSH's warning. The agent signs for an
agent key. The constructor arguments of ``asyncssh.SSHKeyPair`` are pinned in
:mod:`tui.core.connect.asyncssh_private`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tui.core.connect.identities import AskPassphrase, Identity, permission_lines
from tui.core.connect.trace import Trace
from tui.core.errors import SshDeckError
from tui.core.keys.private import inspect_private_key
from tui.core.text import visible

__all__ = ["offer_key_pair"]


def offer_key_pair(
    identity: Identity,
    trace: Trace,
    passphrase: str | None,
    ask: AskPassphrase | None,
    sig_algs: list[bytes] | None = None,
) -> Any:
    """An asyncssh key pair that offers the public key and loads the private one on demand.

    ``sig_algs`` (from :func:`rsa_sig_algs`) puts ssh's RSA signature algorithms first, so a
    server allowing only ``rsa-sha2-512`` gets that one.
    """
    import asyncssh

    plain = identity.key.public if identity.key is not None else identity.public
    public = asyncssh.import_public_key(plain.line(with_comment=False))
    record = identity.record
    path = identity.path
    algorithms = list(public.sig_algorithms)
    if sig_algs:
        algorithms = sig_algs + [alg for alg in algorithms if alg not in sig_algs]
    cert: Any = None
    if identity.certificate is not None:
        try:
            cert = asyncssh.import_certificate(identity.certificate)
        except (asyncssh.KeyImportError, ValueError):
            cert = None

    class OnDemandKeyPair(asyncssh.SSHKeyPair):
        _key_type = "local"  # asyncssh: a key signed here (pinned in asyncssh_private)

        def __init__(self) -> None:
            super().__init__(
                public.algorithm,
                algorithms[0] if sig_algs else public.algorithm,
                algorithms,
                algorithms,
                public.public_data,
                None,
                cert=cert,
                filename=str(path).encode() if path else None,
            )
            if sig_algs and cert is None:
                self.algorithm = self.sig_algorithm = algorithms[0]
            self._private: Any = None

        def set_sig_algorithm(self, sig_algorithm: bytes) -> None:
            super().set_sig_algorithm(sig_algorithm)
            if identity.agent_pair is not None:
                identity.agent_pair.set_sig_algorithm(sig_algorithm)

        async def sign_async(self, data: bytes) -> bytes:
            record.accepted = True
            trace.debug(
                1,
                f"Server accepts key: {visible(record.name)} {record.label} {record.sha256}{record.suffix}",
            )
            if identity.agent_pair is not None:
                result: bytes = await identity.agent_pair.sign_async(data)
                record.signed = True
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
            record.signed = True
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
        trace.debug(1, f'Load key "{visible(str(path))}": {exc}')
        raise ValueError("unreadable key") from None
    candidates: list[str] = []
    from tui.core.secrets import get_passphrase

    try:
        stored = get_passphrase(record.sha256)
    except Exception:  # no keyring backend: not a reason to fail the login
        stored = None
    if stored:
        candidates.append(stored)
        trace.debug(1, f"Passphrase for {visible(str(path))} found in the keyring")
    if passphrase is not None:
        candidates.append(passphrase)
    for candidate in candidates:
        trace.add_secret(candidate)
        key = await _decrypt(loop, data, candidate)
        if key is not None:
            return key
        trace.debug(
            1,
            f'Load key "{visible(str(path))}": incorrect passphrase supplied to decrypt private key',
        )
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
            trace.debug(
                1, f'Load key "{visible(str(path))}": incorrect passphrase supplied to decrypt key'
            )
            record.problem = "wrong-passphrase"
    if record.problem is None:
        record.problem = "needs-passphrase"
        trace.line(
            0, f"Skipping {visible(str(path))}: it is encrypted and no passphrase was given for it."
        )
    raise ValueError("no passphrase")


async def _decrypt(loop: asyncio.AbstractEventLoop, data: bytes, passphrase: str) -> Any:
    import asyncssh

    try:
        return await loop.run_in_executor(None, asyncssh.import_private_key, data, passphrase)
    except (asyncssh.KeyEncryptionError, asyncssh.KeyImportError, ValueError):
        return None

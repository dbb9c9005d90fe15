"""The ssh-agent, reached through ``SSH_AUTH_SOCK`` with asyncssh's agent client.

The socket comes from a :class:`~tui.core.settings.Settings` (``settings.ssh_auth_sock``) or is
given as a path; each function takes ``where`` (either, or None: read the environment once,
through ``Settings.from_environment``, for callers that have no settings yet).

List, add (optionally with a lifetime) and remove keys, as ``ssh-add -l/-L``, ``ssh-add -t``
and ``ssh-add -d`` do. The private key is opened by the core (so a wrong or missing passphrase
gives the core's sentence), then handed to the agent as an unencrypted in-memory copy: the KDF
runs once, and the decrypted key never touches the disk.

asyncssh is imported inside the functions: the CLI's other commands must not pay for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.errors import InvalidArgument, KeyFormatError, SshDeckError
from tui.core.keys import openssh_format
from tui.core.keys.private import OpenedKey, open_private_key_file
from tui.core.keys.public import PublicKey, public_key_from_blob, read_public_key_file
from tui.core.settings import Settings

#: where the agent is: its socket path, or settings that name it (None: the environment's)
AgentAddress = Settings | str | None


class AgentUnavailable(SshDeckError):
    """No agent to talk to: SSH_AUTH_SOCK unset, or nothing listening on it."""

    code = "no-agent"


class AgentError(SshDeckError):
    """The agent refused a request or answered nonsense."""

    code = "agent-error"


@dataclass(frozen=True)
class AgentKey:
    """One identity held by the agent (its comment is the one the agent was given)."""

    public: PublicKey

    @property
    def sha256(self) -> str:
        return self.public.sha256

    def to_json(self) -> dict[str, Any]:
        public = self.public
        return {
            "type": public.key_type,
            "bits": public.bits,
            "sha256": public.sha256,
            "md5": public.md5,
            "comment": public.comment,
            "public_key": public.line(),
        }


def agent_socket(where: AgentAddress = None) -> str | None:
    """The agent's socket path, or None when there is no agent to reach."""
    if isinstance(where, str):
        return where or None
    return (where or Settings.from_environment()).ssh_auth_sock


NO_AGENT = "No ssh-agent is running for this session (SSH_AUTH_SOCK is not set); start one with: eval $(ssh-agent)"


async def _connect(where: AgentAddress) -> Any:
    import asyncssh

    path = agent_socket(where)
    if not path:
        raise AgentUnavailable(NO_AGENT)
    try:
        return await asyncssh.connect_agent(path)
    except (OSError, asyncssh.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise AgentUnavailable(
            f"Cannot reach the ssh-agent at {path} ({reason}); start one with: eval $(ssh-agent)"
        ) from None


async def list_keys(where: AgentAddress = None) -> list[AgentKey]:
    """The agent's identities, in the agent's order (``ssh-add -L``)."""
    agent = await _connect(where)
    try:
        pairs = await agent.get_keys()
    except ValueError as exc:
        raise AgentError(f"The ssh-agent did not list its keys ({exc}).") from None
    finally:
        agent.close()
        await agent.wait_closed()
    found = []
    for pair in pairs:
        comment = pair.get_comment_bytes() or b""
        found.append(
            AgentKey(
                public_key_from_blob(
                    bytes(pair.public_data), comment=comment.decode("utf-8", "replace")
                )
            )
        )
    return found


def parse_lifetime(text: str) -> int:
    """Seconds from ``600``, ``10m``, ``1h30m`` (sshd_config time format, as ``ssh-add -t``)."""
    text = text.strip().lower()
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    parts = re.fullmatch(r"(?:\d+[smhdw]?)+", text)
    total = 0
    if parts:
        for number, unit in re.findall(r"(\d+)([smhdw]?)", text):
            total += int(number) * units[unit]
    if not parts or total <= 0 or total > 2**32 - 1:
        raise InvalidArgument(
            f"{text or 'an empty value'} is not a lifetime; give seconds (600) or a time like 10m or 1h30m."
        )
    return total


def _agent_copy(opened: OpenedKey, comment: str) -> Any:
    """An asyncssh key from the already-decrypted entry (no second KDF run)."""
    import asyncssh

    entry = openssh_format.PrivateEntry(opened.entry.key_type, opened.entry.fields, comment)
    text = openssh_format.build(opened.public.blob, entry, None)
    try:
        return asyncssh.import_private_key(text)
    except asyncssh.KeyImportError as exc:
        raise KeyFormatError(f"The ssh-agent cannot take this key ({exc}).") from None


def open_for_agent(path: Path, passphrase: str | None) -> OpenedKey:
    """Open the private key (blocking: the bcrypt KDF); raises PassphraseRequired/WrongPassphrase."""
    return open_private_key_file(Path(path), passphrase)


async def add_opened(
    path: Path, opened: OpenedKey, lifetime: int | None = None, where: AgentAddress = None
) -> PublicKey:
    """Give an opened key to the agent; its comment is the key's own, else the file name."""
    comment = opened.comment or str(path)
    key = _agent_copy(opened, comment)
    agent = await _connect(where)
    try:
        await agent.add_keys([key], lifetime=lifetime)
    except ValueError as exc:
        raise AgentError(f"The ssh-agent refused {path} ({exc}).") from None
    finally:
        agent.close()
        await agent.wait_closed()
    return public_key_from_blob(opened.public.blob, comment=comment)


async def add_key(
    path: Path,
    passphrase: str | None = None,
    lifetime: int | None = None,
    where: AgentAddress = None,
) -> PublicKey:
    """``ssh-add [-t lifetime] path`` (opens the key on the calling thread)."""
    return await add_opened(path, open_for_agent(path, passphrase), lifetime, where)


def public_key_for(path: Path) -> PublicKey:
    """The public key ``ssh-add -d`` would remove: FILE.pub, FILE itself, or the private's."""
    from tui.core.keys.generate import derive_public_key, public_path_for

    path = Path(path)
    pub = public_path_for(path)
    if pub.is_file():
        return read_public_key_file(pub)
    try:
        return read_public_key_file(path)
    except SshDeckError:
        return derive_public_key(path)


async def remove_key(public: PublicKey, where: AgentAddress = None) -> None:
    """Remove one identity (``ssh-add -d``); AgentError when the agent does not hold it."""
    agent = await _connect(where)
    try:
        held = await agent.get_keys()
        matching = [
            k for k in held if public_key_from_blob(bytes(k.public_data)).blob == public.blob
        ]
        if not matching:
            raise AgentError(f"The ssh-agent does not hold the key {public.sha256}.")
        await agent.remove_keys(matching)
    except ValueError as exc:
        raise AgentError(f"The ssh-agent refused to remove {public.sha256} ({exc}).") from None
    finally:
        agent.close()
        await agent.wait_closed()

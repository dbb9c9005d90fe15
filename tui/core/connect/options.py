"""Where to connect and how: the target, the connection options, and the one failure.

``[user@]host[:port]`` is parsed by :func:`parse_target`; :class:`ConnectOptions` carries what
``sshdeck test``, ``sshdeck copy-id`` and the screens ask for; :class:`ConnectionFailed` is what
a failed login raises, with its outcome code, diagnosis and fix. Shared by the client
(:mod:`tui.core.connect.client`), the ssh_config reader (:mod:`tui.core.connect.ssh_config`)
and both engines, so none of them imports the others for these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.connect import known_hosts as kh
from tui.core.connect.outcomes import Outcome
from tui.core.connect.trace import Trace
from tui.core.errors import InvalidArgument, SshDeckError
from tui.core.settings import Settings

__all__ = [
    "DEFAULT_PORT",
    "ConnectOptions",
    "ConnectionFailed",
    "InvalidTarget",
    "Target",
    "known_hosts_name",
    "parse_target",
]

DEFAULT_PORT = 22


class ConnectionFailed(SshDeckError):
    """The connection or the login failed; ``outcome`` is the issue's outcome code.

    ``diagnosis`` says what went wrong and ``fix`` what to do; ``str()`` joins them in one
    sentence. ``trace`` holds what was learned before the failure (when one was kept).
    """

    def __init__(
        self, outcome: Outcome, message: str, fix: str | None = None, trace: Trace | None = None
    ) -> None:
        text = f"{message}: {fix}." if fix else message
        super().__init__(text)
        self.outcome = Outcome(outcome)
        self.diagnosis = message if fix else message.partition("; ")[0]
        self.fix = fix or message.partition("; ")[2].rstrip(".")
        self.trace = trace


class InvalidTarget(InvalidArgument):
    """The text is not ``[user@]host[:port]``."""


@dataclass(frozen=True)
class Target:
    user: str | None
    host: str
    port: int | None = None


def parse_target(text: str) -> Target:
    """``[user@]host``, ``[user@]host:port`` or ``[user@][v6addr]:port``."""
    value = text.strip()
    if not value or any(ch.isspace() for ch in value):
        raise InvalidTarget(f"{text!r} is not a target; write [user@]host[:port].")
    user: str | None = None
    if "@" in value:
        user, _, value = value.rpartition("@")
        if not user:
            raise InvalidTarget(f"{text!r} has an empty user name; write user@host.")
    port: int | None = None
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InvalidTarget(f"{text!r} has an unclosed [address]; write [v6addr]:port.")
        port_text = rest[1:] if rest else None
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host, port_text = value, None  # a bare IPv6 address has several colons
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidTarget(f"{text!r} has an invalid port; use a number from 1 to 65535.")
        port = int(port_text)
    if not host:
        raise InvalidTarget(f"{text!r} has no host name; write [user@]host[:port].")
    return Target(user=user, host=host, port=port)


@dataclass(frozen=True)
class ConnectOptions:
    target: Target
    port: int | None = None
    identities: tuple[Path, ...] = ()
    config_file: Path | None = None
    known_hosts_file: Path | None = None
    accept_new: bool = False
    timeout: float = 15.0
    password: str | None = field(default=None, repr=False)
    use_agent: bool = True
    #: passphrase tried on encrypted keys after the keyring (the CLI's --passphrase-stdin)
    passphrase: str | None = field(default=None, repr=False)
    #: ``async (path, sha256) -> str | None`` asked when no passphrase opens a key (the TUI)
    ask_passphrase: Any = field(default=None, repr=False, compare=False)
    #: asyncssh's debug level for the trace (3 adds packet names, never their bytes)
    debug_level: int = 2
    #: ``async (prompt) -> str | None`` asked for a password or keyboard-interactive answer
    #: after the keys are exhausted, as ssh asks (the TUI); None gives up on that method
    ask_password: Any = field(default=None, repr=False, compare=False)
    #: offer only ``identities`` (and their certificates), never other agent keys; None: as
    #: the config says (``IdentitiesOnly``)
    identities_only: bool | None = None
    #: ``-o`` options as given on the command line (``Name=value``), applied before the config
    ssh_options: tuple[str, ...] = ()
    #: the environment (``SSH_AUTH_SOCK``), read once by :class:`~tui.core.settings.Settings`;
    #: None reads it now (``Settings.from_environment()``), for callers without one
    settings: Settings | None = field(default=None, repr=False, compare=False)

    @property
    def environment(self) -> Settings:
        return self.settings if self.settings is not None else Settings.from_environment()

    @property
    def effective_port(self) -> int:
        return self.port or self.target.port or DEFAULT_PORT

    @property
    def known_hosts_path(self) -> Path:
        return self.known_hosts_file or Path.home() / ".ssh" / "known_hosts"


def known_hosts_name(host: str, port: int) -> str:
    """The host name as ssh writes it in known_hosts."""
    return kh.host_name(host, port)

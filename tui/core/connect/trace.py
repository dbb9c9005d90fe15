"""What a login attempt reports while it runs: transcript lines, stages, and the facts learned.

``tui.core.connect.client`` writes into a :class:`Trace` as the connection goes (from asyncssh's log and
its own callbacks); the tester (``tui.core.connect.probe``) streams the events to the CLI or the screen,
and the installer simply passes none. Every line goes through :meth:`Trace.line`, which blanks
every secret registered with :meth:`Trace.add_secret`, so a password or passphrase cannot reach a
transcript even if some library were to log it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:
    from tui.core.connect.refusal import Cause
    from tui.core.keys.public import PublicKey

STAGES = (
    "resolve",
    "connect",
    "protocol version",
    "key exchange",
    "host key check",
    "authentication",
    "session opened",
)


#: why a key was not used, as the transcript and the diagnosis say it
KeyProblem: TypeAlias = Literal[
    "needs-passphrase",
    "wrong-passphrase",
    "permissions",
    "certificate-invalid",
    "no-mutual-signature",
    "unreadable",
]


@dataclass(frozen=True)
class TranscriptLine:
    """One line; ``level`` 0 is always shown (like ssh without -v), 1-3 need -v, -vv, -vvv."""

    level: int
    text: str


@dataclass(frozen=True)
class StageEvent:
    """A stage started (``ok`` None) or ended; ``ms`` is how long it took (or has taken)."""

    name: str
    ok: bool | None
    ms: int
    detail: str = ""


@dataclass(frozen=True)
class KeyOutcome:
    """What became of one key offered, as the result keeps it (a frozen copy of an
    :class:`OfferedKey`, which the engines fill in while the login runs)."""

    path: str | None
    sha256: str
    label: str
    source: str
    accepted: bool = False
    used: bool = False
    problem: KeyProblem | None = None
    comment: str | None = None
    signed: bool = False
    partial: bool = False
    certificate: str | None = None

    @property
    def suffix(self) -> str:
        """What ssh prints after the fingerprint: `` explicit``, `` agent``, or nothing."""
        return "" if self.source == "default" else " " + self.source

    @property
    def name(self) -> str:
        return self.path or self.comment or f"agent key {self.sha256}"


@dataclass
class OfferedKey:
    """One key tried for publickey authentication, and what became of it (while it runs)."""

    path: str | None  # None for an agent key with no file
    sha256: str
    label: str  # "ED25519", "RSA"...
    source: str  # "agent", "explicit", "default"
    accepted: bool = False  # the server said it would take this key (PK_OK)
    used: bool = False  # authentication succeeded with it
    problem: KeyProblem | None = None
    comment: str | None = None  # an agent key's comment (ssh shows it in place of a path)
    signed: bool = False  # a signature was sent with it (the server's last word decides)
    partial: bool = False  # accepted, but the server wants another method too (partial success)
    certificate: str | None = None  # the certificate file offered with this key

    @property
    def suffix(self) -> str:
        """What ssh prints after the fingerprint: `` explicit``, `` agent``, or nothing."""
        return "" if self.source == "default" else " " + self.source

    @property
    def name(self) -> str:
        return self.path or self.comment or f"agent key {self.sha256}"

    def outcome(self) -> KeyOutcome:
        """A frozen copy, for the result."""
        return KeyOutcome(**{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass
class Trace:
    """The facts of one attempt plus a sink for events (None: record facts only)."""

    sink: Callable[[TranscriptLine | StageEvent], None] | None = None
    started: float = field(default_factory=time.monotonic)
    user: str | None = None
    host: str | None = None
    port: int | None = None
    address: str | None = None
    server_version: str | None = None
    kex: str | None = None
    host_key: dict[str, str] | None = None
    known_hosts_file: Path | None = None  # the file an accepted key would be added to
    server_key: PublicKey | None = None  # the host's key (for trusting it after a look)
    host_key_status: str | None = None  # known / unknown / changed / revoked / added
    host_key_lines: list[str] = field(default_factory=list)  # the unknown or changed block
    auth_methods: list[str] = field(default_factory=list)
    offered: list[OfferedKey] = field(default_factory=list)
    skipped: list[OfferedKey] = field(default_factory=list)
    auth_method: str | None = None
    password_tried: bool = False
    banner: str | None = None
    #: the server's ``server-sig-algs`` (EXT_INFO); None when it sent none
    server_sig_algs: list[str] | None = None
    #: methods that succeeded with partial success (``AuthenticationMethods a,b``), in order
    partial_success: list[str] = field(default_factory=list)
    #: the methods the server still wanted after the last partial success
    auth_methods_after_partial: list[str] = field(default_factory=list)
    #: the server's KEXINIT lists, when known: kex, hostkey, cipher, mac, compression
    server_algs: dict[str, list[str]] | None = None
    #: our own lists for the same, to tell which one has nothing in common
    client_algs: dict[str, list[str]] | None = None
    #: the certificate problems found before connecting (expired, not yet valid, principal)
    certificate_problems: list[str] = field(default_factory=list)
    #: the jump host (ProxyJump) whose host key failed its check, when it was that one
    failed_host: str | None = None
    stages: list[StageEvent] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    lines: list[TranscriptLine] = field(default_factory=list)
    _secrets: list[str] = field(default_factory=list, repr=False)
    _stage_started: dict[str, float] = field(default_factory=dict, repr=False)
    #: an auth refusal's possible causes, ranked (tui.core.connect.refusal.Cause), set by the diagnosis
    causes: list[Cause] = field(default_factory=list)

    def add_secret(self, secret: str | None) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "********")
        return text

    def line(self, level: int, text: str) -> None:
        event = TranscriptLine(level, self.scrub(text))
        self.lines.append(event)
        if self.sink is not None:
            self.sink(event)

    def debug(self, level: int, text: str) -> None:
        self.line(level, f"debug{level}: {text}")

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def begin(self, name: str, detail: str = "", at: float | None = None) -> None:
        """Start a stage now, or at ``at`` (``time.monotonic()``) when it began earlier."""
        if name in self._stage_started:
            return
        self._stage_started[name] = time.monotonic() if at is None else at
        if self.sink is not None:
            self.sink(StageEvent(name, None, 0, detail))

    def end(self, name: str, ok: bool, detail: str = "", at: float | None = None) -> None:
        """End a stage now, or at ``at`` (starting it then if it never started); each stage
        ends once."""
        if any(stage.name == name for stage in self.stages):
            return
        now = time.monotonic() if at is None else at
        began = self._stage_started.setdefault(name, now)
        event = StageEvent(name, ok, int(max(0.0, now - began) * 1000), detail)
        self.stages.append(event)
        if self.sink is not None:
            self.sink(event)

    def fail_open_stage(self) -> str | None:
        """Mark the stage that was running as failed; returns its name."""
        done = {stage.name for stage in self.stages}
        running = [name for name in STAGES if name in self._stage_started and name not in done]
        if not running:
            return None
        self.end(running[-1], False)
        return running[-1]

    def attempt(self, method: str, key: OfferedKey | None, ok: bool, began: float) -> None:
        """One authentication attempt (per method and key), shown as a sub-stage."""
        record: dict[str, Any] = {
            "method": method,
            "key": key.name if key else None,
            "ok": ok,
            "ms": int((time.monotonic() - began) * 1000),
        }
        self.attempts.append(record)
        if self.sink is not None:
            label = f"{method} {key.name}" if key else method
            self.sink(StageEvent(f"authentication: {label}", ok, record["ms"]))

    def reached(self, name: str) -> bool:
        return any(stage.name == name and stage.ok for stage in self.stages)

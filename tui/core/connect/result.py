"""The end of a probe, shared by both engines: the frozen :class:`ProbeResult` and its sentences.

Both engines (:mod:`tui.core.connect.engine_asyncssh`, :mod:`tui.core.connect.probe_openssh`)
build their result here, once, from the :class:`~tui.core.connect.trace.Trace` they filled, so
neither engine imports the other. A result is never changed in place: what amends it (the
inspection of ``--inspect-with``) makes a new one with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui.core.connect.outcomes import Outcome
from tui.core.connect.refusal import CAUSES_INTRO, Cause
from tui.core.connect.trace import STAGES, KeyOutcome, StageEvent, Trace, TranscriptLine
from tui.core.keys.public import PublicKey

__all__ = ["ProbeResult", "result_from_trace", "sentence"]


def sentence(text: str) -> str:
    """A diagnosis or a fix as one sentence: capital first letter, final period."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


@dataclass(frozen=True)
class ProbeResult:
    """The end of a probe: what happened, why, and what to do."""

    ok: bool
    outcome: Outcome
    diagnosis: str
    fix: str
    target: str
    stages: tuple[StageEvent, ...] = ()
    attempts: tuple[Mapping[str, Any], ...] = ()
    server_version: str | None = None
    kex: str | None = None
    host_key: Mapping[str, str] | None = None
    host_key_status: str | None = None
    host_public_key: PublicKey | None = None
    host_key_lines: tuple[str, ...] = ()
    auth_methods: tuple[str, ...] = ()
    offered_keys: tuple[KeyOutcome, ...] = ()
    skipped_keys: tuple[KeyOutcome, ...] = ()
    host: str | None = None  # after ~/.ssh/config (HostName)
    port: int | None = None
    known_hosts_file: Path | None = None
    auth_method: str | None = None
    exit_status: int | None = None
    stdout: str = ""
    stderr: str = ""
    lines: tuple[TranscriptLine, ...] = ()
    engine: str = "asyncssh"
    server_sig_algs: tuple[str, ...] | None = None
    partial_success: tuple[str, ...] = ()
    failed_host: str | None = None  # the ProxyJump host that failed, when it was not the target
    certificate_problems: tuple[str, ...] = ()
    causes: tuple[Cause, ...] = ()  # ranked, most likely first
    inspection: dict[str, Any] | None = None  # --inspect-with: the server-side facts read
    banner: str | None = None  # the server's pre-login banner, as sent
    #: a sentence about the server's system when it is AIX or IBM i (tui.core.connect.power_os)
    power_os_note: str | None = field(default=None)

    @property
    def evidence(self) -> str:
        """The diagnosis without its inline list of ranked causes (a screen lists ``causes``
        apart); the whole diagnosis when it has none."""
        head, found, _causes = self.diagnosis.partition(" " + CAUSES_INTRO)
        return f"{head} sshd does not tell the client why." if found else self.diagnosis

    @property
    def accepted_key(self) -> KeyOutcome | None:
        return next((key for key in self.offered_keys if key.used), None)

    def to_json(self) -> dict[str, Any]:
        """The document of ``sshdeck test --json`` (README, section test)."""
        used = self.accepted_key
        return {
            "ok": self.ok,
            "outcome": str(self.outcome),
            "diagnosis": self.diagnosis,
            "fix": self.fix,
            "stages": [{"name": s.name, "ok": s.ok, "ms": s.ms} for s in self.stages],
            "server_version": self.server_version,
            "kex": self.kex,
            "host_key": dict(self.host_key) if self.host_key is not None else None,
            "auth_methods": list(self.auth_methods),
            "offered_keys": [
                {
                    "path": key.path,
                    "sha256": key.sha256,
                    "accepted": key.used or key.accepted,
                }
                for key in self.offered_keys
            ],
            "accepted_key": (used.path or used.sha256) if used else None,
            "auth_method": self.auth_method,
            "auth_attempts": [dict(attempt) for attempt in self.attempts],
            "host_key_status": self.host_key_status,
            "exit_status": self.exit_status,
            "target": self.target,
            "engine": self.engine,
            "server_sig_algs": (
                list(self.server_sig_algs) if self.server_sig_algs is not None else None
            ),
            "partial_success": list(self.partial_success),
            "failed_host": self.failed_host,
            "certificate_problems": list(self.certificate_problems),
            "causes": [cause.to_json() for cause in self.causes],
            **({"inspection": self.inspection} if self.inspection is not None else {}),
        }


def _tuple(values: Iterable[Any] | None) -> tuple[Any, ...]:
    return tuple(values or ())


def result_from_trace(
    trace: Trace,
    target: str,
    outcome: Outcome,
    diagnosis: str,
    fix: str,
    engine: str,
    *,
    exit_status: int | None = None,
    stdout: str = "",
    stderr: str = "",
) -> ProbeResult:
    """The one place a result is built: the trace's facts, in stage order, frozen."""
    from tui.core.connect.power_os import power_os_note

    order = {name: index for index, name in enumerate(STAGES)}
    stages = sorted(trace.stages, key=lambda s: order.get(s.name, 99))
    outcome = Outcome(outcome)
    return ProbeResult(
        ok=outcome == Outcome.OK,
        outcome=outcome,
        diagnosis=diagnosis,
        fix=fix,
        target=target,
        stages=tuple(stages),
        attempts=tuple(MappingProxyType(dict(attempt)) for attempt in trace.attempts),
        server_version=trace.server_version,
        kex=trace.kex,
        host_key=MappingProxyType(dict(trace.host_key)) if trace.host_key else None,
        host_key_status=trace.host_key_status,
        host_public_key=trace.server_key,
        host_key_lines=_tuple(trace.host_key_lines),
        auth_methods=_tuple(trace.auth_methods),
        offered_keys=tuple(key.outcome() for key in trace.offered),
        skipped_keys=tuple(key.outcome() for key in trace.skipped),
        host=trace.host,
        port=trace.port,
        known_hosts_file=trace.known_hosts_file,
        auth_method=trace.auth_method,
        exit_status=exit_status,
        stdout=stdout,
        stderr=stderr,
        lines=_tuple(trace.lines),
        engine=engine,
        server_sig_algs=(
            tuple(trace.server_sig_algs) if trace.server_sig_algs is not None else None
        ),
        partial_success=_tuple(trace.partial_success),
        failed_host=trace.failed_host,
        certificate_problems=_tuple(trace.certificate_problems),
        causes=_tuple(trace.causes),
        banner=trace.banner,
        power_os_note=power_os_note(trace.server_version, trace.banner),
    )

"""The tester's outcome codes: one enum, compared by value, printed as is in JSON.

``Outcome`` is a ``StrEnum``, so ``Outcome.AUTH_FAILED == "auth-failed"`` and JSON output stays
the plain string scripts are written against. Add codes; never rename one (README contract).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Outcome"]


class Outcome(StrEnum):
    OK = "ok"
    DNS_FAILURE = "dns-failure"
    CONNECTION_REFUSED = "connection-refused"
    TIMEOUT = "timeout"
    NETWORK_UNREACHABLE = "network-unreachable"
    NOT_SSH = "not-ssh"
    NO_COMMON_ALGORITHM = "no-common-algorithm"
    HOST_KEY_UNKNOWN = "host-key-unknown"
    HOST_KEY_CHANGED = "host-key-changed"
    AUTH_FAILED = "auth-failed"
    AUTH_PARTIAL = "auth-partial"
    KEY_NEEDS_PASSPHRASE = "key-needs-passphrase"
    KEY_PERMISSIONS = "key-permissions"
    CERTIFICATE_INVALID = "certificate-invalid"
    SESSION_FAILED = "session-failed"
    DISCONNECTED = "disconnected"

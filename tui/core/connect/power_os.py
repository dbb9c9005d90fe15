"""A note for AIX and IBM i hosts, which Power Virtual Server runs beside Linux.

Both ship OpenSSH, but not where or how Linux does: AIX keeps root's keys in
``~root/.ssh/authorized_keys`` with ``/`` as root's home and older images accept only RSA keys;
IBM i runs sshd from PASE, where the home directory of a profile must exist in the IFS and be
owned by it with no write access for others, or sshd ignores the key. The tester and the
install call :func:`power_os_note` with what they learned (the SSH version string, the banner,
the cloud's ``osType``) and show the sentence in their notes. It lives in the connect wing
because it reads what a server shows of itself; the upload wing (above connect) uses it too.
"""

from __future__ import annotations

import re

__all__ = ["detect_power_os", "power_os_note"]

_AIX = re.compile(r"\bAIX\b|OpenSSH_[\d.]+p?\d*\s+AIX|\baix\b", re.IGNORECASE)
_IBMI = re.compile(r"\bIBM\s*i\b|\bOS/?400\b|\bi5/OS\b|\bAS/?400\b|\bPASE\b", re.IGNORECASE)

NOTES = {
    "aix": (
        "This is an AIX host (IBM Power): root's home is /, so its keys go in "
        "/.ssh/authorized_keys, and older AIX images accept only RSA keys "
        "(make one with `sshdeck keygen -t rsa -b 4096`)."
    ),
    "ibmi": (
        "This is an IBM i host (IBM Power): sshd runs in PASE and ignores a key unless the "
        "profile's home directory exists in the IFS, is owned by the profile and is not "
        "writable by others (as are ~/.ssh and authorized_keys); set them with CHGAUT or chmod."
    ),
}


def detect_power_os(
    server_version: str | None, banner: str | None = None, os_type: str | None = None
) -> str | None:
    """``"aix"``, ``"ibmi"`` or None, from the cloud's osType, then the version and banner."""
    kind = (os_type or "").strip().lower()
    if kind in ("aix", "ibmi"):
        return kind
    for text in (server_version, banner):
        if not text:
            continue
        if _IBMI.search(text):
            return "ibmi"
        if _AIX.search(text):
            return "aix"
    return None


def power_os_note(
    server_version: str | None, banner: str | None = None, os_type: str | None = None
) -> str | None:
    """One sentence for an AIX or IBM i host, or None for anything else."""
    kind = detect_power_os(server_version, banner, os_type)
    return NOTES[kind] if kind else None

"""Is a user certificate valid for this login? Checked locally, as sshd would check it.

For the openssh engine, which sees only "Permission denied" when sshd refuses a certificate
(``sshkey_cert_check_authority()``: expired, not yet valid, name is not a listed principal): the
certificate ssh offered is read with ``ssh-keygen -L`` (OpenSSH's own reading of it) and its
validity and principals compared with now and the login user.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

__all__ = ["certificate_problems_from_file"]


def _when(text: str) -> float | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").timestamp()  # local time
    except ValueError:
        return None


def certificate_problems_from_file(
    path: Path, login_user: str | None, now: float | None = None
) -> list[str] | None:
    """sshd's words for what is wrong (empty: valid); None when ``path`` is no certificate."""
    try:
        done = subprocess.run(
            ["ssh-keygen", "-L", "-f", str(path)],
            capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or "certificate" not in done.stdout:
        return None
    moment = now if now is not None else dt.datetime.now().timestamp()
    problems: list[str] = []
    principals: list[str] = []
    reading_principals = False
    for raw in done.stdout.splitlines():
        line = raw.strip()
        if raw.startswith(" " * 16) or raw.startswith("\t\t"):  # a list item (principals...)
            if reading_principals and line != "(none)":
                principals.append(line)
            continue
        reading_principals = line.startswith("Principals:") and "(none)" not in line
        if line.startswith("Type:") and "user certificate" not in line:
            problems.append("not a user certificate")
        if line.startswith("Valid:"):
            words = line.split()
            after = before = None
            if "from" in words and "to" in words:
                after = _when(words[words.index("from") + 1])
                before = _when(words[words.index("to") + 1])
            elif "after" in words:
                after = _when(words[words.index("after") + 1])
            elif "before" in words:
                before = _when(words[words.index("before") + 1])
            if after is not None and moment < after:
                problems.append("not yet valid")
            if before is not None and moment >= before:
                problems.append("expired")
    if login_user and principals and login_user not in principals:
        problems.append("name is not a listed principal")
    return problems

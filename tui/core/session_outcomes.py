"""Diagnoses both engines share for three outcomes: no common algorithm, partial success, and a
session that fails after the login.

Written from ssh's own words (``kex.c: kex_choose_conf()``: "Unable to negotiate with H port P:
no matching cipher found. Their offer: …"), so the openssh engine, which reads them, and the
asyncssh engine, which learns the same facts, say the same thing. Server text goes through
:func:`tui.core.text.visible`. Results are ``(outcome, diagnosis, fix)`` like
:func:`tui.core.diagnosis.diagnose`, without final periods.
"""

from __future__ import annotations

import re

from tui.core.outcomes import Outcome
from tui.core.text import visible

__all__ = ["NOLOGIN", "auth_partial", "no_common_algorithm", "parse_unable", "session_failed"]

#: what /usr/sbin/nologin prints (and ``ssh host true`` shows) for an account that may not log in
NOLOGIN = "This account is currently not available."

# ssh's reason -> the ssh_config keyword that widens it
_KEYWORDS = {
    "key exchange method": "KexAlgorithms",
    "host key type": "HostKeyAlgorithms",
    "cipher": "Ciphers",
    "MAC": "MACs",
    "compression method": "Compression",
}
_UNABLE = re.compile(
    r"^Unable to negotiate with (.+?): no matching (.+?) found\. Their offer: (.*)$"
)
_PSEUDO = ("kex-strict-", "ext-info-")  # markers in a KEXINIT list, not algorithms


def parse_unable(line: str) -> tuple[str, str, str] | None:
    """ssh's "Unable to negotiate" line as (where, what, their offer as printed), or None."""
    found = _UNABLE.match(line.strip())
    if found is None:
        return None
    where, what, offer = found.groups()
    return where, what, offer


def no_common_algorithm(
    where: str, what: str, their_offer: str, host_alias: str
) -> tuple[str, str, str]:
    """``where`` is ssh's "H port P"; ``what`` its "cipher", "key exchange method", ...;
    ``their_offer`` the server's list as ssh prints it (markers such as kex-strict included)."""
    keyword = _KEYWORDS.get(what, "")
    offer = [a for a in their_offer.split(",") if a and not a.startswith(_PSEUDO)]
    shown = visible(their_offer)
    diagnosis = (
        f"Unable to negotiate with {visible(where)}: no matching {what} found. Their offer: "
        f"{shown} (the server offers only {what}s this ssh does not enable by default)"
    )
    if keyword == "Compression":
        fix = f"set Compression for Host {host_alias} in ~/.ssh/config, or update the server"
    elif keyword and offer:
        fix = (
            f"if you trust this old server, add '{keyword} +{visible(offer[0])}' under "
            f"'Host {host_alias}' in ~/.ssh/config; better, update the server's sshd"
        )
    else:
        fix = "update the server's sshd, or enable one of its algorithms in ~/.ssh/config"
    return (Outcome.NO_COMMON_ALGORITHM, diagnosis, fix)


def auth_partial(
    host: str, user: str, done: list[str], key_name: str | None, wanted: list[str]
) -> tuple[str, str, str]:
    """The server took one method (``done``) and wants more (``wanted``): AuthenticationMethods."""
    first = f"your key {visible(key_name)}" if key_name else " and ".join(done)
    more = " or ".join(wanted) or "another method"
    return (
        Outcome.AUTH_PARTIAL,
        f"{host} accepted {first} for {user} but also wants {more} (sshd's "
        "AuthenticationMethods asks for more than one method)",
        "run again with the password (--password-stdin, or the tester's prompt); ssh itself "
        "asks for it after the key",
    )


def session_failed(
    host: str, user: str, status: int | None, message: str, command: str | None
) -> tuple[str, str, str]:
    """Logged in, but ``ssh host true`` (or the command) did not run: nologin, ForceCommand."""
    said = visible(message.strip()[:300], multiline=False)
    code = f"exit status {status}" if status is not None else "no exit status"
    if NOLOGIN in message:
        return (
            Outcome.SESSION_FAILED,
            f"Logged in to {host} as {user}, but the account's shell refuses sessions "
            f'("{said}", {code}: the shell is nologin or false)',
            f"give {user} a login shell if it should log in (as root: chsh -s /bin/bash {user}); "
            "an account kept for sftp or forwarding only stays as it is",
        )
    ran = f"'{visible(command)}'" if command else "'true'"
    detail = f': "{said}"' if said else ""
    return (
        Outcome.SESSION_FAILED,
        f"Logged in to {host} as {user}, but the session failed: {ran} ended with {code}{detail}",
        "look at the account's shell (getent passwd " + user + ") and any ForceCommand in "
        "sshd_config or command= option in authorized_keys",
    )

"""The sentences both engines say for the outcomes they learn in their own ways: logged in, no
common algorithm, partial success, an invalid certificate, and a session that fails after the
login.

Written from ssh's own words (``kex.c: kex_choose_conf()``: "Unable to negotiate with H port P:
no matching cipher found. Their offer: …"), so the openssh engine, which reads them, and the
asyncssh engine, which learns the same facts, say the same thing: this module is the only place
these sentences are written. Server text goes through :func:`tui.core.text.visible`. Results are
``(outcome, diagnosis, fix)`` like :func:`tui.core.connect.diagnosis.diagnose`, without final
periods.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tui.core.connect.negotiation import KEX_MARKERS, config_line
from tui.core.connect.outcomes import Outcome
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.connect.client import ConnectOptions
    from tui.core.connect.trace import OfferedKey, Trace

__all__ = [
    "NOLOGIN",
    "after_login",
    "auth_partial",
    "certificate_invalid",
    "logged_in",
    "no_common_algorithm",
    "parse_unable",
    "session_failed",
    "ssh_command_hint",
]

#: what /usr/sbin/nologin prints (and ``ssh host true`` shows) for an account that may not log in
NOLOGIN = "This account is currently not available."

_UNABLE = re.compile(
    r"^Unable to negotiate with (.+?): no matching (.+?) found\. Their offer: (.*)$"
)
_WANTED = {"password": "a password", "keyboard-interactive": "keyboard-interactive answers"}

Verdict = tuple[Outcome, str, str]


def parse_unable(line: str) -> tuple[str, str, str] | None:
    """ssh's "Unable to negotiate" line as (where, what, their offer as printed), or None."""
    found = _UNABLE.match(line.strip())
    if found is None:
        return None
    where, what, offer = found.groups()
    return where, what, offer


def ssh_command_hint(connect: ConnectOptions, key: OfferedKey | None) -> str:
    """The ssh command that logs in the same way (``-i`` only for a key named explicitly)."""
    parts = []
    if key is not None and key.path and "explicit" in key.source:
        parts.append(f"-i {key.path}")
    if connect.effective_port != 22 and not connect.config_file:
        parts.append(f"-p {connect.effective_port}")
    who = f"{connect.target.user}@" if connect.target.user else ""
    parts.append(who + connect.target.host)
    return " ".join(parts)


def logged_in(
    host: str,
    user: str,
    key_name: str | None,
    auth_method: str | None,
    partial: bool,
    ssh_hint: str,
) -> Verdict:
    """The login worked: with which key (or method), and the ssh command that does the same."""
    how = f"the key {visible(key_name)}" if key_name else f'"{auth_method}"'
    if partial and key_name and auth_method and auth_method != "publickey":
        how += f" and {auth_method}"  # AuthenticationMethods publickey,password
    return (
        Outcome.OK,
        f"Logged in to {host} as {user} with {how}",
        f"Nothing to fix: ssh {ssh_hint} will work",
    )


def no_common_algorithm(where: str, what: str, their_offer: str, host_alias: str) -> Verdict:
    """``where`` is ssh's "H port P"; ``what`` its "cipher", "key exchange method", ...;
    ``their_offer`` the server's list as ssh prints it (markers such as kex-strict included)."""
    offer = [a for a in their_offer.split(",") if a and not a.startswith(KEX_MARKERS)]
    diagnosis = (
        f"Unable to negotiate with {visible(where)}: no matching {what} found. Their offer: "
        f"{visible(their_offer)} (the server offers only {what}s that ssh does not enable by "
        "default)"
    )
    line = config_line(what, offer)
    if line is None:
        fix = "update the server's sshd, or enable one of its algorithms in ~/.ssh/config"
    else:
        shown = visible(line)
        fix = (
            f"if you trust this old server, add the line `{shown}` under `Host {host_alias}` in "
            f"~/.ssh/config (or pass -o {shown.replace(' ', '=', 1)}); better, update the "
            "server's sshd so it offers a current one"
        )
    return (Outcome.NO_COMMON_ALGORITHM, diagnosis, fix)


def auth_partial(
    host: str,
    user: str,
    done: list[str],
    key_name: str | None,
    wanted: list[str],
    password_refused: bool = False,
) -> Verdict:
    """The server took one method (``done``) and wants more (``wanted``): AuthenticationMethods."""
    if key_name and done == ["publickey"]:
        first = f"Your key {visible(key_name)} was accepted"
    else:
        first = f"The server accepted {' and '.join(done) or 'one method'}"
    more = " or ".join(_WANTED.get(m, m) for m in wanted) or "another method"
    tried = " (the password given was refused)" if password_refused else ""
    return (
        Outcome.AUTH_PARTIAL,
        f"{first} for {user}; {host} also wants {more} (sshd's AuthenticationMethods asks for "
        f"more than one method){tried}",
        "give the password too: --password-stdin, or type it when the tester asks (ssh itself "
        "asks for it after the key)",
    )


def certificate_invalid(problems: list[str]) -> Verdict:
    """Every key tried was a certificate sshd cannot accept here (expired, not yet valid, the
    login user not a principal), or the key it certifies."""
    return (
        Outcome.CERTIFICATE_INVALID,
        f"The certificate offered is not valid for this login ({'; '.join(problems)}), so sshd "
        "refuses it",
        "ask the certificate authority for a new certificate (valid now, with the login user "
        "among its principals), e.g. ssh-keygen -s CA_KEY -I ID -n USER -V +52w KEY.pub",
    )


def session_failed(
    host: str, user: str, status: int | None, message: str, command: str | None
) -> Verdict:
    """Logged in, but ``ssh host true`` (or the command) did not run: nologin, ForceCommand.

    ``message`` is what the session printed (stdout and stderr); its first line is quoted.
    """
    first = next((line for line in message.splitlines() if line.strip()), "")
    said = visible(first.strip()[:300], multiline=False)
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


def after_login(
    trace: Trace,
    connect: ConnectOptions,
    command: str | None,
    status: int,
    output: str,
    key: OfferedKey | None,
    partial: bool,
) -> Verdict:
    """The verdict of a login that opened a session, the same for both engines: ``ssh host
    true`` that fails (nologin, a ForceCommand) is ``session-failed`` with that status, as ssh
    exits; anything else is logged in, naming ``key``."""
    host, user = str(trace.host), str(trace.user)
    if command is None and status != 0:
        return session_failed(host, user, status, output, command)
    hint = ssh_command_hint(connect, key)
    return logged_in(host, user, key.name if key else None, trace.auth_method, partial, hint)

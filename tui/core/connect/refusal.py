"""Why the server refused every key: what the client can know, and the causes ranked.

sshd never tells the client why it refused a key (``auth2.c``: only "Permission denied"), so a
diagnosis from the client's side states the evidence (the keys offered with their fingerprints,
the methods that can continue, what ``server-sig-algs`` rules out) and ranks the possible causes
instead of naming one. The evidence moves the ranking: a key the server said it would take
(PK_OK) *is* in a readable authorized_keys, so the file causes drop out; for root that points at
``PermitRootLogin``; a refused password as well points at the account rather than the key.
:mod:`tui.core.connect.inspect_server` goes further when there is another way in and names the one cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CAUSES_INTRO",
    "LOG_COMMAND",
    "Cause",
    "rank_causes",
    "sig_alg_ruled_out",
    "sig_algs_for",
]

#: the one command on the server that tells which cause it is (sshd logs it, never the client)
LOG_COMMAND = "journalctl -u ssh -n 30 (or: grep sshd /var/log/auth.log | tail -n 30)"

#: what joins the evidence of a refusal to its ranked causes in a diagnosis
CAUSES_INTRO = "sshd does not tell the client why; the possible causes, most likely first: "

# the signature algorithms a key type can use, as ssh picks them (key_sig_algorithm())
_SIG_ALGS = {
    "RSA": ("rsa-sha2-512", "rsa-sha2-256"),
    "ED25519": ("ssh-ed25519",),
    "ED25519-SK": ("sk-ssh-ed25519@openssh.com",),
    "ECDSA-SK": ("sk-ecdsa-sha2-nistp256@openssh.com",),
    "DSA": ("ssh-dss",),
}


@dataclass(frozen=True)
class Cause:
    """One possible reason for the refusal; ``confirmed`` when an inspection established it."""

    code: str  # key-not-authorized, strict-modes, account-not-allowed, root-login-refused, ...
    text: str  # what it is, without a final period
    check: str  # how to check or fix it on the server, without a final period
    confirmed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "cause": self.text,
            "check": self.check,
            "confirmed": self.confirmed,
        }


def sig_algs_for(label: str) -> tuple[str, ...]:
    """The signature algorithms ssh can use with a key of this type (its label: "RSA"...)."""
    if label.startswith("ECDSA") and label != "ECDSA-SK":
        return tuple(f"ecdsa-sha2-nistp{bits}" for bits in ("256", "384", "521"))
    return _SIG_ALGS.get(label, ())


def sig_alg_ruled_out(label: str, server_sig_algs: list[str] | None) -> bool:
    """True when the server's ``server-sig-algs`` lists no algorithm this key type can sign with.

    sshd lists what it supports, not what it allows, so False proves nothing either way.
    """
    if not server_sig_algs:
        return False
    wanted = sig_algs_for(label)
    return bool(wanted) and not any(alg in server_sig_algs for alg in wanted)


def rank_causes(trace: Any) -> list[Cause]:
    """The possible causes of a refusal of every key, most likely first, from the trace alone."""
    user = trace.user or "the user"
    root = trace.user == "root"
    home = "/root" if root else f"~{user}"
    offered = list(trace.offered)
    accepted = [k for k in offered if k.accepted and not k.used and k.problem is None]
    sig_algs: list[str] | None = getattr(trace, "server_sig_algs", None)
    ruled_out = [k for k in offered if sig_alg_ruled_out(k.label, sig_algs)]
    password_refused = bool(trace.password_tried)

    missing = Cause(
        "key-not-authorized",
        f"the key is not in {user}'s authorized_keys ({home}/.ssh/authorized_keys, or the "
        "file sshd's AuthorizedKeysFile names)",
        f"look for the key's line in {home}/.ssh/authorized_keys; to add it: sshdeck copy-id "
        "(or the upload screen)",
    )
    strict = Cause(
        "strict-modes",
        f"sshd ignores {user}'s authorized_keys (StrictModes: {home}, {home}/.ssh or "
        "authorized_keys is writable by others or owned by another user)",
        f"ls -ld {home} {home}/.ssh {home}/.ssh/authorized_keys; then chmod go-w {home}, "
        f"chmod 700 {home}/.ssh, chmod 600 {home}/.ssh/authorized_keys, owned by {user}",
    )
    account = Cause(
        "account-not-allowed",
        f"the account {user} is not allowed to log in (AllowUsers, DenyUsers, AllowGroups or "
        "DenyGroups in sshd_config, a locked or expired account, or no such user)",
        f"sshd -T | grep -Ei 'allow|deny'; chage -l {user}; passwd -S {user} (as root)",
    )
    algorithm = Cause(
        "algorithm-not-accepted",
        "the key's algorithm is not in the server's PubkeyAcceptedAlgorithms"
        + (
            " (server-sig-algs lists none for "
            + ", ".join(sorted({k.label for k in ruled_out}))
            + ")"
            if ruled_out
            else ""
        ),
        "sshd -T | grep -i pubkeyacceptedalgorithms; use a key of an accepted type "
        "(ssh-keygen -t ed25519)",
    )
    root_login = Cause(
        "root-login-refused",
        "sshd's PermitRootLogin refuses root"
        + (
            " (no: no login at all)"
            if accepted
            else " (prohibit-password: keys only; no: not at all)"
        ),
        "sshd -T | grep -i permitrootlogin; log in as the VM's other user, or set "
        "PermitRootLogin prohibit-password",
    )
    if accepted:
        # PK_OK: sshd found the key in a file it trusts; it refused later, after the signature
        # sshd's PermitRootLogin no answers PK_OK and refuses after (whatever uid 0 is named)
        return [root_login, account] if root else [account, root_login]
    causes = [missing, strict, account, algorithm]
    if ruled_out and len(ruled_out) == len(offered):
        causes.remove(algorithm)
        causes.insert(0, algorithm)
    if password_refused:
        # the password was refused too: the account itself is the more likely problem
        causes.remove(account)
        causes.insert(0 if not root else 1, account)
    if root:
        causes.insert(0 if password_refused else len(causes), root_login)
    return causes

"""From an exception and what the trace saw, to an outcome code, a diagnosis and a fix.

The point of the tester: not "Permission denied (publickey)" but which keys were offered, which
the server refused, which methods it allows, whose authorized_keys is missing the key, and the
next step. Diagnoses are written without a final period; the caller joins them with the fix.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING

from tui.core.connect.outcomes import Outcome
from tui.core.connect.trace import Trace

if TYPE_CHECKING:
    from tui.core.connect.options import ConnectOptions


def _methods(methods: list[str]) -> str:
    if not methods:
        return "no method"
    return methods[0] if len(methods) == 1 else ", ".join(methods[:-1]) + " and " + methods[-1]


Verdict = tuple[Outcome, str, str]


def diagnose(exc: Exception, trace: Trace, options: ConnectOptions, stage: str | None) -> Verdict:
    import asyncssh

    host = trace.host or options.target.host
    port = trace.port or options.effective_port
    where = f"{host} port {port}"
    if isinstance(exc, socket.gaierror):
        return (
            Outcome.DNS_FAILURE,
            f"The name {host} does not resolve (DNS: {exc.strerror})",
            "check the spelling, the Host alias in ~/.ssh/config, or use the IP address",
        )
    if isinstance(exc, ConnectionRefusedError):
        return (
            Outcome.CONNECTION_REFUSED,
            f"{where} refused the connection (nothing listens there)",
            "check the port number and that sshd is running on the server",
        )
    if isinstance(exc, TimeoutError):
        return _timeout(where, stage, options.timeout)
    if trace.server_algs is not None and isinstance(
        exc, (asyncssh.DisconnectError, asyncssh.ConnectionLost, ConnectionError)
    ):
        found = _negotiation(trace, host, port)
        if found is not None:
            return found
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return _host_key(trace, host, port)
    if isinstance(exc, asyncssh.PermissionDenied):
        if trace.partial_success:
            return _partial(trace, host)
        certificate = _certificate(trace)
        if certificate is not None:
            return certificate
        return _auth(trace, host)
    if isinstance(exc, (asyncssh.ProtocolError, asyncssh.ConnectionLost)) and (
        trace.server_version is None
    ):
        return (
            Outcome.NOT_SSH,
            f"{where} answered, but not with SSH (no SSH version line)",
            "check the port number: that port runs some other service",
        )
    if (
        isinstance(exc, asyncssh.DisconnectError)
        and "too many authentication" in str(exc.reason).lower()
    ):
        return _too_many(trace, host)
    signed = [k for k in trace.offered if k.signed and not k.used]
    if isinstance(exc, asyncssh.DisconnectError) and signed:
        return _closed_after_signature(trace, host, signed[0].name)
    if isinstance(exc, asyncssh.DisconnectError):
        reason = exc.reason or type(exc).__name__
        return (
            Outcome.DISCONNECTED,
            f"{host} closed the connection during {stage or 'the login'} ({reason})",
            "look at the server's sshd log (journalctl -u ssh) for the reason",
        )
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return (
                Outcome.NETWORK_UNREACHABLE,
                f"No route to {host} ({os.strerror(exc.errno)})",  # not asyncio's wording
                "check the address, your network and VPN, and the server's public IP",
            )
        if exc.errno == errno.ECONNRESET or isinstance(exc, ConnectionResetError):
            return (
                Outcome.DISCONNECTED,
                f"{where} reset the connection during {stage or 'the login'}",
                "check the port and the server's sshd log; a firewall may cut the connection",
            )
        return (
            Outcome.DISCONNECTED,
            f"Cannot talk to {where} ({exc.strerror or type(exc).__name__})",
            "check the address and the network",
        )
    if isinstance(exc, asyncssh.Error):
        return (
            Outcome.DISCONNECTED,
            f"{host} ended the connection during {stage or 'the login'} ({exc})",
            "look at the server's sshd log for the reason",
        )
    return (
        Outcome.DISCONNECTED,
        f"The connection to {where} failed ({type(exc).__name__})",
        "run again with -vvv and look at the last lines",
    )


def _negotiation(trace: Trace, host: str, port: int) -> Verdict | None:
    """ssh's "Unable to negotiate" when a KEXINIT list has nothing in common with ours."""
    from tui.core.connect.negotiation import mismatch
    from tui.core.connect.session_outcomes import no_common_algorithm

    assert trace.server_algs is not None
    found = mismatch(trace.server_algs, trace.client_algs or {})
    if found is None:
        return None
    return no_common_algorithm(f"{host} port {port}", found.words, ",".join(found.offer), host)


def _partial(trace: Trace, host: str) -> Verdict:
    """AuthenticationMethods a,b: the first method passed, the next one was not given."""
    from tui.core.connect.session_outcomes import auth_partial

    key = next((k for k in trace.offered if k.partial), None)
    return auth_partial(
        host,
        trace.user or "the user",
        list(trace.partial_success),
        key.name if key else None,
        list(trace.auth_methods_after_partial or trace.auth_methods),
        trace.password_tried,
    )


def _certificate(trace: Trace) -> Verdict | None:
    """A refused login where the certificates offered are not valid here (expired, not yet
    valid, the login user not a principal), checked locally before connecting."""
    from tui.core.connect.session_outcomes import certificate_invalid

    bad = [k for k in trace.offered if k.problem == "certificate-invalid"]
    certified = {k.sha256 for k in bad}  # a certificate's fingerprint is its key's
    # only when nothing else was tried: the certificates, and the keys they certify (offered
    # plain beside them, as ssh does); another key refused too keeps the auth diagnosis
    if not bad or any(
        k.problem != "certificate-invalid" and k.sha256 not in certified for k in trace.offered
    ):
        return None
    return certificate_invalid(list(trace.certificate_problems))


def _timeout(where: str, stage: str | None, seconds: float) -> Verdict:
    limit = f"{seconds:g} s"
    if stage in (None, "resolve", "connect"):
        return (
            Outcome.TIMEOUT,
            f"{where} did not answer within {limit} (packets dropped, or the host is down)",
            "check the address and port, and that a firewall or security group allows port 22",
        )
    if stage == "protocol version":
        return (
            Outcome.TIMEOUT,
            f"{where} accepted the connection but sent no SSH greeting within {limit}",
            "check that this port runs sshd (not another service) and that sshd is not overloaded",
        )
    return (
        Outcome.TIMEOUT,
        f"{where} stopped answering during {stage} (waited {limit})",
        "try again with a longer --timeout and look at the server's sshd log",
    )


def _host_key(trace: Trace, host: str, port: int) -> Verdict:
    key = trace.host_key or {"type": "?", "sha256": "?"}
    if trace.host_key_status == "changed":
        old = next((ln for ln in trace.host_key_lines if ln.startswith("Offending ")), "")
        where = old.rsplit(" in ", 1)[-1] if old else "known_hosts"
        remove = next((ln.strip() for ln in trace.host_key_lines if "ssh-keygen -f" in ln), "")
        return (
            Outcome.HOST_KEY_CHANGED,
            f"The host key of {host} has CHANGED (now {key['sha256']}; the old one is in {where}) "
            "and nothing was sent to it",
            "ask the server's administrator whether the key was changed; if so, remove the old "
            + (f"entry with: {remove}" if remove else "entry with the ssh-keygen -R command above"),
        )
    if trace.host_key_status == "revoked":
        return (
            Outcome.HOST_KEY_CHANGED,
            f"The host key of {host} ({key['sha256']}) is marked as revoked in known_hosts",
            "do not log in; ask the server's administrator",
        )
    return (
        Outcome.HOST_KEY_UNKNOWN,
        f"The host key of {host} ({key['type']} {key['sha256']}) is not in known_hosts yet",
        "compare the fingerprint with the one shown by the server's console, then run again "
        "with --accept-new (or trust it in the tester)",
    )


def _closed_after_signature(trace: Trace, host: str, key: str) -> Verdict:
    """The key's signature was sent, then the server hung up: sshd's account check (PAM's
    ``account`` stage: an expired or locked account, an access policy) refused the user after
    the key itself was good. What the server printed on the way out is the best evidence."""
    from tui.core.text import visible

    user = trace.user or "the user"
    said = (trace.banner or "").strip()
    evidence = f'; the server said: "{visible(said, multiline=False)}"' if said else ""
    return (
        Outcome.AUTH_FAILED,
        f"{host} took the signature of {visible(key)} for {user} and then closed the "
        "connection: the key is authorized, but the account was refused (an expired or "
        f"locked account, or an account policy of PAM){evidence}",
        f"on the server, check the account: chage -l {user} (expiry), passwd -S {user} "
        "(locked), and journalctl -u ssh -n 30 for sshd's reason",
    )


def _auth(trace: Trace, host: str) -> Verdict:
    user = trace.user or "the user"
    methods = trace.auth_methods
    allowed = _methods(methods)
    offered = trace.offered
    perms = [k for k in trace.skipped if k.problem == "permissions"]
    locked = [k for k in offered if k.problem in ("needs-passphrase", "wrong-passphrase")]
    if perms and not any(k.used for k in offered):
        names = ", ".join(k.name for k in perms)
        return (
            Outcome.KEY_PERMISSIONS,
            f"{names} can be read by other users, so it was not used (as ssh refuses it)",
            f"make it private: chmod 600 {perms[0].name}",
        )
    if locked:
        first = locked[0]
        accepted = " (the server would accept it)" if first.accepted else ""
        wrong = first.problem == "wrong-passphrase"
        return (
            Outcome.KEY_NEEDS_PASSPHRASE,
            f"{first.name} is encrypted{accepted} and "
            + ("the passphrase given is wrong" if wrong else "no passphrase was given for it"),
            "give its passphrase (--passphrase-stdin, the keyring, or the tester's prompt) or "
            "load it into ssh-agent with ssh-add",
        )
    if "publickey" not in methods:
        if trace.password_tried:
            return (
                Outcome.AUTH_FAILED,
                f"{host} refused the password for {user} (it allows only {allowed})",
                "check the user name and the password",
            )
        return (
            Outcome.AUTH_FAILED,
            f"The server allows only {allowed} for {user}, not keys",
            "log in with the password first (ssh -o PubkeyAuthentication=no), or enable "
            "PubkeyAuthentication in the server's sshd_config",
        )
    if not offered:
        return (
            Outcome.AUTH_FAILED,
            f"The server accepts {allowed} but no key was offered (none in the agent, -i, "
            "IdentityFile or the default ~/.ssh/id_* names)",
            "create a key (sshdeck keygen) and upload it to the server",
        )
    return _refused(trace, host, user, allowed)


def _refused(trace: Trace, host: str, user: str, allowed: str) -> Verdict:
    """Every key refused: the evidence, then the causes ranked (sshd never says which)."""
    from tui.core.connect.refusal import CAUSES_INTRO, LOG_COMMAND, rank_causes, sig_alg_ruled_out
    from tui.core.text import visible

    offered = trace.offered
    keys = ", ".join(f"{visible(k.name)} ({k.label} {k.sha256})" for k in offered)
    which = "the key" if len(offered) == 1 else f"all {len(offered)} keys"
    facts = [f"{host} refused {which} offered for {user}: {keys}"]
    taken = [k for k in offered if k.accepted and not k.used and k.problem is None]
    if taken:
        facts.append(
            f"it said it would take {visible(taken[0].name)}, so that key is in an "
            "authorized_keys file sshd reads, and refused the login after its signature"
        )
    facts.append(f"methods that can continue: {allowed}")
    sig_algs = getattr(trace, "server_sig_algs", None)
    for label in sorted({k.label for k in offered if sig_alg_ruled_out(k.label, sig_algs)}):
        facts.append(f"the server's server-sig-algs lists no signature algorithm for {label} keys")
    if trace.password_tried:
        facts.append("the password was refused too")
    causes = rank_causes(trace)
    trace.causes = causes
    ranked = "; ".join(f"({n}) {c.text}" for n, c in enumerate(causes, 1))
    diagnosis = "; ".join(facts) + ". " + CAUSES_INTRO + ranked
    fix = (
        f"find which in the server's sshd log: {LOG_COMMAND}; or let sshdeck look with "
        "--inspect-with-password (or --inspect-with KEY); if the key is simply missing, upload "
        "it (sshdeck copy-id or the upload screen)"
    )
    return (Outcome.AUTH_FAILED, diagnosis, fix)


def _too_many(trace: Trace, host: str) -> Verdict:
    """sshd's MaxAuthTries: every key offered counts, so a full agent locks the right key out."""
    refused = [k for k in trace.offered if not k.used]
    return (
        Outcome.AUTH_FAILED,
        f"{host} closed the connection after {len(refused)} refused keys (Too many "
        "authentication failures: sshd's MaxAuthTries), before the right key, if any, was "
        "offered",
        "offer only the right key: -i KEY with IdentitiesOnly yes in ~/.ssh/config (ssh -o "
        "IdentitiesOnly=yes -i KEY), or remove the other keys from the agent (ssh-add -d)",
    )

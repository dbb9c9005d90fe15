"""The host key step of a login: which algorithms to ask for, and the one check of sshdeck.

Algorithms go in OpenSSH's order (those of keys already known for the host first), so a server
with several host keys shows the key ssh would see. The check: a known key passes, a changed one
stops before authentication with OpenSSH's warning, an unknown one fails or is appended like
``ssh -o StrictHostKeyChecking=accept-new``.
"""

from __future__ import annotations

from typing import Any

from tui.core.connect import known_hosts as kh
from tui.core.connect.trace import Trace
from tui.core.keys.public import public_key_from_blob

_OPENSSH_HOST_KEY_ORDER = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
)


def host_key_algs(known: list[str]) -> list[str]:
    """ssh's order: algorithms of keys already known for the host first, no certificates."""
    from asyncssh.public_key import get_default_public_key_algs

    supported = [alg.decode() for alg in get_default_public_key_algs()]
    # OpenSSH's own order (ssh -Q HostKeyAlgorithms, certificates aside), then asyncssh's other
    # algorithms: a server with several host keys then shows the same key to both
    defaults = [a for a in _OPENSSH_HOST_KEY_ORDER if a in supported]
    defaults += [a for a in supported if a not in defaults]
    rsa = {"rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"}
    first = [a for a in defaults if a in known or (a in rsa and "ssh-rsa" in known)]
    return first + [a for a in defaults if a not in first]


def negotiated_host_key_alg(conn: Any, key: Any) -> str:
    """The host key algorithm of this key exchange: ours, first, that the server offered.

    asyncssh does not say; OpenSSH prints it (``rsa-sha2-512`` for an RSA key, not the key's
    type ``ssh-rsa``, which would suggest SHA-1 signatures). Read from the server's KEXINIT.
    """
    from tui.core.connect.asyncssh_private import client_algorithm_lists, server_kexinit

    try:
        from asyncssh.packet import SSHPacket

        packet = SSHPacket(server_kexinit(conn) or b"")
        if packet.get_byte() != 20:  # MSG_KEXINIT
            raise ValueError
        packet.get_bytes(16)  # cookie
        packet.get_namelist()  # key exchange
        theirs = set(packet.get_namelist())
        usable = set(getattr(key, "sig_algorithms", ()) or ())
        for alg in client_algorithm_lists(conn)["hostkey"]:
            if alg in theirs and alg in usable:
                return str(alg.decode())
    except Exception:  # noqa: BLE001 - private details of asyncssh: fall back to the key type
        pass
    return str(key.get_algorithm())


def check_host_key(trace: Trace, check: Any, key: Any, conn: Any = None) -> bool:
    """The one host key check of sshdeck: known passes, changed stops, unknown per accept_new."""
    files, host, port, accept_new, hashed = check
    public = public_key_from_blob(bytes(key.public_data))
    trace.end("key exchange", True)
    trace.begin("host key check")
    trace.host_key = {"type": public.key_type, "sha256": public.sha256}
    trace.server_key = public
    trace.known_hosts_file = files[0]
    trace.debug(1, f"kex: host key algorithm: {negotiated_host_key_alg(conn, key)}")
    trace.debug(1, f"Server host key: {public.key_type} {public.sha256}")
    result = kh.check(files, host, port, public)
    trace.host_key_status = result.status
    if result.status == "known" and result.matched is not None:
        trace.debug(1, f"Host '{result.name}' is known and matches the {public.label} host key.")
        trace.debug(1, f"Found key in {result.matched.path}:{result.matched.line}")
        trace.end("host key check", True, "known")
        return True
    if result.status == "unknown" and accept_new:
        line = kh.append(result.path, host, port, public, hashed)
        trace.debug(1, f"Found key in {result.path}:{line}")
        trace.line(
            0,
            f"Warning: Permanently added '{result.name}' ({public.label}) to the list of known "
            "hosts.",
        )
        trace.host_key_status = "added"
        trace.end("host key check", True, "added")
        return True
    if result.status == "unknown":
        trace.host_key_lines = kh.unknown_lines(result, public)
    elif result.status == "changed":
        trace.host_key_lines = kh.changed_lines(result, public)
    else:
        trace.host_key_lines = [
            f"WARNING: REVOKED HOST KEY DETECTED! The {public.label} host key for "
            f"{result.name} is marked as revoked.",
            "Host key verification failed.",
        ]
    for text in trace.host_key_lines:
        trace.line(0, text)
    trace.end("host key check", False, result.status)
    return False

"""The keys a login offers, in ssh's order, offered one at a time like ssh does.

Order (OpenSSH's ``pubkey_prepare``): first the agent's keys that are also an identity file (in
the agent's order, offered from the agent under the file's name); then the agent's other keys,
skipped when ``IdentitiesOnly``; then the ``-i`` files and the config's ``IdentityFile`` entries
the agent does not hold; the default names
(``~/.ssh/id_rsa``, ``id_ecdsa``, ``id_ecdsa_sk``, ``id_ed25519``, ``id_ed25519_sk``, ``id_dsa``)
only when neither gave a file.

A file key is offered by its public half only (from the ``.pub`` or the OpenSSH container, no
passphrase needed); the private key is read, and its passphrase looked for (keyring, then the one
given, then the ``ask`` callback), only when the server answers that it would accept the key:
exactly when ssh asks for a passphrase (:mod:`tui.core.connect.key_offer`). A key readable by
others is refused at that same moment with OpenSSH's "UNPROTECTED PRIVATE KEY FILE" warning, as
ssh does.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.connect.trace import OfferedKey, Trace
from tui.core.errors import SshDeckError
from tui.core.keys.private import inspect_private_key, read_private_key_text
from tui.core.keys.public import PublicKey, public_key_from_blob, read_public_key_file
from tui.core.text import visible

DEFAULT_NAMES = ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa")

AskPassphrase = Callable[[Path, str], Awaitable[str | None]]


@dataclass
class Identity:
    """A key to offer: from a file, the agent, or both (``agent_pair`` set)."""

    record: OfferedKey
    public: PublicKey
    path: Path | None = None
    agent_pair: Any = None
    unprotected: int | None = None  # the file's mode when others may read it (ssh refuses it)
    certificate: bytes | None = None  # an OpenSSH certificate offered with this key
    key: Identity | None = None  # for a certificate: the key it certifies
    rsa_allowed: list[str] | None = None  # RSA signature algorithms PubkeyAcceptedAlgorithms allows


def _file_public_key(path: Path) -> tuple[PublicKey | None, bool]:
    """The public half of a private key file and whether it is encrypted."""
    text = read_private_key_text(path)
    info = inspect_private_key(text)
    public = info.public
    if public is None:
        pub = path.with_name(path.name + ".pub")
        public = read_public_key_file(pub) if pub.is_file() else None
    return public, info.encrypted


def _unprotected(path: Path) -> int | None:
    """The mode when the key is readable or writable by others (ssh refuses it)."""
    try:
        info = path.stat()
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid == os.getuid() and mode & 0o077:
        return mode
    return None


def permission_lines(path: Path, mode: int) -> list[str]:
    bar = "@" * 59
    return [
        bar,
        "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @",
        bar,
        f"Permissions 0{mode:o} for '{visible(str(path))}' are too open.",
        "It is required that your private key files are NOT accessible by others.",
        "This private key will be ignored.",
        f'Load key "{visible(str(path))}": bad permissions',
    ]


def certificate_problems(
    cert: PublicKey, login_user: str | None, now: float | None = None
) -> list[str]:
    """What sshd would say of this user certificate (``sshkey_cert_check_authority()``)."""
    import time

    info = cert.certificate
    if info is None:
        return []
    moment = int(now if now is not None else time.time())
    problems = []
    if info.cert_type != "user":
        problems.append("not a user certificate")
    if moment < info.valid_after:
        problems.append("not yet valid")
    if moment >= info.valid_before:
        problems.append("expired")
    if login_user and info.principals and login_user not in info.principals:
        problems.append("name is not a listed principal")
    return problems


def _read_certificate(path: Path) -> PublicKey | None:
    try:
        cert = read_public_key_file(path)
    except (SshDeckError, OSError, ValueError):
        return None
    return cert if cert.is_certificate else None


def _cert_identity(
    trace: Trace, base: Identity, cert_path: Path, cert: PublicKey, login_user: str | None
) -> Identity:
    """The key ``base`` offered with its certificate, checked locally first."""
    source = base.record.source
    record = OfferedKey(str(cert_path), cert.sha256, cert.label, source)
    record.certificate = str(cert_path)
    info = cert.certificate
    problems = certificate_problems(cert, login_user)
    if info is not None:
        principals = ",".join(info.principals) or "(any)"
        trace.debug(
            1,
            f"identity file {visible(str(cert_path))} type {cert.key_type} "
            f'(ID "{visible(info.key_id)}" serial {info.serial}, principals {visible(principals)})',
        )
    for problem in problems:
        record.problem = "certificate-invalid"
        trace.certificate_problems.append(f"{cert_path}: {problem}")
        trace.line(0, f"Warning: certificate {visible(str(cert_path))} is invalid for "
                      f"{visible(login_user or '?')}: {problem}")  # fmt: skip
    return Identity(
        record,
        cert,
        base.path,
        base.agent_pair,
        base.unprotected,
        certificate=cert.line(with_comment=False).encode(),
        key=base,
    )


def _accepted(public: PublicKey, accepted: list[str] | None) -> bool:
    """Whether PubkeyAcceptedAlgorithms lets ssh offer this key (None: ssh's default)."""
    if accepted is None:
        return public.plain_type != "ssh-dss"
    if public.plain_type == "ssh-rsa":
        rsa = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
        if public.is_certificate:
            return any(
                a.replace("-cert-v01@openssh.com", "") in rsa and "cert" in a for a in accepted
            )
        return any(a in rsa for a in accepted)
    return public.key_type in accepted


def modify_algorithms(value: str, defaults: list[str]) -> list[str] | None:
    """ssh's algorithm list syntax applied to ``defaults``: ``+a,b`` appends, ``-a`` removes
    (patterns allowed), ``^a`` prepends; None for a plain list, which replaces the defaults."""
    if not value or value[0] not in "+-^":
        return None
    names = [n for n in value[1:].split(",") if n]
    if value[0] == "+":
        return defaults + [n for n in names if n not in defaults]
    if value[0] == "-":
        import fnmatch

        return [d for d in defaults if not any(fnmatch.fnmatch(d, n) for n in names)]
    return names + [d for d in defaults if d not in names]


def accepted_algorithms(value: str | None) -> list[str] | None:
    """The client's PubkeyAcceptedAlgorithms after ``+``/``-``/``^`` (None when not set)."""
    if not value:
        return None
    modified = modify_algorithms(value, list(DEFAULT_PUBKEY_ALGS))
    return modified if modified is not None else [n for n in value.split(",") if n]


DEFAULT_PUBKEY_ALGS = (
    "ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "ssh-ed25519",
    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512",
    "rsa-sha2-256",
)  # fmt: skip


async def collect(
    trace: Trace,
    files: list[Path],
    explicit: bool,
    identities_only: bool,
    agent_path: str | None,
    *,
    certificate_files: list[Path] | None = None,
    login_user: str | None = None,
    accepted_algorithms: str | None = None,
) -> list[Identity]:
    """Build the list of keys to offer, writing ssh's setup lines into the transcript.

    Certificates: with no ``CertificateFile``, ``KEY-cert.pub`` beside a key is offered right
    after it; ``CertificateFile`` certificates are offered first, with the key (file or agent)
    they certify. Each is checked locally (validity, principals) and a problem is said.
    """
    accepted = globals()["accepted_algorithms"](accepted_algorithms)
    loaded: list[Identity] = []
    for path in files:
        path = path.expanduser()
        if not path.is_file():
            trace.debug(1, f"identity file {visible(str(path))} type -1")
            continue
        try:
            public, _encrypted = _file_public_key(path)
        except (SshDeckError, OSError, ValueError) as exc:
            trace.debug(1, f'Load key "{visible(str(path))}": {exc}')
            continue
        if public is None:
            trace.debug(
                1, f'Load key "{visible(str(path))}": encrypted PEM key without a .pub beside it'
            )
            continue
        source = "explicit" if explicit else "default"
        record = OfferedKey(str(path), public.sha256, public.label, source)
        trace.debug(1, f"identity file {visible(str(path))} type {public.key_type}")
        # like ssh: the public half is offered all the same; the private key is refused (with
        # OpenSSH's warning) only when the server would take it
        loaded.append(Identity(record, public, path, unprotected=_unprotected(path)))
    # OpenSSH's pubkey_prepare(): (1) agent keys that equal a file key, in the agent's order
    # (the agent signs); (2) the agent's other keys, unless IdentitiesOnly; (3) the file keys
    # the agent does not hold, in config order
    matched: list[Identity] = []
    others: list[Identity] = []
    if agent_path:
        for pair in await _agent_keys(trace, agent_path):
            public = public_key_from_blob(bytes(pair.public_data))
            same = next((i for i in loaded if i.public.plain_blob == public.plain_blob), None)
            if same is not None:
                loaded.remove(same)
                same.agent_pair = pair
                same.record.source += " agent"
                matched.append(same)
            elif not identities_only:
                comment = pair.get_comment() or None
                record = OfferedKey(None, public.sha256, public.label, "agent", comment=comment)
                others.append(Identity(record, public, None, pair))
    ordered = matched + others + loaded
    # certificates: CertificateFile ones first (with the key that signs for them), else each
    # key's KEY-cert.pub right after the key
    with_certs: list[Identity] = []
    for cert_path in certificate_files or []:
        cert_path = cert_path.expanduser()
        cert = _read_certificate(cert_path)
        if cert is None:
            trace.debug(1, f"certificate file {visible(str(cert_path))} type -1")
            continue
        base = next((i for i in ordered if i.public.plain_blob == cert.plain_blob), None)
        if base is None:
            trace.debug(1, f"no key for certificate {visible(str(cert_path))}")
            continue
        with_certs.append(_cert_identity(trace, base, cert_path, cert, login_user))
    for identity in ordered:
        with_certs.append(identity)
        if certificate_files or identity.path is None:
            continue
        cert_path = identity.path.with_name(identity.path.name + "-cert.pub")
        cert = _read_certificate(cert_path) if cert_path.is_file() else None
        if cert is not None and cert.plain_blob == identity.public.plain_blob:
            with_certs.append(_cert_identity(trace, identity, cert_path, cert, login_user))
    ordered = []
    for identity in with_certs:
        if not _accepted(identity.public, accepted):
            trace.debug(
                1,
                f"Skipping {visible(identity.record.name)}: {identity.public.key_type} is not in "
                "PubkeyAcceptedAlgorithms",
            )
            continue
        if accepted is not None and identity.public.plain_type == "ssh-rsa":
            identity.rsa_allowed = [
                a for a in ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa") if a in accepted
            ]
        ordered.append(identity)
    for identity in ordered:
        where = visible(identity.record.name)  # an agent key: its comment, as ssh prints it
        trace.debug(
            1,
            f"Will attempt key: {where} {identity.public.label} {identity.public.sha256}"
            + identity.record.suffix,
        )
    return ordered


async def _agent_keys(trace: Trace, agent_path: str) -> list[Any]:
    import asyncssh

    try:
        agent = await asyncssh.connect_agent(agent_path)
    except (OSError, asyncssh.Error):
        trace.debug(1, f"get_agent_identities: ssh_get_authentication_socket: {agent_path}")
        return []
    if agent is None:
        return []
    try:
        keys = list(await agent.get_keys())
    except (OSError, ValueError, asyncssh.Error):
        keys = []
    trace.debug(1, f"get_agent_identities: agent returned {len(keys)} keys")
    return keys


RSA_SIG_ORDER = ("rsa-sha2-512", "rsa-sha2-256")  # OpenSSH's PubkeyAcceptedAlgorithms default


def rsa_sig_algs(
    public: PublicKey, server_sig_algs: list[str] | None, allowed: list[str] | None = None
) -> list[bytes] | None:
    """The signature algorithms ssh would use for an RSA key, best first (``key_sig_algorithm``).

    None for other keys (their own name). For RSA: the first of ``rsa-sha2-512``,
    ``rsa-sha2-256`` that the server lists in server-sig-algs; an empty list when it lists
    neither (or sent no server-sig-algs): ssh 9.2 then skips the key ("no mutual signature
    algorithm"), since SHA-1 ``ssh-rsa`` is off by default.
    """
    if public.plain_type != "ssh-rsa" or public.is_certificate:
        return None
    listed = server_sig_algs or []
    mine = allowed if allowed is not None else list(RSA_SIG_ORDER)
    chosen = [alg.encode() for alg in mine if alg in listed and alg != "ssh-rsa"]
    if "ssh-rsa" in mine and (not server_sig_algs or "ssh-rsa" in listed):
        chosen.append(b"ssh-rsa")  # PubkeyAcceptedAlgorithms +ssh-rsa: SHA-1 allowed again
    return chosen


def default_files(home: Path | None = None) -> list[Path]:
    base = (home or Path.home()) / ".ssh"
    return [base / name for name in DEFAULT_NAMES]
